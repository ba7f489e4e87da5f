import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { KafkaRecord } from "../../src/kafka/KafkaEventSubscriber.js";
import { decodeRecord } from "../../src/kafka/kafkajs-record-fix.js";

const require = createRequire(import.meta.url);
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (buffer: Buffer) => unknown;

/** A record body as a fetch holds it: attributes, timestamp and offset deltas 0, key "k", value "v", no headers. */
const RECORD = Buffer.from([0x00, 0x00, 0x00, 0x02, 0x6b, 0x02, 0x76, 0x00]);

describe("KafkaRecord.detached", () => {
  it("copies a fetched record once: a record held again across batches is not copied again", () => {
    const response = Buffer.concat([Buffer.from("...."), RECORD]);
    const message = decodeRecord(new Decoder(response.subarray(4)) as never, {
      firstOffset: "41",
      firstTimestamp: "1700000000000",
      magicByte: 2,
      timestampType: 0,
    });
    const record = new KafkaRecord("p.shop.items", 2, message as never);
    const copy = record.detached();
    response.fill(0);
    expect(copy).not.toBe(record);
    expect(copy).toMatchObject({
      topic: "p.shop.items",
      partition: 2,
      offset: 41n,
      timestampMs: 1_700_000_000_000,
    });
    expect(copy.key?.toString()).toBe("k");
    expect(copy.value?.toString()).toBe("v");
    expect(copy.detached?.()).toBe(copy);
  });
});
