import avsc from "avsc";
import { describe, expect, it } from "vitest";
import type { AvroSchema } from "../../src/avro/avro-schema.js";
import { compileSchema, encodeBody } from "../../src/avro/codec.js";
import { avscOptions } from "../../src/avro/logical-types.js";

/** The long type as it was before the safe-integer fast path: every bigint packed into 8 bytes. */
function packedLong(): avsc.Type {
  const bytes = Buffer.alloc(8);
  return avsc.types.LongType.__with<bigint>({
    fromBuffer: (buffer) => buffer.readBigInt64LE(0),
    toBuffer: (value) => {
      bytes.writeBigInt64LE(value, 0);
      return bytes;
    },
    fromJSON: (json) => BigInt(json as string),
    toJSON: (value) => value.toString(),
    isValid: (value) => typeof value === "bigint",
    compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  });
}

const SCHEMA: AvroSchema = {
  type: "record",
  name: "Envelope",
  fields: [
    { name: "id", type: "long" },
    { name: "amount", type: ["null", "long"] },
    { name: "at", type: ["null", { type: "long", logicalType: "timestamp-micros" }] },
    { name: "local", type: { type: "long", logicalType: "local-timestamp-micros" } },
    { name: "time", type: ["null", { type: "long", logicalType: "time-micros" }] },
    { name: "many", type: { type: "array", items: "long" } },
    { name: "byName", type: { type: "map", values: ["null", "long"] } },
  ],
};

describe("long fast path", () => {
  it("writes the same bytes as packing every bigint did, across the whole range", () => {
    const old = avsc.Type.forSchema(SCHEMA, {
      ...avscOptions(),
      typeHook: (schema) =>
        schema === "long" || (typeof schema === "object" && (schema as { type?: unknown }).type === "long")
          ? packedLong()
          : undefined,
    });
    const writer = compileSchema(SCHEMA);
    let seed = 12345n;
    const next = (): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      return BigInt.asIntN(64, seed) >> BigInt(Number(seed & 63n));
    };
    const edges = [
      0n,
      1n,
      -1n,
      2n ** 52n,
      -(2n ** 52n),
      2n ** 53n,
      -(2n ** 53n),
      2n ** 63n - 1n,
      -(2n ** 63n),
    ];
    for (let i = 0; i < 2000; i++) {
      const value = i < edges.length ? (edges[i] as bigint) : next();
      const negated = value === -(2n ** 63n) ? value : -value;
      const row = {
        id: value,
        amount: i % 5 === 0 ? null : negated,
        at: value,
        local: value,
        time: i % 3 === 0 ? null : (value < 0n ? -value : value) % 86_400_000_001n,
        many: [value, negated / 3n, 7n],
        byName: { a: value, b: null },
      };
      const expected = Buffer.alloc(1024);
      const end = old.encode(row, expected);
      expect(encodeBody(writer, row)).toEqual(expected.subarray(0, end));
    }
  });
});
