import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { decodeRecord, detachedMessage } from "../../src/kafka/kafkajs-record-fix.js";

const require = createRequire(import.meta.url);
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (buffer: Buffer) => unknown;
const encodeRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (record: {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[]>;
}) => { buffer: Buffer };
const Long = require("kafkajs/src/utils/long.js") as { fromString(text: string): unknown };

/** kafkajs's own record decoder, loaded from its file beside the replacement in the module cache. */
function originalDecoder(): (decoder: unknown, context: object) => unknown {
  const path = require.resolve("kafkajs/src/protocol/recordBatch/record/v0/decoder.js");
  const { Module } = require("node:module") as {
    Module: new (id: string) => NodeJS.Module & { _compile(code: string, file: string): void };
  };
  const module = new Module(path);
  module.filename = path;
  module.paths = (require("node:module") as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(
    path.slice(0, path.lastIndexOf("/")),
  );
  module._compile(readFileSync(path, "utf8"), path);
  return module.exports as (decoder: unknown, context: object) => unknown;
}

/** The record body without its length prefix, as the batch decoder hands it over. */
function body(record: Parameters<typeof encodeRecord>[0]): Buffer {
  const encoded = encodeRecord(record).buffer;
  const decoder = new Decoder(encoded) as { readVarIntBytes(): Buffer };
  return decoder.readVarIntBytes();
}

describe("kafkajs record decoder fix", () => {
  const original = originalDecoder();
  const cases: Parameters<typeof encodeRecord>[0][] = [
    { key: Buffer.from("k"), value: Buffer.from("v"), headers: { a: Buffer.from("1"), b: Buffer.from("2") } },
    { key: null, value: null, offsetDelta: 7, timestampDelta: 1234 },
    {
      key: null,
      value: Buffer.from("x"),
      headers: { a: [Buffer.from("1"), Buffer.from("2"), Buffer.from("3")] },
    },
    { key: null, value: Buffer.from("x"), timestampDelta: Long.fromString("-98765432109876") },
    { key: null, value: Buffer.from("x"), timestampDelta: Long.fromString("9007199254740993") },
  ];
  const contexts = [
    { firstOffset: "0", firstTimestamp: "1700000000000", magicByte: 2, timestampType: 0 },
    {
      firstOffset: "9007199254740990",
      firstTimestamp: "9223372036854775000",
      magicByte: 2,
      timestampType: 0,
    },
    {
      firstOffset: "12",
      firstTimestamp: "5",
      maxTimestamp: "99",
      magicByte: 2,
      timestampType: 1,
      isControlBatch: true,
    },
  ];

  it("decodes records as kafkajs does", () => {
    for (const record of cases) {
      for (const context of contexts) {
        const bytes = body(record);
        const decoded = decodeRecord(new Decoder(bytes) as never, context);
        // The headers are a getter, decoded when first read: compared on their own.
        expect({ ...decoded, headers: decoded.headers }).toEqual(original(new Decoder(bytes), context));
      }
    }
  });

  it("decodes the headers when they are first read, from the record's bytes", () => {
    const bytes = body(cases[0] as Parameters<typeof encodeRecord>[0]);
    const decoded = decodeRecord(new Decoder(bytes) as never, contexts[0]);
    expect(Object.keys(decoded)).not.toContain("headers");
    expect(decoded.headers).toEqual({ a: Buffer.from("1"), b: Buffer.from("2") });
    expect(decoded.headers).toBe(decoded.headers);
  });

  it("copies a record in one piece: key, value and headers are views of the copy, none of the response", () => {
    const response = Buffer.concat([
      Buffer.from("...."),
      body(cases[0] as Parameters<typeof encodeRecord>[0]),
    ]);
    const bytes = response.subarray(4);
    const decoded = decodeRecord(new Decoder(bytes) as never, contexts[0]);
    const copy = detachedMessage(decoded as never);
    response.fill(0);
    expect(copy).not.toBe(decoded);
    expect({ ...copy, headers: copy.headers }).toEqual(
      original(new Decoder(body(cases[0] as Parameters<typeof encodeRecord>[0])), contexts[0] as object),
    );
    // Views of one copy lie as far apart as they did in the response.
    expect(copy.key?.buffer).toBe(copy.value?.buffer);
    expect(Number(copy.value?.byteOffset) - Number(copy.key?.byteOffset)).toBe(
      Number(decoded.value?.byteOffset) - Number(decoded.key?.byteOffset),
    );
  });

  it("copies a message kafkajs decoded another way field by field", () => {
    const shared = Buffer.from("kvh1h2");
    const message = {
      key: shared.subarray(0, 1),
      value: shared.subarray(1, 2),
      headers: { one: shared.subarray(2, 4), many: [shared.subarray(4, 6), "text"] },
      timestamp: "5",
      attributes: 0,
      offset: "7",
      size: 40,
    };
    const copy = detachedMessage(message as unknown as KafkaMessage);
    shared.fill(0);
    expect(copy).toEqual({
      ...message,
      key: Buffer.from("k"),
      value: Buffer.from("v"),
      headers: { one: Buffer.from("h1"), many: [Buffer.from("h2"), "text"] },
    });
  });

  it("is the module kafkajs's batch decoder loads, once kafkajs-fixes installed it", async () => {
    await import("../../src/kafka/kafkajs-fixes.js");
    const loaded = require(
      require.resolve("kafkajs/src/protocol/recordBatch/record/v0/decoder.js"),
    ) as unknown;
    expect(loaded).toBe(decodeRecord);
  });
});
