import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import "../../src/kafka/kafkajs-fixes.js";
import {
  BATCH_MODULE,
  FetchedBatch,
  kafkajsBatchClass,
  offsetBefore,
} from "../../src/kafka/kafkajs-batch.js";

const require = createRequire(import.meta.url);

interface Message {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

function message(offset: string, options: Partial<Omit<Message, "offset">> = {}): Message {
  return {
    offset,
    key: null,
    isControlRecord: false,
    batchContext: { producerId: "-1", inTransaction: false },
    ...options,
  };
}

const ABORT_MARKER = Buffer.from([0, 0, 0, 0]);

/** What a batch exposes, through kafkajs's own methods. */
function view(batch: object) {
  const b = batch as Record<string, unknown>;
  return {
    fields: [b.topic, b.partition, b.highWatermark, b.fetchedOffset],
    within: (b.messagesWithinOffset as Message[]).map(({ offset }) => offset),
    messages: (b.messages as Message[]).map(({ offset }) => offset),
    methods: [
      "isEmpty",
      "isEmptyIncludingFiltered",
      "isEmptyDueToFiltering",
      "isEmptyControlRecord",
      "isEmptyDueToLogCompactedMessages",
      "firstOffset",
      "lastOffset",
      "offsetLag",
      "offsetLagLow",
    ].map((name) => (b[name] as () => unknown).call(batch)),
  };
}

describe("kafkajs consumer batch fix", () => {
  const KafkajsBatch = kafkajsBatchClass();

  it("is what kafkajs's consumer loads in place of its own", () => {
    expect(require(BATCH_MODULE)).toBe(FetchedBatch);
    expect(KafkajsBatch).not.toBe(FetchedBatch);
  });

  it("orders offsets as 64-bit integers", () => {
    expect(offsetBefore("9", "10")).toBe(true);
    expect(offsetBefore("10", "9")).toBe(false);
    expect(offsetBefore("10", "10")).toBe(false);
    expect(offsetBefore("0", "1")).toBe(true);
    expect(offsetBefore("9007199254740993", "9007199254740992")).toBe(false);
    expect(offsetBefore("9223372036854775806", "9223372036854775807")).toBe(true);
    expect(offsetBefore("-1", "0")).toBe(true);
    expect(offsetBefore("0", "-1")).toBe(false);
  });

  const cases: { name: string; fetched: string; high: string; messages: Message[]; aborted?: unknown[] }[] = [
    {
      name: "records from the fetched offset",
      fetched: "5",
      high: "9",
      messages: ["5", "6", "7"].map((o) => message(o)),
    },
    {
      name: "records before the fetched offset (a compressed batch starts earlier)",
      fetched: "10",
      high: "20",
      messages: ["8", "9", "10", "11", "100"].map((o) => message(o)),
    },
    {
      name: "only records before it",
      fetched: "10",
      high: "10",
      messages: ["7", "8", "9"].map((o) => message(o)),
    },
    { name: "no records", fetched: "3", high: "3", messages: [] },
    {
      name: "offsets past 2^53",
      fetched: "9007199254740993",
      high: "9007199254740999",
      messages: ["9007199254740992", "9007199254740993", "9007199254740994"].map((o) => message(o)),
    },
    {
      name: "a control record",
      fetched: "0",
      high: "3",
      messages: [message("0"), message("1"), message("2", { isControlRecord: true })],
    },
    {
      name: "only a control record",
      fetched: "2",
      high: "3",
      messages: [message("2", { isControlRecord: true })],
    },
    {
      name: "an aborted transaction",
      fetched: "0",
      high: "6",
      messages: [
        message("0"),
        message("1", { batchContext: { producerId: "7", inTransaction: true } }),
        message("2", { batchContext: { producerId: "7", inTransaction: true } }),
        message("3", {
          key: ABORT_MARKER,
          isControlRecord: true,
          batchContext: { producerId: "7", inTransaction: true },
        }),
        message("4"),
      ],
      aborted: [{ firstOffset: "1", producerId: "7" }],
    },
  ];

  for (const { name, fetched, high, messages, aborted } of cases) {
    it(`gives what kafkajs's batch gives: ${name}`, () => {
      const partitionData = {
        partition: 3,
        highWatermark: high,
        abortedTransactions: aborted ?? [],
        messages,
      };
      const ours = new FetchedBatch("t", fetched, partitionData);
      const theirs = new KafkajsBatch("t", fetched, partitionData);
      expect(view(ours)).toEqual(view(theirs));
    });
  }
});
