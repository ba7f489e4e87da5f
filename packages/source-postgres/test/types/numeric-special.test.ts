/**
 * PostgreSQL numeric special values through core's schema and codec: a numeric(p,s) column may
 * hold NaN (an unconstrained numeric also ±Infinity), so its Avro type is the union of the
 * decimal and a string of logical type `tributary-numeric-special`.
 */
import {
  type AvroRecordSchema,
  type AvroSchema,
  buildTableSchemas,
  type ColumnDescription,
  type ColumnType,
  columnTypeToAvro,
  compileSchema,
  decode,
  type Envelope,
  encode,
  isTributaryError,
  type Row,
} from "@tributary/core";
import avsc from "avsc";
import { describe, expect, it } from "vitest";
import { numericType } from "../../src/types/index.js";

const NUMERIC_10_2: ColumnType = { kind: "decimal", precision: 10, scale: 2, specialValues: true };
const DECIMAL = { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 };
const SPECIAL = { type: "string", logicalType: "tributary-numeric-special" };

function table(columns: ColumnDescription[]) {
  return buildTableSchemas({ database: "db", schema: "public", table: "t", key: [], columns });
}

function rowSchema(value: AvroRecordSchema): AvroRecordSchema {
  const before = value.fields[0]?.type as readonly AvroSchema[];
  return before[1] as AvroRecordSchema;
}

function envelope(after: Row): Envelope {
  return {
    before: null,
    after,
    unchanged: [],
    op: "c",
    source: {
      connector: "postgres",
      name: "n",
      database: "db",
      schema: "public",
      table: "t",
      lsn: 1n,
      file: null,
      pos: null,
      gtid: null,
      txId: null,
      commitTsMs: null,
      snapshot: false,
    },
    origin: "o",
    ts_ms: 1n,
    transaction: null,
  };
}

const COLUMNS: ColumnDescription[] = [
  { name: "n", type: NUMERIC_10_2, nullable: true, sourceType: "numeric(10,2)" },
  { name: "required", type: NUMERIC_10_2, nullable: false, sourceType: "numeric(10,2)" },
  {
    name: "list",
    type: { kind: "array", items: NUMERIC_10_2, itemsNullable: true },
    nullable: true,
    sourceType: "numeric(10,2)[]",
  },
  {
    name: "wide",
    type: numericType(((2 << 16) | (-3 & 0x7ff)) + 4),
    nullable: true,
    sourceType: "numeric(2,-3)",
  },
];

describe("numeric special values", () => {
  it("maps numeric(p,s) to a decimal that allows special values", () => {
    expect(numericType(((10 << 16) | 2) + 4)).toEqual(NUMERIC_10_2);
    expect(columnTypeToAvro(NUMERIC_10_2)).toEqual([DECIMAL, SPECIAL]);
    expect(columnTypeToAvro({ kind: "decimal", precision: 10, scale: 2 })).toEqual(DECIMAL);
  });

  it("flattens the null branch into the union (Avro has no union inside a union)", () => {
    const fields = rowSchema(table(COLUMNS).value).fields;
    expect(fields[0]?.type).toEqual(["null", DECIMAL, SPECIAL]);
    expect(fields[1]?.type).toEqual([DECIMAL, SPECIAL]);
    expect(fields[2]?.type).toEqual(["null", { type: "array", items: ["null", DECIMAL, SPECIAL] }]);
  });

  it.each<[string, Row, Row?]>([
    ["finite values", { n: "12.50", required: "-99999999.99", list: ["0.01", null], wide: "12000" }],
    ["NaN", { n: "NaN", required: "NaN", list: ["NaN"], wide: "NaN" }],
    [
      "infinities and nulls",
      { n: null, required: "Infinity", list: ["-Infinity", null, "Infinity"], wide: null },
      undefined,
    ],
    [
      "fewer fraction digits than the scale",
      { n: "1.5", required: "7", list: [], wide: "0" },
      {
        n: "1.50",
        required: "7.00",
        list: [],
        wide: "0",
      },
    ],
  ])("round-trips %s through encode and decode", (_name, row, decoded = row) => {
    const writer = compileSchema(table(COLUMNS).value);
    expect((decode(writer, encode(writer, envelope(row))) as Envelope).after).toEqual(decoded);
  });

  it.each([
    ["nan", /NaN, Infinity, -Infinity/],
    ["-NaN", /NaN, Infinity, -Infinity/],
    ["1.234", /3 fraction digits but the scale is 2/],
    ["123456789.00", /needs 11 digits/],
  ])("refuses %j with TRB_CODEC_ENCODE and the reason", (value, reason) => {
    const writer = compileSchema(table(COLUMNS).value);
    try {
      encode(writer, envelope({ n: value, required: "1", list: null, wide: null }));
      expect.unreachable();
    } catch (error) {
      expect(isTributaryError(error, "TRB_CODEC_ENCODE")).toBe(true);
      expect(String(error)).toMatch(reason);
    }
  });

  it("keeps refusing NaN in a plain decimal (no special values)", () => {
    const writer = compileSchema(
      table([
        { name: "n", type: { kind: "decimal", precision: 10, scale: 2 }, nullable: true, sourceType: "d" },
      ]).value,
    );
    expect(() => encode(writer, envelope({ n: "NaN" }))).toThrow(/TRB_CODEC_ENCODE/);
  });

  it("gives the union and the plain decimal different fingerprints", () => {
    const plain = table([
      { ...(COLUMNS[0] as ColumnDescription), type: { kind: "decimal", precision: 10, scale: 2 } },
    ]);
    const special = table([COLUMNS[0] as ColumnDescription]);
    expect(compileSchema(plain.value).fingerprint).not.toBe(compileSchema(special.value).fingerprint);
  });

  it("keeps a finite default (first branch) and drops a special one", () => {
    const schema = (value: string) =>
      rowSchema(
        table([{ name: "d", type: NUMERIC_10_2, nullable: false, default: value, sourceType: "x" }]).value,
      ).fields[0];
    expect(schema("1.5")?.default).toBe("\u0000\u0096");
    expect(schema("NaN")).not.toHaveProperty("default");
  });

  it("reads as a plain union of bytes and string for Avro readers that do not know the logical type", () => {
    const writer = compileSchema(table(COLUMNS).value);
    const message = encode(writer, envelope({ n: "NaN", required: "12.34", list: null, wide: null }));
    const generic = avsc.Type.forSchema(table(COLUMNS).value as object, { wrapUnions: true });
    const decoded = generic.decode(message, 10).value as { after: Record<string, Record<string, unknown>> };
    const after = decoded.after["tributary.db.public.t.Value"] as Record<string, unknown>;
    expect(after.n).toEqual({ string: "NaN" });
    expect(after.required).toEqual({ bytes: Buffer.from([0x04, 0xd2]) });
  });
});
