import { describe, expect, it } from "vitest";
import type { AvroSchema } from "../../src/avro/avro-schema.js";
import {
  compileSchema,
  decode,
  decodeBody,
  encode,
  encodeBody,
  isSingleObject,
  peekFingerprint,
  SINGLE_OBJECT_HEADER_LENGTH,
  type WriterSchema,
} from "../../src/avro/codec.js";
import { type ErrorCode, isTributaryError, type TributaryError } from "../../src/errors/TributaryError.js";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

const decimal = (precision: number, scale: number): AvroSchema => ({
  type: "bytes",
  logicalType: "decimal",
  precision,
  scale,
});
const DATE: AvroSchema = { type: "int", logicalType: "date" };
const TIME: AvroSchema = { type: "long", logicalType: "time-micros" };
const TIMESTAMP: AvroSchema = { type: "long", logicalType: "timestamp-micros" };
const LOCAL_TIMESTAMP: AvroSchema = { type: "long", logicalType: "local-timestamp-micros" };
const UUID: AvroSchema = { type: "string", logicalType: "uuid" };

/** Microseconds since 1970-01-01 UTC of a UTC date-time (years 1 to 275759, as Date allows). */
function micros(iso: string, extraMicros = 0n): bigint {
  const date = new Date(iso);
  if (iso.startsWith("0001")) date.setUTCFullYear(1);
  return BigInt(date.getTime()) * 1000n + extraMicros;
}

/** A one-field record holding `type`, compiled once per type. */
const writers = new Map<string, WriterSchema>();
function writerFor(type: AvroSchema): WriterSchema {
  const key = JSON.stringify(type);
  let writer = writers.get(key);
  if (writer === undefined) {
    writer = compileSchema({ type: "record", name: "T", namespace: "test", fields: [{ name: "v", type }] });
    writers.set(key, writer);
  }
  return writer;
}

function roundTrip(type: AvroSchema, value: unknown): unknown {
  const writer = writerFor(type);
  return (decode(writer, encode(writer, { v: value })) as { v: unknown }).v;
}

function codedError(code: ErrorCode, action: () => unknown): TributaryError {
  try {
    action();
  } catch (error) {
    if (isTributaryError(error, code)) return error;
    throw new Error(`expected ${code}, got ${String(error)}`);
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const ASTRAL = "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀👍🏽🇫🇷 𠜎𠜱";

// [name, schema, value] — each value must decode to itself.
const ROUND_TRIPS: ReadonlyArray<readonly [string, AvroSchema, unknown]> = [
  ["null", "null", null],
  ["boolean true", "boolean", true],
  ["boolean false", "boolean", false],
  ["int 0", "int", 0],
  ["int max", "int", INT32_MAX],
  ["int min", "int", INT32_MIN],
  ["long 0", "long", 0n],
  ["long -1", "long", -1n],
  ["long beyond 2^53", "long", 9007199254740993n],
  ["long max", "long", INT64_MAX],
  ["long min", "long", INT64_MIN],
  ["float", "float", Math.fround(1.1)],
  ["float max", "float", Math.fround(3.4028234663852886e38)],
  ["float NaN", "float", Number.NaN],
  ["float +Infinity", "float", Number.POSITIVE_INFINITY],
  ["float -Infinity", "float", Number.NEGATIVE_INFINITY],
  ["float -0", "float", -0],
  ["double 0.1", "double", 0.1],
  ["double max", "double", Number.MAX_VALUE],
  ["double min subnormal", "double", Number.MIN_VALUE],
  ["double NaN", "double", Number.NaN],
  ["double +Infinity", "double", Number.POSITIVE_INFINITY],
  ["double -Infinity", "double", Number.NEGATIVE_INFINITY],
  ["double -0", "double", -0],
  ["string empty", "string", ""],
  ["string ascii", "string", "hello"],
  ["string Latin-1 and CJK", "string", "héllo wörld 日本語"],
  ["string short astral (< 64 bytes)", "string", "a😀b"],
  ["string astral", "string", ASTRAL],
  ["string long astral", "string", ASTRAL.repeat(50)],
  ["string mixed widths", "string", "aé€😀".repeat(20)],
  ["bytes empty", "bytes", Buffer.alloc(0)],
  ["bytes all values", "bytes", Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
  ["date epoch", DATE, 0],
  ["date before 1970", DATE, -1],
  ["date year 1", DATE, -719162],
  ["date 2100", DATE, 47482],
  ["date +infinity sentinel", DATE, INT32_MAX],
  ["date -infinity sentinel", DATE, INT32_MIN],
  ["time 00:00", TIME, 0n],
  ["time 23:59:59.999999", TIME, 86_399_999_999n],
  ["time 24:00:00", TIME, 86_400_000_000n],
  ["timestamp epoch", TIMESTAMP, 0n],
  ["timestamp 1901", TIMESTAMP, micros("1901-12-13T20:45:52Z", 123456n)],
  ["timestamp year 1", TIMESTAMP, micros("0001-01-01T00:00:00Z")],
  ["timestamp 1 µs before epoch", TIMESTAMP, -1n],
  ["timestamp 2038 overflow point", TIMESTAMP, micros("2038-01-19T03:14:08Z")],
  ["timestamp 2100", TIMESTAMP, micros("2100-01-01T00:00:00Z", 999_999n)],
  ["timestamp year 275759", TIMESTAMP, micros("+275759-12-31T23:59:59Z")],
  ["timestamp +infinity sentinel", TIMESTAMP, INT64_MAX],
  ["timestamp -infinity sentinel", TIMESTAMP, INT64_MIN],
  ["timestamp largest finite", TIMESTAMP, INT64_MAX - 1n],
  ["local timestamp 1901", LOCAL_TIMESTAMP, micros("1901-01-01T00:00:00Z")],
  ["local timestamp 2100", LOCAL_TIMESTAMP, micros("2100-12-31T23:59:59Z", 999_999n)],
  ["local timestamp +infinity sentinel", LOCAL_TIMESTAMP, INT64_MAX],
  ["local timestamp -infinity sentinel", LOCAL_TIMESTAMP, INT64_MIN],
  ["uuid", UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  ["uuid upper case", UUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"],
  ["uuid nil", UUID, "00000000-0000-0000-0000-000000000000"],
  ["array of int", { type: "array", items: "int" }, [1, 2, 3]],
  ["empty array", { type: "array", items: "string" }, []],
  ["array of nullable long", { type: "array", items: ["null", "long"] }, [1n, null, INT64_MIN, null]],
  ["array of only nulls", { type: "array", items: ["null", "string"] }, [null, null]],
  ["nested arrays", { type: "array", items: { type: "array", items: "string" } }, [["a", "b"], [], [ASTRAL]]],
  [
    "nested arrays with nullable items",
    { type: "array", items: ["null", { type: "array", items: ["null", decimal(5, 2)] }] },
    [["1.00", null, "-999.99"], null, []],
  ],
  ["array of uuid", { type: "array", items: UUID }, ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]],
  ["array of timestamps", { type: "array", items: TIMESTAMP }, [INT64_MIN, 0n, INT64_MAX]],
  ["array of bytes", { type: "array", items: "bytes" }, [Buffer.alloc(0), Buffer.from([0])]],
  ["map of long", { type: "map", values: "long" }, { a: 1n, "key with spaces 😀": -1n }],
  ["enum", { type: "enum", name: "Mood", symbols: ["sad", "ok", "happy"] }, "ok"],
  ["fixed", { type: "fixed", name: "Four", size: 4 }, Buffer.from([1, 2, 3, 4])],
];

const NULLABLE_TYPES: ReadonlyArray<readonly [string, AvroSchema, unknown]> = [
  ["boolean", "boolean", false],
  ["int", "int", 0],
  ["long", "long", 0n],
  ["float", "float", 0],
  ["double", "double", 0],
  ["string", "string", ""],
  ["bytes", "bytes", Buffer.alloc(0)],
  ["decimal", decimal(10, 2), "0.00"],
  ["date", DATE, 0],
  ["time-micros", TIME, 0n],
  ["timestamp-micros", TIMESTAMP, 0n],
  ["local-timestamp-micros", LOCAL_TIMESTAMP, 0n],
  ["uuid", UUID, "00000000-0000-0000-0000-000000000000"],
  ["array", { type: "array", items: "int" }, []],
];

describe("codec round trips", () => {
  it.each(ROUND_TRIPS)("%s", (_name, type, value) => {
    expect(roundTrip(type, value)).toEqual(value);
  });

  it.each(NULLABLE_TYPES)("['null', %s] holds null and a zero value", (_name, type, zero) => {
    expect(roundTrip(["null", type], null)).toBeNull();
    expect(roundTrip(["null", type], zero)).toEqual(zero);
  });

  it("keeps -0 distinct from 0 and NaN as NaN", () => {
    expect(Object.is(roundTrip("double", -0), -0)).toBe(true);
    expect(Number.isNaN(roundTrip("float", Number.NaN))).toBe(true);
  });

  it("decodes longs as bigints and ints as numbers", () => {
    expect(typeof roundTrip("long", 5n)).toBe("bigint");
    expect(typeof roundTrip(TIMESTAMP, 5n)).toBe("bigint");
    expect(typeof roundTrip(DATE, 5)).toBe("number");
  });

  it("round-trips 10 MB of bytes", () => {
    const big = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    const decoded = roundTrip("bytes", big) as Buffer;
    expect(decoded.length).toBe(big.length);
    expect(decoded.equals(big)).toBe(true);
  });

  it("returns independent buffers across calls and sizes", () => {
    const writer = writerFor("string");
    const first = encode(writer, { v: "first" });
    const copy = Buffer.from(first);
    const middle = encode(writer, { v: "m".repeat(300_000) }); // grows the scratch buffer
    const huge = encode(writer, { v: "h".repeat(3_000_000) }); // bypasses it
    const last = encode(writer, { v: "last" });
    expect(first.equals(copy)).toBe(true);
    expect(decode(writer, first)).toEqual({ v: "first" });
    expect((decode(writer, middle) as { v: string }).v).toHaveLength(300_000);
    expect((decode(writer, huge) as { v: string }).v).toHaveLength(3_000_000);
    expect(decode(writer, last)).toEqual({ v: "last" });
  });

  it("round-trips records with nulls in every nullable position", () => {
    const writer = compileSchema({
      type: "record",
      name: "Row",
      fields: [
        ...NULLABLE_TYPES.map(([name, type]) => ({
          name: `n_${name.replace(/-/g, "_")}`,
          type: ["null", type],
        })),
        {
          name: "nested",
          type: [
            "null",
            {
              type: "record",
              name: "Inner",
              fields: [{ name: "x", type: ["null", { type: "array", items: ["null", "long"] }] }],
            },
          ],
        },
      ],
    });
    const allNull = Object.fromEntries([
      ...NULLABLE_TYPES.map(([name]) => [`n_${name.replace(/-/g, "_")}`, null]),
      ["nested", null],
    ]);
    expect(decode(writer, encode(writer, allNull))).toEqual(allNull);
    const innerNull = { ...allNull, nested: { x: null } };
    expect(decode(writer, encode(writer, innerNull))).toEqual(innerNull);
    const itemNull = { ...allNull, nested: { x: [null, 1n] } };
    expect(decode(writer, encode(writer, itemNull))).toEqual(itemNull);
  });

  it("uses field defaults for missing fields", () => {
    const writer = compileSchema({
      type: "record",
      name: "D",
      fields: [
        { name: "a", type: ["null", "long"], default: null },
        { name: "b", type: "long", default: 42 },
        { name: "c", type: decimal(5, 2), default: "\u0004\u00e2" }, // 12.50: unscaled 1250 = 0x04E2
        { name: "d", type: { type: "array", items: "string" }, default: [] },
      ],
    });
    expect(decode(writer, encode(writer, {}))).toEqual({ a: null, b: 42n, c: "12.50", d: [] });
  });
});

describe("decimal", () => {
  // [precision, scale, input, decoded]
  const CASES: ReadonlyArray<readonly [number, number, unknown, string]> = [
    [38, 10, "9999999999999999999999999999.9999999999", "9999999999999999999999999999.9999999999"],
    [38, 10, "-9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999"],
    [38, 10, "0", "0.0000000000"],
    [38, 10, "-0.0000000001", "-0.0000000001"],
    [1, 0, "9", "9"],
    [1, 0, "-9", "-9"],
    [1, 0, "0", "0"],
    [1, 1, "0.9", "0.9"],
    [1, 1, "-0.9", "-0.9"],
    [20, 0, "18446744073709551615", "18446744073709551615"],
    [20, 0, 18446744073709551615n, "18446744073709551615"],
    [20, 0, -1n, "-1"],
    [10, 2, "0.5", "0.50"],
    [10, 2, ".5", "0.50"],
    [10, 2, "5.", "5.00"],
    [10, 2, "+7", "7.00"],
    [10, 2, "-0", "0.00"],
    [10, 2, "-0.01", "-0.01"],
    [10, 2, "007.10", "7.10"],
    [10, 2, "1.500", "1.50"],
    [10, 2, "1.5e1", "15.00"],
    [10, 2, "1250E-2", "12.50"],
    [10, 2, 12n, "12.00"],
    [10, 2, 0.1, "0.10"],
    [10, 2, -12.34, "-12.34"],
    [10, 2, 1e7, "10000000.00"],
    [10, 2, 127, "127.00"],
    [10, 2, 1.28, "1.28"],
    [10, 2, "-1.28", "-1.28"],
    [10, 2, "-1.29", "-1.29"],
    [5, 5, "0.12345", "0.12345"],
    [5, 5, "-0.00001", "-0.00001"],
    [100, 50, `${"9".repeat(50)}.${"1".repeat(50)}`, `${"9".repeat(50)}.${"1".repeat(50)}`],
  ];

  it.each(CASES)("decimal(%i,%i) %s → %s", (precision, scale, input, decoded) => {
    expect(roundTrip(decimal(precision, scale), input)).toBe(decoded);
  });

  it.each(CASES)("decimal(%i,%i) on fixed[17] %s → %s", (precision, scale, input, decoded) => {
    if (precision > 40) return; // a fixed of 17 bytes holds 40 digits
    const type: AvroSchema = {
      type: "fixed",
      name: "D17",
      size: 17,
      logicalType: "decimal",
      precision,
      scale,
    };
    expect(roundTrip(type, input)).toBe(decoded);
  });

  // The spec's encoding: big-endian two's complement of the unscaled value, shortest form.
  it.each<[string, string]>([
    ["0.00", "00"],
    ["1.00", "64"],
    ["-1.00", "9c"],
    ["1.27", "7f"],
    ["1.28", "0080"],
    ["-1.28", "80"],
    ["-1.29", "ff7f"],
    ["327.67", "7fff"],
    ["327.68", "008000"],
  ])("encodes %s as bytes %s", (value, hex) => {
    const writer = compileSchema(decimal(10, 2));
    const body = encodeBody(writer, value);
    const length = hex.length / 2;
    expect(body[0]).toBe(length * 2); // zigzag length prefix
    expect(body.subarray(1).toString("hex")).toBe(hex);
  });

  // [precision, scale, input, reason fragment]
  const REJECTED: ReadonlyArray<readonly [number, number, unknown, string]> = [
    [10, 2, "1.234", "3 fraction digits but the scale is 2"],
    [10, 2, "-0.001", "3 fraction digits"],
    [10, 2, 0.1 + 0.2, "fraction digits"],
    [10, 2, "123456789.12", "needs 11 digits"],
    [38, 10, "10000000000000000000000000000", "needs 39 digits"],
    [38, 10, "99999999999999999999999999999.9999999999", "needs 39 digits"],
    [1, 0, "10", "needs 2 digits"],
    [1, 0, 10n, "needs 2 digits"],
    [1, 0, "0.5", "1 fraction digits but the scale is 0"],
    [10, 2, "abc", "not a decimal number"],
    [10, 2, "", "not a decimal number"],
    [10, 2, "1.2.3", "not a decimal number"],
    [10, 2, "NaN", "not a decimal number"],
    [10, 2, "Infinity", "not a decimal number"],
    [10, 2, " 1", "not a decimal number"],
    [10, 2, Number.NaN, "NaN or Infinity"],
    [10, 2, Number.POSITIVE_INFINITY, "NaN or Infinity"],
    [10, 2, true, "expected a decimal string"],
    [10, 2, Buffer.from([1]), "expected a decimal string"],
  ];

  it.each(REJECTED)("decimal(%i,%i) rejects %s (never rounds)", (precision, scale, input, reason) => {
    const error = codedError("TRB_CODEC_ENCODE", () => roundTrip(decimal(precision, scale), input));
    expect(error.message).toContain(reason);
    expect(error.details.path).toBe("v");
  });

  it.each(REJECTED)(
    "['null', decimal(%i,%i)] rejects %s with the same reason",
    (precision, scale, input, reason) => {
      const error = codedError("TRB_CODEC_ENCODE", () =>
        roundTrip(["null", decimal(precision, scale)], input),
      );
      expect(error.message).toContain(reason);
    },
  );

  it.each<[string, Record<string, unknown>]>([
    ["scale above precision", { precision: 2, scale: 3 }],
    ["zero precision", { precision: 0, scale: 0 }],
    ["missing precision", { scale: 0 }],
    ["fractional scale", { precision: 5, scale: 1.5 }],
  ])("refuses a decimal schema with %s", (_name, attributes) => {
    codedError("TRB_SCHEMA_INVALID", () =>
      compileSchema({ type: "bytes", logicalType: "decimal", ...attributes }),
    );
  });

  it("refuses a decimal wider than its fixed", () => {
    codedError("TRB_SCHEMA_INVALID", () =>
      compileSchema({ type: "fixed", name: "F", size: 2, logicalType: "decimal", precision: 5, scale: 0 }),
    );
  });
});

describe("encode errors", () => {
  const writer = compileSchema({
    type: "record",
    name: "Row",
    namespace: "t",
    fields: [
      { name: "id", type: "long" },
      { name: "tags", type: { type: "array", items: ["null", "string"] } },
      { name: "when", type: ["null", TIMESTAMP], default: null },
      { name: "at", type: TIME, default: 0 },
      { name: "n", type: "int", default: 0 },
      { name: "u", type: ["null", UUID], default: null },
      {
        name: "inner",
        type: ["null", { type: "record", name: "Inner", fields: [{ name: "d", type: DATE }] }],
        default: null,
      },
    ],
  });
  const valid = { id: 1n, tags: [] };

  // [name, value, path, reason fragment, value type]
  const CASES: ReadonlyArray<readonly [string, Record<string, unknown>, string, string, string]> = [
    ["a number for a long", { ...valid, id: 1 }, "id", "expected a bigint", "an integer number"],
    ["a long out of range", { ...valid, id: INT64_MAX + 1n }, "id", "64-bit range", "a bigint"],
    ["a missing field", { tags: [] }, "id", "the value is missing", "undefined"],
    ["a bad array item", { ...valid, tags: ["a", 5] }, "tags[1]", "expected a string", "an integer number"],
    ["a non-array", { ...valid, tags: "a,b" }, "tags", "expected an array", "a string"],
    ["a Date for a timestamp", { ...valid, when: new Date(0) }, "when", "expected a bigint", "a Date"],
    ["time after 24:00", { ...valid, at: 86_400_000_001n }, "at", "0 to 86400000000", "a bigint"],
    ["negative time", { ...valid, at: -1n }, "at", "0 to 86400000000", "a bigint"],
    ["a fractional int", { ...valid, n: 1.5 }, "n", "32-bit", "a fractional number"],
    ["an int overflow", { ...valid, n: 2 ** 31 }, "n", "32-bit", "an integer number"],
    ["a bad uuid", { ...valid, u: "not-a-uuid" }, "u", "not a uuid", "a string"],
    ["a nested bad date", { ...valid, inner: { d: "2024-01-01" } }, "inner.d", "32-bit", "a string"],
    ["null for a non-null field", { ...valid, id: null }, "id", "expected a bigint", "null"],
  ];

  it.each(CASES)("names the field and the value's type for %s", (_name, value, path, reason, valueType) => {
    const error = codedError("TRB_CODEC_ENCODE", () => encode(writer, value));
    expect(error.details).toMatchObject({ path, valueType, fingerprint: writer.fingerprint });
    expect(error.message).toContain(`field ${path} `);
    expect(error.message).toContain(reason);
    expect(error.message).toContain(`got ${valueType}`);
    expect(error.retriable).toBe(false);
  });

  it("never puts the value itself in the message", () => {
    const error = codedError("TRB_CODEC_ENCODE", () =>
      encode(writer, { ...valid, u: "secret-password-123" }),
    );
    expect(error.message).not.toContain("secret-password-123");
    expect(JSON.stringify(error.details)).not.toContain("secret-password-123");
  });

  it("rejects a non-object root", () => {
    const error = codedError("TRB_CODEC_ENCODE", () => encode(writer, "row"));
    expect(error.details.path).toBe("(root)");
  });

  it("stays usable after a failed encode", () => {
    codedError("TRB_CODEC_ENCODE", () => encode(writer, { ...valid, id: "x" }));
    expect(decode(writer, encode(writer, valid))).toMatchObject({ id: 1n, tags: [] });
  });
});

describe("single-object framing", () => {
  const writer = compileSchema({ type: "record", name: "R", fields: [{ name: "s", type: "string" }] });
  const other = compileSchema({
    type: "record",
    name: "R",
    fields: [{ name: "s", type: "string", "tributary.x": 1 }],
  });
  const message = encode(writer, { s: "hello" });

  it("writes C3 01, the fingerprint, then the body", () => {
    expect(message.subarray(0, 2).toString("hex")).toBe("c301");
    expect(message.subarray(2, 10).toString("hex")).toBe(writer.fingerprint);
    expect(message.subarray(10).toString("hex")).toBe(Buffer.from("\u000ahello").toString("hex"));
    expect(isSingleObject(message)).toBe(true);
    expect(peekFingerprint(message)).toBe(writer.fingerprint);
  });

  it("round-trips bare bodies too", () => {
    const body = encodeBody(writer, { s: "😀" });
    expect(decodeBody(writer, body)).toEqual({ s: "😀" });
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), body]);
    expect(decodeBody(writer, framed, 5)).toEqual({ s: "😀" });
  });

  it.each<[string, Buffer]>([
    ["empty", Buffer.alloc(0)],
    ["garbage", Buffer.from("not avro at all")],
    ["Confluent framing", Buffer.from([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7])],
    ["the marker alone", Buffer.from([0xc3, 0x01])],
    ["a header cut short", message.subarray(0, 9)],
    ["a wrong second marker byte", Buffer.from([0xc3, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 0])],
  ])("peekFingerprint and decode refuse %s", (_name, bytes) => {
    expect(isSingleObject(bytes)).toBe(false);
    codedError("TRB_CODEC_NOT_SINGLE_OBJECT", () => peekFingerprint(bytes));
    codedError("TRB_CODEC_NOT_SINGLE_OBJECT", () => decode(writer, bytes));
  });

  it("refuses a message of another schema", () => {
    const error = codedError("TRB_CODEC_FINGERPRINT_MISMATCH", () => decode(other, message));
    expect(error.details).toEqual({ expected: other.fingerprint, found: writer.fingerprint });
  });

  it.each<[string, Buffer, string]>([
    ["header only", message.subarray(0, 10), "truncated"],
    ["last byte cut", message.subarray(0, message.length - 1), "truncated"],
    ["one trailing byte", Buffer.concat([message, Buffer.from([0])]), "trailing"],
    ["many trailing bytes", Buffer.concat([message, message]), "trailing"],
  ])("refuses %s with TRB_CODEC_DECODE", (_name, bytes, kind) => {
    const error = codedError("TRB_CODEC_DECODE", () => decode(writer, bytes));
    expect(error.details.kind).toBe(kind);
  });

  it.each<[string, AvroSchema, unknown]>([
    ["a decimal", decimal(38, 10), "-12345.6789"],
    ["a long", "long", INT64_MIN],
    ["a nullable string", ["null", "string"], "abc"],
    ["an array", { type: "array", items: "long" }, [1n, 2n, 3n]],
  ])("refuses every truncation of %s", (_name, type, value) => {
    const writer = writerFor(type);
    const full = encode(writer, { v: value });
    for (let length = 10; length < full.length; length++) {
      codedError("TRB_CODEC_DECODE", () => decode(writer, full.subarray(0, length)));
    }
  });

  it("refuses a corrupt union branch index", () => {
    const nullable = writerFor(["null", "string"]);
    // Union branch index 63 (zigzag 0x7e) of a two-branch union.
    const corrupt = Buffer.concat([encode(nullable, { v: null }).subarray(0, 10), Buffer.from([0x7e])]);
    const error = codedError("TRB_CODEC_DECODE", () => decode(nullable, corrupt));
    expect(error.details.kind).toBe("corrupt");
  });

  it("refuses a writer that compileSchema did not return", () => {
    const fake = {
      fingerprint: writer.fingerprint,
      schema: writer.schema,
      canonicalForm: writer.canonicalForm,
    };
    codedError("TRB_USAGE", () => encode(fake, { s: "x" }));
    codedError("TRB_USAGE", () => decode(fake, message));
  });
});

describe("compileSchema", () => {
  it("exposes the extended canonical form and its fingerprint", () => {
    const writer = compileSchema({ type: "long", logicalType: "timestamp-micros" });
    expect(writer.canonicalForm).toBe('{"type":"long","logicalType":"timestamp-micros"}');
    expect(writer.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.isFrozen(writer)).toBe(true);
  });

  it("gives the same fingerprint to a schema that went through JSON", () => {
    const schema: AvroSchema = {
      type: "record",
      name: "R",
      fields: [{ name: "d", type: decimal(12, 4), "tributary.sourceType": "numeric(12,4)" }],
    };
    const again = compileSchema(JSON.parse(JSON.stringify(schema)) as AvroSchema);
    expect(again.fingerprint).toBe(compileSchema(schema).fingerprint);
    expect(compileSchema(JSON.parse(again.canonicalForm) as AvroSchema).fingerprint).toBe(again.fingerprint);
  });

  it.each<[string, unknown]>([
    ["an invalid field name", { type: "record", name: "R", fields: [{ name: "a-b", type: "int" }] }],
    ["an unknown type", { type: "record", name: "R", fields: [{ name: "a", type: "Nope" }] }],
    [
      "a duplicate type name",
      ["null", { type: "fixed", name: "F", size: 1 }, { type: "fixed", name: "F", size: 2 }],
    ],
    [
      "a default of the wrong type",
      { type: "record", name: "R", fields: [{ name: "a", type: "int", default: "x" }] },
    ],
    ["a record without fields", { type: "record", name: "R" }],
  ])("refuses %s with TRB_SCHEMA_INVALID", (_name, schema) => {
    codedError("TRB_SCHEMA_INVALID", () => compileSchema(schema as AvroSchema));
  });
});

describe("long encoding", () => {
  /** Zig-zag varint of a 64-bit value, as the Avro specification defines it. */
  function referenceLong(value: bigint): number[] {
    let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    const bytes: number[] = [];
    while (zigzag >= 0x80n) {
      bytes.push(Number(zigzag & 0x7fn) | 0x80);
      zigzag >>= 7n;
    }
    bytes.push(Number(zigzag));
    return bytes;
  }

  it("writes every long, safe integers and beyond, as the specification's zig-zag varint", () => {
    const writer = compileSchema({
      type: "record",
      name: "Longs",
      fields: [
        { name: "plain", type: "long" },
        { name: "nullable", type: ["null", "long"] },
        { name: "micros", type: { type: "long", logicalType: "timestamp-micros" } },
        { name: "time", type: { type: "long", logicalType: "time-micros" } },
      ],
    });
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    const values = [
      0n,
      1n,
      -1n,
      63n,
      -64n,
      64n,
      1n << 30n,
      -(1n << 30n),
      (1n << 31n) - 1n,
      -(1n << 31n),
      safe,
      -safe,
      safe + 1n,
      -safe - 1n,
      (1n << 63n) - 1n,
      -(1n << 63n),
      1_700_000_000_123_456n,
      -62_135_596_800_000_000n,
    ];
    for (const value of values) {
      const time = value < 0n ? -value % 86_400_000_000n : value % 86_400_000_001n;
      const encoded = encode(writer, { plain: value, nullable: value, micros: value, time });
      const expected = [
        ...referenceLong(value),
        2,
        ...referenceLong(value),
        ...referenceLong(value),
        ...referenceLong(time),
      ];
      expect([...encoded.subarray(SINGLE_OBJECT_HEADER_LENGTH)]).toEqual(expected);
      expect(decode(writer, encoded)).toEqual({ plain: value, nullable: value, micros: value, time });
    }
  });

  it("still refuses a long out of its range or of the wrong type", () => {
    const writer = compileSchema({
      type: "record",
      name: "Times",
      fields: [{ name: "time", type: { type: "long", logicalType: "time-micros" } }],
    });
    expect(() => encode(writer, { time: 86_400_000_001n })).toThrow(/TRB_CODEC_ENCODE|time/);
    expect(() => encode(writer, { time: -1n })).toThrow();
    expect(() => encode(writer, { time: 5 })).toThrow();
  });
});
