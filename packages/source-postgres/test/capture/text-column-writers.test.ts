/**
 * Each column writer must write, for every text value, exactly the bytes the general path
 * writes: the value its text parser produces, encoded through the compiled envelope schema.
 */
import {
  AvroBinaryWriter,
  type AvroRecordSchema,
  buildTableSchemas,
  type ColumnType,
  compileSchema,
  partEncoder,
  type WriterSchema,
} from "@tributary/core";
import { describe, expect, it } from "vitest";
import { copyFieldWriter, textColumnWriter } from "../../src/capture/text-column-writers.js";
import { copyLineValues, unescapeField } from "../../src/snapshot/copy-text.js";
import {
  arrayParser,
  parseBoolean,
  parseBytea,
  parseDate,
  parseFloat4,
  parseFloat8,
  parseInt32,
  parseInt64,
  parseText,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  parseUuid,
  type TextParser,
} from "../../src/types/index.js";

interface Case {
  name: string;
  type: ColumnType;
  parse: TextParser;
  texts: string[];
}

const decimal = (precision: number, scale: number): ColumnType => ({
  kind: "decimal",
  precision,
  scale,
  specialValues: true,
});

const LONG_TEXT = `${"ascii ".repeat(30)}é中🎉`;

const CASES: Case[] = [
  {
    name: "c_int",
    type: { kind: "int" },
    parse: parseInt32,
    texts: [
      "0",
      "1",
      "-1",
      "63",
      "64",
      "-64",
      "-65",
      "8191",
      "8192",
      "-2147483648",
      "2147483647",
      "1073741824",
      "-1073741825",
    ],
  },
  {
    name: "c_long",
    type: { kind: "long" },
    parse: parseInt64,
    texts: [
      "0",
      "-1",
      "1000000",
      "999999999999999",
      "-999999999999999",
      "1000000000000000",
      "4503599627370496",
      "-4503599627370497",
      "9223372036854775807",
      "-9223372036854775808",
      "1073741823",
      "1073741824",
      "-1073741824",
      "-1073741825",
      "2147483648",
    ],
  },
  {
    name: "c_text",
    type: { kind: "string" },
    parse: parseText,
    texts: [
      "",
      "a",
      "x".repeat(21),
      "x".repeat(22),
      "x".repeat(63),
      "x".repeat(64),
      "x".repeat(200),
      "é",
      "中文字",
      "🎉",
      "é".repeat(21),
      "é".repeat(30),
      `${"a".repeat(40)}é`,
      `${"a".repeat(20)}中`,
      "中".repeat(21),
      "🎉".repeat(11),
      LONG_TEXT,
      "nul\u0000byte",
    ],
  },
  {
    name: "c_bool",
    type: { kind: "boolean" },
    parse: parseBoolean,
    texts: ["t", "f"],
  },
  {
    name: "c_float8",
    type: { kind: "double" },
    parse: parseFloat8,
    texts: [
      "0",
      "-0",
      "1.5",
      "0.1",
      "1e308",
      "-1e-308",
      "5e-324",
      "NaN",
      "Infinity",
      "-Infinity",
      "3.141592653589793",
    ],
  },
  {
    name: "c_float4",
    type: { kind: "float" },
    parse: parseFloat4,
    texts: ["0", "-0", "1.5", "0.1", "3.4028235e+38", "1.4e-45", "NaN", "Infinity", "-Infinity", "16777217"],
  },
  {
    name: "c_numeric",
    type: decimal(12, 2),
    parse: parseText,
    texts: [
      "0.00",
      "-0.00",
      "1.00",
      "-1.00",
      "1.27",
      "1.28",
      "-1.28",
      "-1.29",
      "327.67",
      "327.68",
      "-327.68",
      "-327.69",
      "9999999999.99",
      "-9999999999.99",
      "12345.6",
      "12345",
      "1.5e2",
      "NaN",
      "Infinity",
      "-Infinity",
      "0.10",
    ],
  },
  {
    name: "c_numeric_wide",
    type: decimal(30, 10),
    parse: parseText,
    texts: [
      "0.0000000000",
      "12345.0000000001",
      "-12345.0000000001",
      "99999999999999999999.9999999999",
      "-0.0000000001",
      "12345.6789000000",
    ],
  },
  {
    name: "c_numeric_int",
    type: decimal(15, 0),
    parse: parseText,
    texts: [
      "0",
      "127",
      "128",
      "-128",
      "-129",
      "999999999999999",
      "-999999999999999",
      "32767",
      "32768",
      "8388608",
      "-8388609",
    ],
  },
  {
    name: "c_numeric_frac",
    type: decimal(5, 5),
    parse: parseText,
    texts: ["0.00123", "-0.99999", "0.00000"],
  },
  {
    name: "c_date",
    type: { kind: "date" },
    parse: parseDate,
    texts: [
      "1970-01-01",
      "2024-02-29",
      "1969-12-31",
      "0044-03-15 BC",
      "5874897-12-31",
      "4713-11-24 BC",
      "infinity",
      "-infinity",
    ],
  },
  {
    name: "c_timestamptz",
    type: { kind: "timestamp-micros" },
    parse: parseTimestamptz,
    texts: [
      "2024-01-01 00:00:00+00",
      "2024-02-29 13:45:00.5+05:30",
      "1969-12-31 23:59:59.999999+00",
      "0044-03-15 12:00:00+00 BC",
      "4713-11-24 00:00:00+00 BC",
      "294246-12-31 23:59:59.999999+00",
      "infinity",
      "-infinity",
    ],
  },
  {
    name: "c_timestamp",
    type: { kind: "local-timestamp-micros" },
    parse: parseTimestamp,
    texts: [
      "2024-01-01 00:00:00",
      "2024-02-29 13:45:00.123456",
      "1900-01-01 00:00:00",
      "0001-01-01 00:00:00 BC",
      "infinity",
      "-infinity",
    ],
  },
  {
    name: "c_time",
    type: { kind: "time-micros" },
    parse: parseTime,
    texts: ["00:00:00", "13:45:00.5", "24:00:00"],
  },
  {
    name: "c_uuid",
    type: { kind: "uuid" },
    parse: parseUuid,
    texts: ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"],
  },
  {
    name: "c_bytea",
    type: { kind: "bytes" },
    parse: parseBytea,
    texts: ["\\x", "\\x00ff", `\\x${"ab".repeat(100)}`],
  },
  {
    name: "c_int_array",
    type: { kind: "array", items: { kind: "int" }, itemsNullable: true },
    parse: arrayParser(parseInt32, ",", 1),
    texts: ["{}", "{1,NULL,-3}"],
  },
  {
    name: "c_text_array",
    type: { kind: "array", items: { kind: "string" }, itemsNullable: true },
    parse: arrayParser(parseText, ",", 1),
    texts: ['{"a b",NULL,"",é}'],
  },
];

const schemas = buildTableSchemas({
  database: "db",
  schema: "public",
  table: "zoo",
  columns: CASES.map((c) => ({ name: c.name, type: c.type, nullable: true, sourceType: c.name })),
  key: [],
});
const writer: WriterSchema = compileSchema(schemas.value);
const row = (schemas.value.fields[0] as unknown as { type: [string, AvroRecordSchema] }).type[1];

function fieldType(name: string) {
  const field = row.fields.find((candidate) => candidate.name === name);
  if (field === undefined) throw new Error(name);
  return field.type;
}

function generalBytes(c: Case, text: string): Buffer {
  const output = new AvroBinaryWriter(16);
  partEncoder(writer, ["after", c.name])(c.parse(text), output);
  return output.copy();
}

function directBytes(c: Case, text: string, output = new AvroBinaryWriter(16)): Buffer {
  output.reset();
  const write = textColumnWriter(c.parse, fieldType(c.name), partEncoder(writer, ["after", c.name]));
  write(text, output);
  return output.copy();
}

describe("text column writers", () => {
  for (const c of CASES) {
    it.each(c.texts.map((text) => [text]))(
      `${c.name} %j is written as the general path writes it`,
      (text) => {
        let expected: Buffer | undefined;
        try {
          expected = generalBytes(c, text);
        } catch (error) {
          // A value the general path refuses is refused the same way.
          expect(() => directBytes(c, text)).toThrow((error as Error).message);
          return;
        }
        expect(directBytes(c, text).toString("hex")).toBe(expected.toString("hex"));
      },
    );
  }

  it("writes after other values, growing a buffer that is too small", () => {
    const output = new AvroBinaryWriter(4);
    output.writeString("prefix");
    const c = CASES.find((candidate) => candidate.name === "c_text") as Case;
    const write = textColumnWriter(c.parse, fieldType(c.name), partEncoder(writer, ["after", c.name]));
    write(LONG_TEXT, output);
    const expected = Buffer.concat([Buffer.from([12]), Buffer.from("prefix"), generalBytes(c, LONG_TEXT)]);
    expect(output.copy().toString("hex")).toBe(expected.toString("hex"));
  });

  it.each([
    ["c_numeric", "123.456"],
    ["c_numeric", "12345678901.00"],
    ["c_numeric", "1,5"],
    ["c_int", "1.5"],
    ["c_bool", "yes"],
    ["c_long", "12a"],
    ["c_long", "9223372036854775808"],
    ["c_date", "2024/01/01"],
    ["c_timestamptz", "294277-01-01 00:00:00+00"],
  ])("refuses %s %j as the general path does", (name, text) => {
    const c = CASES.find((candidate) => candidate.name === name) as Case;
    expect(() => generalBytes(c, text)).toThrow();
    expect(() => directBytes(c, text)).toThrow();
  });
});

describe("COPY field writers", () => {
  for (const c of CASES) {
    const texts = c.texts.filter((text) => !text.includes("\\"));
    it.each(texts.map((text) => [text]))(
      `${c.name} %j from its bytes is written as from its text`,
      (text) => {
        const general = partEncoder(writer, ["after", c.name]);
        const textWriter = textColumnWriter(c.parse, fieldType(c.name), general);
        const write = copyFieldWriter(textWriter, c.parse, fieldType(c.name));
        // The field sits inside a line, between other fields.
        const line = Buffer.from(`x\t${text}\ty\n`);
        const bytes = Buffer.from(text);
        let expected: Buffer;
        try {
          expected = directBytes(c, text);
        } catch {
          expect(() => write(line, 2, 2 + bytes.length, new AvroBinaryWriter(16))).toThrow();
          return;
        }
        const output = new AvroBinaryWriter(16);
        write(line, 2, 2 + bytes.length, output);
        expect(output.copy().toString("hex")).toBe(expected.toString("hex"));
      },
    );
  }
});

describe("COPY text lines", () => {
  it("splits fields at tabs, reads \\N as NULL and undoes the escapes", () => {
    const line = Buffer.from("1\t\\N\ta\\tb\\nc\\\\d\t\\101\\x42\\b\\f\\r\\v\tnaïve 😀\t\n", "utf8");
    expect(copyLineValues(line, 6)).toEqual(["1", null, "a\tb\nc\\d", "AB\b\f\r\v", "naïve 😀", ""]);
    expect(unescapeField(Buffer.from("\\\\N"), 0, 3)).toBe("\\N");
  });

  it("refuses a line without one field per column", () => {
    expect(() => copyLineValues(Buffer.from("1\t2\n"), 3)).toThrow(/fewer than the 3 columns/);
    expect(() => copyLineValues(Buffer.from("1\t2\t3\n"), 2)).toThrow(/more than the 2 columns/);
  });
});

describe("AvroBinaryWriter longs", () => {
  it.each([
    0,
    1,
    -1,
    63,
    -64,
    64,
    2 ** 30 - 1,
    2 ** 30,
    -(2 ** 30),
    -(2 ** 30) - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 52,
    -(2 ** 52),
    123456789012345,
  ])("writes %d as a zig-zag varint, as the compiled schema does", (value) => {
    const ts = compileSchema({ type: "record", name: "R", fields: [{ name: "v", type: "long" }] });
    const output = new AvroBinaryWriter(1);
    output.writeLong(value);
    const expected = new AvroBinaryWriter(1);
    partEncoder(ts, ["v"])(BigInt(value), expected);
    expect(output.copy().toString("hex")).toBe(expected.copy().toString("hex"));
  });
});
