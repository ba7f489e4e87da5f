import { createLogger, type IncomingRecord, type OutgoingRecord, TributaryError } from "@tributary/core";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { SinkRecord } from "../../src/apply/EventDecoder.js";
import { offsetGap } from "../../src/apply/offset-gap.js";
import { RecordIntake } from "../../src/apply/RecordIntake.js";
import { DeadLetterQueue } from "../../src/dead-letter/DeadLetterQueue.js";
import { deadLetterRecord, deadLetterTopicOf } from "../../src/dead-letter/dead-letter-record.js";
import { EventFilter } from "../../src/filters/EventFilter.js";
import { filtersConfigSchema } from "../../src/filters/filter-config.js";
import { SinkMetrics } from "../../src/SinkMetrics.js";
import { order, orderRecord, ordersTable } from "../filters/fixtures.js";
import { envelope } from "../support/models.js";

const logger = createLogger({ level: "silent" });

function incoming(offset: bigint, value: string): IncomingRecord {
  return {
    topic: "shop.public.orders",
    partition: 2,
    offset,
    key: Buffer.from("k"),
    value: Buffer.from(value),
    headers: { "tributary.origin": Buffer.from("dc1") },
    timestampMs: 1_700_000_000_000,
  };
}

describe("dead-letter records", () => {
  it("go to <prefix>._dlq of their topic", () => {
    expect(deadLetterTopicOf("shop.public.orders")).toBe("shop._dlq");
    expect(deadLetterTopicOf("a.b.shop.public.orders")).toBe("a.b.shop._dlq");
    expect(deadLetterTopicOf("plain")).toBe("plain._dlq");
  });

  it("keep key, value and headers and say why and where from", () => {
    const record = incoming(17n, "garbage");
    const error = new TributaryError("TRB_SINK_DECODE", "cannot decode it");
    expect(deadLetterRecord(record, error, "replica", "shop._dlq")).toMatchObject({
      topic: "shop._dlq",
      key: record.key,
      value: record.value,
      headers: {
        "tributary.origin": Buffer.from("dc1"),
        "tributary.error.code": "TRB_SINK_DECODE",
        "tributary.error.reason": "cannot decode it",
        "tributary.error.topic": "shop.public.orders",
        "tributary.error.partition": "2",
        "tributary.error.offset": "17",
        "tributary.error.timestamp": "1700000000000",
        "tributary.error.sink": "replica",
      },
    });
  });
});

describe("offset gaps", () => {
  it("name the partition, both offsets and how to go on", () => {
    const error = offsetGap("shop.public.orders", 0, 10n, 25n);
    expect(error.code).toBe("TRB_SINK_OFFSET_GAP");
    expect(error.message).toContain("shop.public.orders partition 0 continues at offset 25");
    expect(error.message).toContain("recorded 10");
    expect(error.message).toContain("allowOffsetGaps: true");
    expect(error.message).toContain("tributary replay");
  });
});

/** Stands in for the decoder: value "bad" cannot be read; others are orders of id = offset, the value their amount. */
const decoder = {
  async decodeRecord(record: IncomingRecord): Promise<SinkRecord> {
    if (record.value?.toString() === "bad") {
      throw new TributaryError("TRB_SINK_DECODE", `cannot decode the record at offset ${record.offset}`);
    }
    const text = record.value?.toString();
    const amount = text === undefined || text === "null" ? null : text;
    return orderRecord(
      envelope("c", null, order(Number(record.offset), "paid", amount), [], ordersTable),
      record.offset,
    );
  },
};

function intake(tolerance: "none" | "all", sent: OutgoingRecord[][] = [], ensured: string[] = []) {
  const metrics = new SinkMetrics(new Registry());
  const deadLetters =
    tolerance === "all"
      ? new DeadLetterQueue({
          sink: "replica",
          topic: undefined,
          admin: { ensureTopics: async (specs) => void ensured.push(...specs.map((spec) => spec.topic)) },
          publisher: {
            publish: async (records) => void sent.push([...records]),
            close: async () => undefined,
          },
          metrics,
          logger,
        })
      : null;
  const filter = new EventFilter(
    filtersConfigSchema.parse({ "public.orders": { where: "row.amount > 100" } }),
  );
  return {
    intake: new RecordIntake({ decoder, filter, deadLetters, ownOrigin: "dc2", metrics, logger }),
    metrics,
  };
}

describe("RecordIntake", () => {
  const batch = [incoming(1n, "150.00"), incoming(2n, "5.00"), incoming(3n, "bad"), incoming(4n, "300.00")];

  it("with tolerance none, returns the records before the first bad one and the error to stop with", async () => {
    const { records, stop } = await intake("none").intake.take(batch);
    expect(records.map((record) => [record.offset, record.value?.op ?? null])).toEqual([
      [1n, "c"],
      [2n, null],
    ]);
    expect(stop?.code).toBe("TRB_SINK_DECODE");
    expect(stop?.message).toContain("cannot decode the record at offset 3");
    expect(stop?.message).toContain("errors.tolerance: all");
  });

  it("with tolerance all, sends bad records to the dead-letter topic first and keeps a placeholder", async () => {
    const sent: OutgoingRecord[][] = [];
    const ensured: string[] = [];
    const { intake: all, metrics } = intake("all", sent, ensured);
    const { records, stop } = await all.take(batch);
    expect(stop).toBeNull();
    expect(records.map((record) => [record.offset, record.value?.op ?? null])).toEqual([
      [1n, "c"],
      [2n, null],
      [3n, null],
      [4n, "c"],
    ]);
    expect(ensured).toEqual(["shop._dlq"]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.map((record) => record.headers?.["tributary.error.offset"])).toEqual(["3"]);
    expect((await metrics.deadLetters.get()).values).toEqual([
      expect.objectContaining({ labels: { topic: "shop.public.orders", code: "TRB_SINK_DECODE" }, value: 1 }),
    ]);
    expect((await metrics.filtered.get()).values).toEqual([
      expect.objectContaining({ labels: { table: "public.orders", op: "c", result: "skipped" }, value: 1 }),
    ]);
  });

  it("makes a row filter failure a bad record naming the table, topic, partition and offset", async () => {
    const { stop } = await intake("none").intake.take([incoming(5n, "null")]);
    expect(stop?.code).toBe("TRB_SINK_FILTER");
    expect(stop?.message).toContain(
      "the row filter of public.orders failed on the c event at offset 5 of shop.public.orders partition 2: no such overload",
    );
  });

  it("rethrows a passing decode failure instead of calling the record bad", async () => {
    const unreachable = new TributaryError("TRB_SINK_DECODE", "schema store out of reach", {
      retriable: true,
    });
    const failing = new RecordIntake({
      decoder: { decodeRecord: async () => Promise.reject(unreachable) },
      filter: new EventFilter({}),
      deadLetters: null,
      ownOrigin: "dc2",
      metrics: new SinkMetrics(new Registry()),
      logger,
    });
    await expect(failing.take([incoming(1n, "x")])).rejects.toBe(unreachable);
  });
});
