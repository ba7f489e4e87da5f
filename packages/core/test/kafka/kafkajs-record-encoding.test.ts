import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import "../../src/kafka/kafkajs-fixes.js";
import { crc32c } from "../../src/kafka/crc32c.js";
import {
  encodeRecord,
  encodeRecordBatch,
  REPLACED_MODULES,
  type RecordInput,
} from "../../src/kafka/kafkajs-record-encoding.js";

const require = createRequire(import.meta.url);

interface Encoded {
  readonly buffer: Buffer;
}
type KafkajsRecord = (input: RecordInput) => Encoded;
type KafkajsBatch = (input: Record<string, unknown>) => Promise<Encoded>;

/** Loads kafkajs's own module at `path` from disk, leaving the installed replacement in the cache. */
function original<T>(path: string): T {
  const installed = require.cache[path];
  delete require.cache[path];
  try {
    return require(path) as T;
  } finally {
    delete require.cache[path];
    if (installed) require.cache[path] = installed;
  }
}

const kafkajsRecord = original<KafkajsRecord>(REPLACED_MODULES.record);
const kafkajsBatch = original<{ RecordBatch: KafkajsBatch }>(REPLACED_MODULES.batch).RecordBatch;
const kafkajsCrc = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (bytes: Buffer) => number;
const Long = require("kafkajs/src/utils/long.js") as { fromValue(value: unknown): unknown };

const HEADERS = Object.freeze({ "tributary.origin": "src-1", "tributary.schema": "0123456789abcdef" });

/** Records with and without keys, null values, headers (frozen, mutable, multi-valued), UTF-8, sizes across varint lengths. */
function variedRecords(): RecordInput[] {
  const records: RecordInput[] = [];
  for (let i = 0; i < 120; i++) {
    records.push({
      offsetDelta: i,
      timestampDelta:
        [0, 1, 63, 64, 8191, 8192, -1, -64, -65, 1_700_000_000_000, -1_700_000_000_000][i % 11] ?? 0,
      key: i % 7 === 0 ? null : i % 5 === 0 ? `clé-${i}` : Buffer.from(`key-${i}`),
      value: i % 9 === 0 ? null : Buffer.alloc((i * 37) % 300, i),
      headers:
        i % 4 === 0
          ? HEADERS
          : i % 4 === 1
            ? { a: "x", ü: Buffer.from([1, 2, 3]), multi: ["1", "22"] }
            : i % 4 === 2
              ? {}
              : (undefined as unknown as Record<string, string>),
    });
  }
  records.push({ offsetDelta: 120, timestampDelta: 0, key: Buffer.alloc(0), value: Buffer.alloc(20_000, 7) });
  return records;
}

describe("kafkajs record encoding", () => {
  it("encodes each record byte for byte as kafkajs does", async () => {
    for (const input of variedRecords()) {
      const expected = kafkajsRecord({ ...input }).buffer;
      const batch = await encodeRecordBatch({
        records: [encodeRecord({ ...input })],
        firstTimestamp: 1,
        maxTimestamp: 1,
      });
      // The record follows the 61-byte batch header.
      expect(batch.buffer.subarray(61)).toEqual(expected);
    }
  });

  it("encodes record batches byte for byte as kafkajs does", async () => {
    const inputs = variedRecords();
    const cases: Record<string, unknown>[] = [
      { firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_123 },
      {
        firstTimestamp: 1_700_000_000_000,
        maxTimestamp: 1_700_000_000_000,
        producerId: Long.fromValue(4242),
        producerEpoch: 3,
        firstSequence: 1_000_000,
        lastOffsetDelta: inputs.length - 1,
        transactional: true,
      },
      { firstTimestamp: "1700000000000", maxTimestamp: "1700000000001", compression: 1 },
    ];
    for (const options of cases) {
      const expected = await kafkajsBatch({
        ...options,
        records: inputs.map((input) => kafkajsRecord({ ...input })),
      });
      const actual = await encodeRecordBatch({
        ...options,
        records: inputs.map((input) => encodeRecord({ ...input })),
      });
      if (options.compression === 1) {
        // gzip output need not be byte-identical across calls; compare everything else and the plain records.
        const zlib = await import("node:zlib");
        expect(actual.buffer.subarray(0, 8)).toEqual(expected.buffer.subarray(0, 8));
        expect(actual.buffer.subarray(21, 61)).toEqual(expected.buffer.subarray(21, 61));
        expect(zlib.gunzipSync(actual.buffer.subarray(61))).toEqual(
          zlib.gunzipSync(expected.buffer.subarray(61)),
        );
        expect(actual.buffer.readUInt32BE(17)).toBe(kafkajsCrc(actual.buffer.subarray(21)));
      } else {
        expect(actual.buffer).toEqual(expected.buffer);
      }
    }
    expect((await encodeRecordBatch({ records: [], firstTimestamp: 5, maxTimestamp: 5 })).buffer).toEqual(
      (await kafkajsBatch({ records: [], firstTimestamp: 5, maxTimestamp: 5 })).buffer,
    );
  });

  it("is what kafkajs's produce request loads", () => {
    expect(require(REPLACED_MODULES.record)).toBe(encodeRecord);
    expect((require(REPLACED_MODULES.batch) as { RecordBatch: unknown }).RecordBatch).toBe(encodeRecordBatch);
  });
});

describe("crc32c", () => {
  it("matches the published CRC-32C check values", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it("matches kafkajs's CRC-32C for every length and offset", () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff));
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= bytes.length; end += 13) {
        expect(crc32c(bytes, start, end)).toBe(kafkajsCrc(bytes.subarray(start, end)));
      }
    }
  });
});
