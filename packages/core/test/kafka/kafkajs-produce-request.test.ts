import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import "../../src/kafka/kafkajs-fixes.js";
import {
  frameRequest,
  type KafkajsRequest,
  type ProduceRequestInput,
  produceRequest,
  REPLACED_REQUEST_MODULES,
} from "../../src/kafka/kafkajs-produce-request.js";
import { REPLACED_MODULES } from "../../src/kafka/kafkajs-record-encoding.js";

const require = createRequire(import.meta.url);

/** Loads kafkajs's own module at `path` (and its own record encoding) from disk, leaving the replacements installed. */
function original<T>(path: string): T {
  const paths = [path, REPLACED_MODULES.record, REPLACED_MODULES.batch];
  const installed = paths.map((each) => require.cache[each]);
  for (const each of paths) delete require.cache[each];
  try {
    return require(path) as T;
  } finally {
    paths.forEach((each, i) => {
      delete require.cache[each];
      const replacement = installed[i];
      if (replacement) require.cache[each] = replacement;
    });
  }
}

const kafkajsProduce = original<(input: ProduceRequestInput) => KafkajsRequest>(
  REPLACED_REQUEST_MODULES.produce,
);
const kafkajsFrame = original<typeof frameRequest>(REPLACED_REQUEST_MODULES.frame);
const Long = require("kafkajs/src/utils/long.js") as { fromValue(value: unknown): unknown };

const HEADERS = Object.freeze({ "tributary.origin": "src", "tributary.tx": "42" });

function messages(count: number, timestamps: boolean) {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 6 === 0 ? null : Buffer.from(`k${i}`),
    value: i % 8 === 0 ? null : Buffer.alloc((i * 53) % 400, i),
    ...(i % 3 === 0 ? { headers: HEADERS } : i % 3 === 1 ? { headers: { h: `v${i}` } } : {}),
    ...(timestamps ? { timestamp: String(1_700_000_000_000 + ((i * 7919) % 5000)) } : {}),
  }));
}

function requestInput(
  timestamps: boolean,
  overrides: Partial<ProduceRequestInput> = {},
): ProduceRequestInput {
  return {
    acks: -1,
    timeout: 30_000,
    producerId: Long.fromValue(77),
    producerEpoch: 2,
    topicData: [
      {
        topic: "tributary.db.public.orders",
        partitions: [
          { partition: 0, firstSequence: 100, messages: messages(90, timestamps) },
          { partition: 3, firstSequence: 0, messages: messages(7, timestamps) },
        ],
      },
      { topic: "ümlaut", partitions: [{ partition: 1, messages: messages(1, timestamps) }] },
    ],
    ...overrides,
  };
}

describe("kafkajs produce request encoding", () => {
  it("encodes produce requests byte for byte as kafkajs does", async () => {
    const inputs = [requestInput(true), requestInput(true, { transactionalId: "txn-1", acks: 1 })];
    for (const input of inputs) {
      const expected = await kafkajsProduce(input).encode();
      const actual = await produceRequest(input).encode();
      expect(actual.buffer).toEqual(expected.buffer);
      expect(produceRequest(input).expectResponse()).toBe(kafkajsProduce(input).expectResponse());
    }
  });

  it("encodes requests without timestamps as kafkajs does, reading the clock alike", async () => {
    const input = requestInput(false);
    // Both take Date.now() per partition: equal bytes need the same millisecond, so pin it.
    const now = Date.now;
    Date.now = () => 1_700_000_000_000;
    try {
      expect((await produceRequest(input).encode()).buffer).toEqual(
        (await kafkajsProduce(input).encode()).buffer,
      );
    } finally {
      Date.now = now;
    }
  });

  it("frames any request as kafkajs does", async () => {
    const request = produceRequest(requestInput(true));
    for (const clientId of ["tributary-source", null, "é"]) {
      const framed = await frameRequest({ correlationId: 12345, clientId, request });
      const expected = await kafkajsFrame({ correlationId: 12345, clientId, request });
      expect(framed.buffer).toEqual(expected.buffer);
    }
  });

  it("is what kafkajs loads", () => {
    expect(require(REPLACED_REQUEST_MODULES.produce)).toBe(produceRequest);
    expect(require(REPLACED_REQUEST_MODULES.frame)).toBe(frameRequest);
  });
});
