import { describe, expect, it } from "vitest";
import { toAvroName, toUniqueAvroNames } from "../../src/avro/avro-names.js";
import {
  type AvroField,
  type AvroRecordSchema,
  type AvroSchema,
  isValidAvroName,
} from "../../src/avro/avro-schema.js";
import { extendedCanonicalForm } from "../../src/avro/canonical-form.js";
import { compileSchema, decode, encode } from "../../src/avro/codec.js";
import { fixedSchemas } from "../../src/avro/fixed-schemas.js";
import {
  buildTableSchemas,
  type ColumnDescription,
  type ColumnType,
  columnNameOf,
  type TableDescription,
  tableNamespace,
} from "../../src/avro/table-schema.js";
import { type ErrorCode, isTributaryError, type TributaryError } from "../../src/errors/TributaryError.js";
import type { Envelope, Row } from "../../src/events/change-event.js";

function codedError(code: ErrorCode, action: () => unknown): TributaryError {
  try {
    action();
  } catch (error) {
    if (isTributaryError(error, code)) return error;
    throw new Error(`expected ${code}, got ${String(error)}`);
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** The row record (`Value`) inside an envelope: the non-null branch of `before`. */
function rowRecord(envelope: AvroRecordSchema): AvroRecordSchema {
  const before = envelope.fields[0];
  if (before === undefined || !Array.isArray(before.type)) throw new Error("no before field");
  return (before.type as readonly AvroSchema[])[1] as AvroRecordSchema;
}

const column = (name: string, type: ColumnType, sourceType: string, extra: Partial<ColumnDescription> = {}) =>
  ({ name, type, sourceType, nullable: false, ...extra }) satisfies ColumnDescription;

/** Every ColumnType, each as a non-null and a nullable column, with a value and the decoded value. */
const TYPES: ReadonlyArray<readonly [string, ColumnType, string, unknown, unknown?]> = [
  ["boolean", { kind: "boolean" }, "bool", true],
  ["int", { kind: "int" }, "int4", -2147483648],
  ["long", { kind: "long" }, "int8", -9223372036854775808n],
  ["float", { kind: "float" }, "float4", Number.NaN],
  ["double", { kind: "double" }, "float8", Number.NEGATIVE_INFINITY],
  ["string", { kind: "string" }, "text", "naïve 😀 𠜎"],
  ["bytes", { kind: "bytes" }, "bytea", Buffer.from([0, 1, 254, 255])],
  ["decimal", { kind: "decimal", precision: 38, scale: 10 }, "numeric(38,10)", "-1.5", "-1.5000000000"],
  ["date", { kind: "date" }, "date", 2147483647],
  ["time-micros", { kind: "time-micros" }, "time(6)", 86_400_000_000n],
  ["timestamp-micros", { kind: "timestamp-micros" }, "timestamptz(6)", 9223372036854775807n],
  ["local-timestamp-micros", { kind: "local-timestamp-micros" }, "timestamp(6)", -62135596800000000n],
  ["uuid", { kind: "uuid" }, "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  ["array", { kind: "array", items: { kind: "int" }, itemsNullable: false }, "int4[]", [1, 2, 3]],
  [
    "array-nullable",
    { kind: "array", items: { kind: "decimal", precision: 5, scale: 2 }, itemsNullable: true },
    "numeric(5,2)[]",
    ["1", null, "-999.99"],
    ["1.00", null, "-999.99"],
  ],
  [
    "array-nested",
    {
      kind: "array",
      items: { kind: "array", items: { kind: "string" }, itemsNullable: true },
      itemsNullable: false,
    },
    "text[][]",
    [["a", null], []],
  ],
];

const EVERY_TYPE: TableDescription = {
  database: "shop",
  schema: "public",
  table: "every_type",
  key: ["id", "Order Nr"],
  columns: [
    column("id", { kind: "long" }, "int8"),
    column("Order Nr", { kind: "string" }, "varchar(20)"),
    ...TYPES.map(([name, type, sourceType]) => column(`c_${name.replace(/-/g, "_")}`, type, sourceType)),
    ...TYPES.map(([name, type, sourceType]) =>
      column(`n_${name.replace(/-/g, "_")}`, type, sourceType, { nullable: true }),
    ),
    column("mood", { kind: "string" }, "mood", {
      nullable: true,
      sourceProperties: { labels: ["sad", "ok", "happy"] },
    }),
  ],
};

function rowOf(useNulls: boolean, decoded: boolean, fieldNames: ReadonlyMap<string, string>): Row {
  const row: Record<string, unknown> = {
    [fieldNames.get("id") ?? ""]: 7n,
    [fieldNames.get("Order Nr") ?? ""]: "A-1",
    mood: useNulls ? null : "ok",
  };
  for (const [name, , , value, decodedValue] of TYPES) {
    const shown = decoded && decodedValue !== undefined ? decodedValue : value;
    row[`c_${name.replace(/-/g, "_")}`] = shown;
    row[`n_${name.replace(/-/g, "_")}`] = useNulls ? null : shown;
  }
  return row as Row;
}

describe("buildTableSchemas: a table with every column type", () => {
  const schemas = buildTableSchemas(EVERY_TYPE);
  const value = compileSchema(schemas.value);
  const key = compileSchema(schemas.key as AvroRecordSchema);

  const envelope = (before: Row | null, after: Row | null): Envelope => ({
    before,
    after,
    unchanged: after === null ? [] : ["c_bytes"],
    op: before === null ? "c" : after === null ? "d" : "u",
    source: {
      connector: "postgres",
      name: "shop",
      database: "shop",
      schema: "public",
      table: "every_type",
      lsn: 123n,
      file: null,
      pos: null,
      gtid: null,
      txId: "9",
      commitTsMs: 1_700_000_000_000n,
      snapshot: false,
    },
    origin: "dc1",
    ts_ms: 1_700_000_000_001n,
    transaction: before === null ? null : { id: "9", total_order: 1n, data_collection_order: 1n },
    array_lower_bounds: before === null ? null : { before: { c_array: [0] }, after: { c_array: [-3] } },
  });

  it.each([
    ["insert with values", null, rowOf(false, false, schemas.fieldNames)],
    ["insert with nulls", null, rowOf(true, false, schemas.fieldNames)],
    ["update", rowOf(true, false, schemas.fieldNames), rowOf(false, false, schemas.fieldNames)],
    ["delete", rowOf(false, false, schemas.fieldNames), null],
  ] as const)("round-trips a full envelope: %s", (_name, before, after) => {
    const event = envelope(before, after);
    const decoded = decode(value, encode(value, event)) as Envelope;
    expect(decoded).toEqual({
      ...event,
      before: before === null ? null : rowOf(before.mood === null, true, schemas.fieldNames),
      after: after === null ? null : rowOf(after.mood === null, true, schemas.fieldNames),
    });
  });

  it("round-trips the key", () => {
    const keyValue = { id: 7n, [schemas.fieldNames.get("Order Nr") ?? ""]: "A-1" };
    expect(decode(key, encode(key, keyValue))).toEqual(keyValue);
  });

  it("orders the envelope fields like the Envelope type, with the fixed source and transaction records", () => {
    const fields = schemas.value.fields;
    expect(fields.map((field: AvroField) => field.name)).toEqual([
      "before",
      "after",
      "unchanged",
      "op",
      "source",
      "origin",
      "ts_ms",
      "transaction",
      "array_lower_bounds",
    ]);
    expect(Object.keys(envelope(null, null))).toEqual(fields.map((field: AvroField) => field.name));
    const byName = new Map(fields.map((field: AvroField) => [field.name, field]));
    expect(byName.get("after")?.type).toEqual(["null", "tributary.shop.public.every_type.Value"]);
    expect(byName.get("unchanged")).toMatchObject({ type: { type: "array", items: "string" }, default: [] });
    expect(byName.get("source")?.type).toBe(fixedSchemas().source);
    expect(byName.get("transaction")).toMatchObject({
      type: ["null", fixedSchemas().transaction],
      default: null,
    });
    expect(byName.get("array_lower_bounds")).toMatchObject({
      type: ["null", fixedSchemas().arrayLowerBounds],
      default: null,
    });
  });

  it("gives the envelope an array_lower_bounds field only when a column is an array", () => {
    const withoutArrays = buildTableSchemas({
      ...EVERY_TYPE,
      columns: EVERY_TYPE.columns.filter((column) => column.type.kind !== "array"),
    });
    expect(withoutArrays.value.fields.map((field: AvroField) => field.name)).not.toContain(
      "array_lower_bounds",
    );
  });

  it("names records Key, Value and Envelope in the table's namespace, with the originals as properties", () => {
    const row = rowRecord(schemas.value);
    for (const record of [schemas.value, row, schemas.key as AvroRecordSchema]) {
      expect(record.namespace).toBe("tributary.shop.public.every_type");
      expect(record).toMatchObject({
        "tributary.database": "shop",
        "tributary.schema": "public",
        "tributary.table": "every_type",
      });
    }
    expect([schemas.value.name, row.name, schemas.key?.name]).toEqual(["Envelope", "Value", "Key"]);
    expect(schemas.key?.["tributary.key"]).toEqual(["id", "Order Nr"]);
    expect(schemas.value["tributary.key"]).toEqual(["id", "Order Nr"]);
  });

  it("carries the source type on every field and source properties as tributary.* properties", () => {
    const row = rowRecord(schemas.value);
    for (const field of row.fields) {
      expect(typeof field["tributary.sourceType"]).toBe("string");
    }
    const mood = row.fields.find((field: AvroField) => field.name === "mood");
    expect(mood).toMatchObject({
      type: ["null", "string"],
      default: null,
      "tributary.sourceType": "mood",
      "tributary.labels": ["sad", "ok", "happy"],
    });
    expect(extendedCanonicalForm(schemas.value)).toContain('"tributary.labels":["sad","ok","happy"]');
    const decimalField = row.fields.find((field: AvroField) => field.name === "c_decimal");
    expect(decimalField).toMatchObject({
      type: { type: "bytes", logicalType: "decimal", precision: 38, scale: 10 },
      "tributary.sourceType": "numeric(38,10)",
    });
    expect(row.fields.find((field: AvroField) => field.name === "n_timestamp_micros")).toMatchObject({
      type: ["null", { type: "long", logicalType: "timestamp-micros" }],
      default: null,
      "tributary.sourceType": "timestamptz(6)",
    });
  });

  it("survives JSON, as the schema store keeps it, with the same fingerprint", () => {
    const again = compileSchema(JSON.parse(JSON.stringify(schemas.value)) as AvroSchema);
    expect(again.fingerprint).toBe(value.fingerprint);
    expect(compileSchema(JSON.parse(value.canonicalForm) as AvroSchema).fingerprint).toBe(value.fingerprint);
  });
});

describe("buildTableSchemas: names", () => {
  const AWKWARD = [
    "first name",
    "first-name",
    "first_name",
    "1st",
    "Ünïcödé",
    "日付",
    "__proto__",
    "constructor",
    "",
    "ok_1",
  ];
  const table: TableDescription = {
    database: "my-db",
    schema: "Sales Data",
    table: "Order Items 2024",
    key: ["first name"],
    columns: AWKWARD.map((name) =>
      column(name, { kind: "int" }, "int4", { nullable: name !== "first name" }),
    ),
  };
  const schemas = buildTableSchemas(table);
  const row = rowRecord(schemas.value);

  it("gives every column a valid, unique Avro name", () => {
    const names = AWKWARD.map((name) => schemas.fieldNames.get(name));
    for (const name of names) expect(isValidAvroName(name ?? "")).toBe(true);
    expect(new Set(names).size).toBe(AWKWARD.length);
    expect(schemas.fieldNames.get("first_name")).toBe("first_name");
    expect(schemas.fieldNames.get("ok_1")).toBe("ok_1");
    expect(schemas.fieldNames.get("first name")).toMatch(/^first_name_[0-9a-f]{8}$/);
    expect(schemas.fieldNames.get("1st")).toMatch(/^_1st_[0-9a-f]{8}$/);
    expect(schemas.fieldNames.get("__proto__")).not.toBe("__proto__");
    expect(schemas.fieldNames.get("constructor")).not.toBe("constructor");
  });

  it("keeps the original name in tributary.column when it differs", () => {
    for (const field of row.fields) {
      const original = columnNameOf(field);
      expect(schemas.fieldNames.get(original)).toBe(field.name);
      expect(field["tributary.column"] === undefined).toBe(original === field.name);
    }
  });

  it("uses the same field names in the key", () => {
    expect(schemas.key?.fields.map((field: AvroField) => field.name)).toEqual([
      schemas.fieldNames.get("first name"),
    ]);
  });

  it("sanitizes the namespace and keeps the originals as record properties", () => {
    const namespace = schemas.value.namespace ?? "";
    expect(namespace.split(".").every(isValidAvroName)).toBe(true);
    expect(namespace).toMatch(
      /^tributary\.my_db_[0-9a-f]{8}\.Sales_Data_[0-9a-f]{8}\.Order_Items_2024_[0-9a-f]{8}$/,
    );
    expect(schemas.value).toMatchObject({
      "tributary.database": "my-db",
      "tributary.schema": "Sales Data",
      "tributary.table": "Order Items 2024",
    });
    expect(tableNamespace({ database: "shop", schema: null, table: "orders" })).toBe("tributary.shop.orders");
  });

  it("round-trips a row with awkward column names", () => {
    const writer = compileSchema(schemas.value);
    const after = Object.fromEntries(AWKWARD.map((name, i) => [schemas.fieldNames.get(name), i]));
    const event = {
      before: null,
      after,
      unchanged: [],
      op: "c",
      source: { connector: "mysql", name: "x", database: "my-db", schema: null, table: "t", snapshot: true },
      origin: "o",
      ts_ms: 0n,
      transaction: null,
    };
    const decoded = decode(writer, encode(writer, event)) as Envelope;
    expect(decoded.after).toEqual(after);
    expect(Object.getPrototypeOf(decoded.after)).not.toBe(null);
  });

  it("is deterministic and independent of the other columns", () => {
    expect(buildTableSchemas(table)).toEqual(schemas);
    expect(toAvroName("first name")).toBe(schemas.fieldNames.get("first name"));
    expect(toUniqueAvroNames(["first name"]).get("first name")).toBe(schemas.fieldNames.get("first name"));
    expect(toAvroName("a-b")).not.toBe(toAvroName("a b"));
  });

  it("resolves the unlikely clash of a sanitized name with a real column name", () => {
    const sanitized = toAvroName("x-y");
    const names = toUniqueAvroNames(["x-y", sanitized]);
    expect(names.get(sanitized)).toBe(sanitized);
    expect(names.get("x-y")).toBe(`${sanitized}_2`);
  });
});

describe("buildTableSchemas: keys, defaults and errors", () => {
  const base = (columns: ColumnDescription[], key: string[] = []): TableDescription => ({
    database: "d",
    schema: null,
    table: "t",
    columns,
    key,
  });
  const rowOfTable = (description: TableDescription): AvroRecordSchema =>
    rowRecord(buildTableSchemas(description).value);

  it("has a null key for a table without a key, and a nullable key field for a nullable key column", () => {
    expect(buildTableSchemas(base([column("a", { kind: "int" }, "int")])).key).toBeNull();
    const key = buildTableSchemas(base([column("a", { kind: "int" }, "int", { nullable: true })], ["a"])).key;
    expect(key?.fields[0]).toMatchObject({ name: "a", type: ["null", "int"], default: null });
  });

  // [column type, default value, Avro JSON default (undefined: no default)]
  const DEFAULTS: ReadonlyArray<readonly [ColumnType, ColumnDescription["default"], unknown]> = [
    [{ kind: "boolean" }, true, true],
    [{ kind: "int" }, -5, -5],
    [{ kind: "long" }, 42n, 42],
    [{ kind: "long" }, 2n ** 60n, undefined],
    [{ kind: "float" }, 1.5, 1.5],
    [{ kind: "double" }, Number.NaN, undefined],
    [{ kind: "string" }, "naïve", "naïve"],
    [{ kind: "bytes" }, Buffer.from([0xff, 0x00, 0x41]), "\u00ff\u0000A"],
    [{ kind: "decimal", precision: 5, scale: 2 }, "12.5", "\u0004\u00e2"],
    [{ kind: "decimal", precision: 5, scale: 2 }, "-1.28", "\u0080"],
    [{ kind: "date" }, 19000, 19000],
    [{ kind: "time-micros" }, 0n, 0],
    [{ kind: "timestamp-micros" }, 1_700_000_000_000_000n, 1_700_000_000_000_000],
    [{ kind: "local-timestamp-micros" }, 9223372036854775807n, undefined],
    [{ kind: "uuid" }, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
    [{ kind: "array", items: { kind: "long" }, itemsNullable: false }, [1n, 2n], [1, 2]],
    [{ kind: "array", items: { kind: "string" }, itemsNullable: false }, [], []],
  ];

  it.each(DEFAULTS)(
    "gives a non-null %o column with default %o the Avro default %o",
    (type, value, avroDefault) => {
      const description = base(
        [column("k", { kind: "int" }, "int"), column("c", type, "x", { default: value })],
        ["k"],
      );
      const row = rowOfTable(description);
      expect(row.fields[1]?.default).toEqual(avroDefault);
      // avsc validates the default, and fills it in for a writer that leaves the field out.
      const writer = compileSchema(row);
      const decoded = decode(writer, encode(writer, { k: 1, c: value })) as Row;
      if (avroDefault !== undefined) {
        expect(decode(writer, encode(writer, { k: 1 }))).toEqual(decoded);
      }
    },
  );

  it("gives a nullable column the default null whatever its own default", () => {
    const row = rowOfTable(base([column("c", { kind: "int" }, "int4", { nullable: true, default: 5 })]));
    expect(row.fields[0]).toMatchObject({ type: ["null", "int"], default: null });
  });

  it.each<[string, TableDescription]>([
    ["an unknown key column", base([column("a", { kind: "int" }, "int")], ["b"])],
    ["a key column listed twice", base([column("a", { kind: "int" }, "int")], ["a", "a"])],
    [
      "a column listed twice",
      base([column("a", { kind: "int" }, "int"), column("a", { kind: "long" }, "int8")]),
    ],
    [
      "a decimal scale above its precision",
      base([column("a", { kind: "decimal", precision: 2, scale: 3 }, "numeric")]),
    ],
    ["a default of the wrong type", base([column("a", { kind: "int" }, "int", { default: "5" })])],
    [
      "a decimal default that does not fit",
      base([column("a", { kind: "decimal", precision: 3, scale: 2 }, "n", { default: "10" })]),
    ],
    [
      "a null item in a non-null items default",
      base([
        column("a", { kind: "array", items: { kind: "int" }, itemsNullable: false }, "int[]", {
          default: [null],
        }),
      ]),
    ],
    [
      "a source property that is not JSON",
      base([column("a", { kind: "int" }, "int", { sourceProperties: { f: () => 1 } })]),
    ],
  ])("refuses %s with TRB_SCHEMA_INVALID", (_name, description) => {
    codedError("TRB_SCHEMA_INVALID", () => buildTableSchemas(description));
  });
});

describe("buildTableSchemas: fingerprints", () => {
  const table = (
    type: ColumnType,
    sourceType: string,
    extra: Partial<ColumnDescription> = {},
  ): TableDescription => ({
    database: "d",
    schema: "s",
    table: "t",
    key: ["id"],
    columns: [column("id", { kind: "long" }, "int8"), column("v", type, sourceType, extra)],
  });
  const fingerprint = (description: TableDescription) =>
    compileSchema(buildTableSchemas(description).value).fingerprint;

  it("are the same for the same description", () => {
    expect(fingerprint(table({ kind: "int" }, "int4"))).toBe(fingerprint(table({ kind: "int" }, "int4")));
  });

  it("differ for every change a sink would care about", () => {
    const variants = [
      table({ kind: "decimal", precision: 10, scale: 2 }, "numeric(10,2)"),
      table({ kind: "decimal", precision: 12, scale: 4 }, "numeric(10,2)"),
      table({ kind: "decimal", precision: 10, scale: 2 }, "numeric(12,4)"),
      table({ kind: "timestamp-micros" }, "timestamptz(6)"),
      table({ kind: "timestamp-micros" }, "timestamptz(3)"),
      table({ kind: "local-timestamp-micros" }, "timestamp(6)"),
      table({ kind: "int" }, "int4"),
      table({ kind: "int" }, "int4", { nullable: true }),
      table({ kind: "int" }, "int4", { default: 1 }),
      table({ kind: "string" }, "mood", { sourceProperties: { labels: ["a", "b"] } }),
      table({ kind: "string" }, "mood", { sourceProperties: { labels: ["a", "c"] } }),
    ];
    const fingerprints = variants.map(fingerprint);
    expect(new Set(fingerprints).size).toBe(variants.length);
  });
});
