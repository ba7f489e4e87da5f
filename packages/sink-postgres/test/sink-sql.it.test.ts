/**
 * The generated SQL on the real PostgreSQL 15 target (127.0.0.1:5433): tables created from
 * table models (exact source types, recreated user types), rows written through the unnest
 * upsert, the UPDATE for unchanged columns, bulk and one-row deletes, COPY + merge, truncate and
 * autoEvolve. Every value is read back as the server's text, parsed with the PostgreSQL
 * source's own parsers and compared with the value that went in: in-memory → bound text →
 * target → text → in-memory must be the identity.
 *
 * The writing session uses other DateStyle, TimeZone and float settings than the reading one:
 * the bound text must not depend on them.
 */
import { randomBytes } from "node:crypto";
import type { ColumnDescription, ColumnType, ColumnValue, Row } from "@tributary/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgTypeCatalog, textParser } from "../../source-postgres/src/types/index.js";
import { type ApplyAction, planApply } from "../src/apply-plan.js";
import { type BatchRecord, reduceBatch } from "../src/batch-reduction.js";
import { postgresDialect as dialect } from "../src/sql/postgres-dialect.js";
import type { SqlStatement } from "../src/sql/sql-text.js";
import { type TableModel, withTargetTypes } from "../src/table-model.js";
import { copyIn } from "../src/target/copy-in.js";
import { array, decimal, envelope, INT, LONG, model, pgColumn, STRING } from "./support/models.js";

const PORT = 5433;
const DATABASE = `tributary_sinksql_${randomBytes(5).toString("hex")}`;
const READ_SESSION =
  "-c DateStyle=ISO,MDY -c IntervalStyle=iso_8601 -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex";
const WRITE_SESSION =
  "-c DateStyle=SQL,DMY -c TimeZone=Asia/Kolkata -c IntervalStyle=sql_standard -c extra_float_digits=0";
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;
const at = (iso: string, micros = 0n) => BigInt(Date.parse(iso)) * 1000n + micros;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const hex = (text: string) => Buffer.from(text, "hex");
const TIMESTAMP: ColumnType = { kind: "timestamp-micros" };

interface ZooColumn {
  readonly column: ColumnDescription;
  /** Values of rows 1 to 4 (row 5 is all NULL but the key and NOT NULL columns). */
  readonly values: readonly [ColumnValue, ColumnValue, ColumnValue, ColumnValue];
}

const zoo = (
  name: string,
  type: ColumnType,
  sourceType: string,
  values: ZooColumn["values"],
  properties: Record<string, unknown> = {},
): ZooColumn => ({ column: pgColumn(name, type, sourceType, properties), values });

const MOOD = { labels: ["sad", "ok", "happy"] };

const ZOO: readonly ZooColumn[] = [
  zoo("c_int2", INT, "smallint", [-32768, 32767, 0, -1]),
  zoo("c_int8", LONG, "bigint", [INT64_MIN, INT64_MAX, 9_007_199_254_740_993n, 0n]),
  zoo("c_float4", { kind: "float" }, "real", [Math.fround(1.1), Number.NaN, -0, 3.4028234663852886e38]),
  zoo("c_float8", { kind: "double" }, "double precision", [5e-324, Number.NaN, -0, Number.NEGATIVE_INFINITY]),
  zoo("c_numeric", decimal(10, 2), "numeric(10,2)", ["12.50", "NaN", "-99999999.99", "0.00"]),
  zoo("c_numeric_neg", decimal(5, 0), "numeric(2,-3)", ["12000", "-99000", "NaN", "0"]),
  zoo("c_numeric_free", STRING, "numeric", [
    "Infinity",
    "-Infinity",
    "NaN",
    "-123456789012345678901234567890.000000000000000000001",
  ]),
  zoo("c_bool", { kind: "boolean" }, "boolean", [true, false, true, false]),
  zoo("c_text", STRING, "text", ["naïve 😀 𠜎", "", 'tab\tnew\nline "q" \\ \\N \\.', "NULL"], {
    notNull: true,
  }),
  zoo("c_varchar", STRING, "character varying(20)", ["abc", "  padded  ", "", "é".repeat(20)]),
  zoo("c_bpchar", STRING, "character(5)", ["ab   ", "     ", "abcde", "é    "]),
  zoo("c_qchar", STRING, '"char"', ["a", "Z", " ", "\\"]),
  zoo("c_bytea", { kind: "bytes" }, "bytea", [hex("00ff"), hex(""), hex("5c78"), hex("ab".repeat(5000))]),
  zoo("c_date", { kind: "date" }, "date", [day("2024-02-29"), -735_160, 2_147_483_647, -2_147_483_648]),
  zoo("c_time", { kind: "time-micros" }, "time without time zone", [
    49_506_123_456n,
    86_400_000_000n,
    0n,
    86_399_999_999n,
  ]),
  zoo("c_timetz", STRING, "time with time zone", [
    "12:34:56.789+05:30",
    "00:00:00-01",
    "24:00:00+00",
    "23:59:59.999999-15:59",
  ]),
  zoo("c_ts", { kind: "local-timestamp-micros" }, "timestamp without time zone", [
    at("2024-02-29T12:34:56Z", 123_456n),
    -63_517_780_800_000_000n,
    INT64_MAX,
    INT64_MIN,
  ]),
  zoo("c_tstz", TIMESTAMP, "timestamp(3) with time zone", [
    at("2024-03-01T01:30:00.123Z"),
    -63_517_780_800_000_000n,
    INT64_MAX - 807n,
    INT64_MIN,
  ]),
  zoo("c_interval", STRING, "interval", ["P1Y2M3DT4H5M6.7S", "P-1DT-1S", "PT0S", "P178000000Y"]),
  zoo("c_uuid", { kind: "uuid" }, "uuid", [
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12",
  ]),
  zoo("c_json", STRING, "json", ['{"b": 1,  "a": [1, 2]}', "null", '"x\\u00e9"', "[]"]),
  zoo("c_jsonb", STRING, "jsonb", ['{"a": [1, 2], "b": 1}', "null", '"xé"', "1.50"]),
  zoo("c_inet", STRING, "inet", ["192.168.0.1/24", "::1", "10.0.0.1", "2001:db8::ff00:42:8329/64"]),
  zoo("c_bit", STRING, "bit(8)", ["10101010", "00000000", "11111111", "00001111"]),
  zoo("c_point", STRING, "point", ["(1,2)", "(-1.5,NaN)", "(Infinity,-0)", "(0.1,1e+300)"]),
  zoo("c_int_array", array(INT), "integer[]", [[1, null, 3], [], [-2_147_483_648], [7, 8, 9]]),
  zoo("c_int_array2", array(array(INT), false), "integer[]", [
    [
      [1, 2],
      [3, null],
    ],
    [],
    [[5]],
    [
      [1, 2],
      [3, 4],
    ],
  ]),
  zoo("c_text_array", array(STRING), "text[]", [
    ["a b", "", "NULL", null, 'x"y\\z', "{}", "é,ü", " lead", "trail ", "\\N"],
    [],
    [null],
    ["line\nbreak", "null", "a;b", "tab\there"],
  ]),
  zoo("c_box_array", array(STRING), "box[]", [
    ["(1,1),(0,0)", "(3,3),(2,2)"],
    [],
    [null],
    ["(1.5,0),(0,-1)"],
  ]),
  zoo("c_tstz_array", array(TIMESTAMP), "timestamp with time zone[]", [
    [at("2024-01-01T00:00:00Z"), INT64_MAX, null],
    [],
    [-63_517_780_800_000_000n, INT64_MIN],
    [at("2024-02-29T06:30:00Z")],
  ]),
  zoo("c_bytea_array", array({ kind: "bytes" }), "bytea[]", [
    [hex("00ff"), hex(""), null],
    [],
    [hex("5c22")],
    [hex("7b7d")],
  ]),
  zoo("c_mood", STRING, "public.mood", ["happy", "sad", "ok", "happy"], MOOD),
  zoo("c_mood_array", array(STRING), "public.mood[]", [["sad", null, "happy"], [], ["ok"], []], MOOD),
  zoo("c_price", decimal(12, 2), "public.price", ["12.50", "NaN", "0.00", "9999999999.99"], {
    baseType: "numeric(12,2)",
  }),
  zoo("c_pair", STRING, "public.pair", ['(1,"a b")', '(,"")', '(-1,"x""y\\\\z")', "(,)"], {
    attributes: [
      { name: "a", type: "integer" },
      { name: "b", type: "text" },
    ],
  }),
  zoo("c_range", STRING, "public.floatrange", ["[1.5,2.5)", "empty", "(,)", "[-Infinity,Infinity]"], {
    subtype: "double precision",
  }),
];

const MAPPING = {
  schemas: { public: "Sink Schema" },
  tables: { "public.zoo": '"Zoo ""Table"""' },
  capitalization: "source" as const,
};

const zooModel = (extra: readonly ColumnDescription[] = [], mood = MOOD): TableModel =>
  model({
    table: "zoo",
    columns: [
      pgColumn("id", INT, "integer", { notNull: true }),
      ...ZOO.map(({ column }) =>
        column.name.startsWith("c_mood") ? { ...column, sourceProperties: mood } : column,
      ),
      ...extra,
    ],
    key: ["id"],
    mapping: MAPPING,
  });

/** Row `index` (0 to 4) of the zoo by Avro field name; row 4 is NULL but for the key and c_text. */
function zooRow(table: TableModel, id: number, index: number): Row {
  const row: Row = { id };
  for (const { column, values } of ZOO) {
    const field = table.columns.find((c) => c.sourceName === column.name)?.field ?? column.name;
    row[field] = index < 4 ? (values[index] as ColumnValue) : column.name === "c_text" ? "row five" : null;
  }
  return row;
}

let admin: pg.Client;
let writer: pg.Client;
let reader: pg.Client;

function connect(database: string, options?: string): pg.Client {
  return new pg.Client({
    host: "127.0.0.1",
    port: PORT,
    user: "postgres",
    database,
    ...(options === undefined ? {} : { options, types: RAW_TEXT }),
  });
}

async function run(statements: readonly SqlStatement[], client = writer): Promise<number> {
  let rows = 0;
  for (const statement of statements) {
    const result = await client.query(statement.text, [...statement.values]);
    rows += result.rowCount ?? 0;
  }
  return rows;
}

async function execute(actions: readonly ApplyAction[]): Promise<void> {
  await writer.query("BEGIN");
  try {
    for (const action of actions) {
      if (action.kind === "copy") {
        expect(await copyIn(writer, action.copy, action.data)).toBe(action.rows);
      } else {
        await writer.query(action.statement.text, [...action.statement.values]);
      }
    }
    await writer.query("COMMIT");
  } catch (error) {
    await writer.query("ROLLBACK");
    throw error;
  }
}

const quoted = (table: TableModel) =>
  `"${table.schema.replaceAll('"', '""')}"."${table.table.replaceAll('"', '""')}"`;

/** The table's rows read as text and parsed with the source's parsers, by Avro field, ordered by the first key. */
async function readBack(table: TableModel): Promise<Row[]> {
  const { rows: attributes } = await reader.query(
    `SELECT attname, atttypid::int8 AS oid, atttypmod AS typmod, attndims AS dims FROM pg_catalog.pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [quoted(table)],
  );
  const catalog = new PgTypeCatalog(reader);
  await catalog.load(attributes.map((a) => ({ typeOid: Number(a.oid), typmod: Number(a.typmod) })));
  const parsers = new Map(
    attributes.map((a) => [
      a.attname as string,
      textParser(Number(a.oid), Number(a.typmod), catalog, { dimensions: Number(a.dims) }),
    ]),
  );
  const order = table.key.length > 0 ? table.key.map((c) => `"${c.name}"`).join(", ") : "1";
  const { rows } = await reader.query(`SELECT * FROM ${quoted(table)} ORDER BY ${order}`);
  return rows.map((raw: Record<string, string | null>) => {
    const row: Row = {};
    for (const column of table.columns) {
      const text = raw[column.name];
      const parse = parsers.get(column.name);
      if (text === undefined || parse === undefined) throw new Error(`no column ${column.name}`);
      row[column.field] = text === null ? null : parse(text);
    }
    return row;
  });
}

beforeAll(async () => {
  admin = connect("postgres");
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  writer = connect(DATABASE, WRITE_SESSION);
  reader = connect(DATABASE, READ_SESSION);
  await writer.connect();
  await reader.connect();
});

afterAll(async () => {
  await writer?.end();
  await reader?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin?.end();
});

describe("a table from a PostgreSQL source", () => {
  const table = zooModel();

  it("is created with the source's exact types, user types recreated in the mapped schema", async () => {
    await run(dialect.createTable(table));
    await run(dialect.createTable(table)); // idempotent
    await reader.query("SET search_path = ''");
    const { rows } = await reader.query(
      `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, attndims FROM pg_attribute
       WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`,
      [quoted(table)],
    );
    await reader.query("RESET search_path");
    const types = Object.fromEntries(rows.map((r) => [r.attname, r.type]));
    for (const { column } of ZOO) {
      const expected = column.sourceType.startsWith("public.")
        ? column.name === "c_price"
          ? "numeric(12,2)"
          : `"Sink Schema".${column.sourceType.slice("public.".length)}`
        : column.sourceType;
      expect([column.name, types[column.name]]).toEqual([column.name, expected]);
    }
    expect(rows.map((r) => r.attname)).toEqual(["id", ...ZOO.map((z) => z.column.name)]);
    expect(rows.filter((r) => r.attnotnull === "t").map((r) => r.attname)).toEqual(["id", "c_text"]);
    expect(rows.find((r) => r.attname === "c_int_array2")?.attndims).toBe("2");
    const { rows: key } = await reader.query(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'",
      [quoted(table)],
    );
    expect(key).toEqual([{ def: "PRIMARY KEY (id)" }]);
    const { rows: labels } = await reader.query(
      `SELECT enumlabel FROM pg_enum WHERE enumtypid = '"Sink Schema".mood'::regtype ORDER BY enumsortorder`,
    );
    expect(labels.map((r) => r.enumlabel)).toEqual(["sad", "ok", "happy"]);
  });

  it("takes every row in one unnest upsert and gives every value back exactly", async () => {
    const rows = [1, 2, 3, 4, 5].map((id) => zooRow(table, id, id - 1));
    const statements = dialect.upsert(table, rows, []);
    expect(statements).toHaveLength(1);
    expect(await run(statements)).toBe(5);
    expect(await readBack(table)).toEqual(rows);
  });

  it("overwrites existing rows on conflict, for every type", async () => {
    // Row i gets the values of row i+1: every column changes through ON CONFLICT DO UPDATE.
    const rows = [1, 2, 3, 4, 5].map((id) => zooRow(table, id, id % 5));
    expect(await run(dialect.upsert(table, rows, []))).toBe(5);
    expect(await readBack(table)).toEqual(rows);
  });

  it("casts to the catalog's types when the model carries them", async () => {
    const typed = withTargetTypes(
      table,
      new Map([
        ["c_numeric", "numeric(10,2)"],
        ["c_mood", '"Sink Schema".mood'],
      ]),
    );
    const rows = [zooRow(typed, 1, 0)];
    await run(dialect.upsert(typed, rows, []));
    expect((await readBack(typed))[0]).toEqual(rows[0]);
  });

  it("leaves unchanged columns alone, even NOT NULL ones (which an INSERT … ON CONFLICT would refuse)", async () => {
    const before = await readBack(table);
    const textField = "c_text";
    const rows = [1, 2].map((id) => ({ ...zooRow(table, id, 3), c_text: null, c_bytea: null }));
    const statements = dialect.upsert(table, rows, [textField, "c_bytea"]);
    expect(statements[0]?.text).toMatch(/^UPDATE /);
    expect(await run(statements)).toBe(2);
    const after = await readBack(table);
    for (const index of [0, 1]) {
      expect(after[index]).toEqual({
        ...zooRow(table, index + 1, 3),
        c_text: before[index]?.c_text,
        c_bytea: before[index]?.c_bytea,
      });
    }
    expect(after.slice(2)).toEqual(before.slice(2));
  });

  it("updates nothing for a missing row with unchanged columns (the row count tells)", async () => {
    expect(await run(dialect.upsert(table, [{ ...zooRow(table, 99, 0), c_text: null }], ["c_text"]))).toBe(0);
    expect((await readBack(table)).map((row) => row.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it("deletes by key in bulk", async () => {
    expect(await run(dialect.deleteKeys(table, [{ id: 2 }, { id: 4 }, { id: 42 }]))).toBe(2);
    expect((await readBack(table)).map((row) => row.id)).toEqual([1, 3, 5]);
  });

  it("stages large batches with COPY and merges them, values intact", async () => {
    const rows = [1, 2, 3, 4, 5].map((id) => zooRow(table, id, (id + 2) % 5));
    const records: BatchRecord[] = rows.map((row, i) => ({
      key: { id: row.id ?? null },
      value: envelope("u", null, row),
      offset: BigInt(i),
    }));
    records.push({ key: { id: 3 }, value: envelope("d", { id: 3 }, null), offset: 10n });
    const steps = reduceBatch(records, table.keyFields);
    const actions = planApply(steps, table, dialect, {
      copyThreshold: 1,
      stagingPrefix: "tributary_stage_0",
    });
    expect(actions.filter((a) => a.kind === "copy")).toHaveLength(2);
    await execute(actions);
    expect(await readBack(table)).toEqual(rows.filter((row) => row.id !== 3));
  });

  it("refuses values longer than the column instead of cutting them", async () => {
    const tooLong = { ...zooRow(table, 7, 0), c_varchar: "x".repeat(21) };
    await expect(run(dialect.upsert(table, [tooLong], []))).rejects.toMatchObject({ code: "22001" });
    const wrongBits = { ...zooRow(table, 7, 0), c_bit: "101" };
    await expect(run(dialect.upsert(table, [wrongBits], []))).rejects.toMatchObject({ code: "22026" });
    const tooLongChar = { ...zooRow(table, 7, 0), c_bpchar: "abcdef" };
    await expect(run(dialect.upsert(table, [tooLongChar], []))).rejects.toMatchObject({ code: "22001" });
  });

  it("evolves: enum labels in the source's order, then added columns", async () => {
    const newer = zooModel(
      [
        pgColumn("c_added", decimal(8, 3), "numeric(8,3)"),
        pgColumn("c_added_mood", STRING, "public.mood", MOOD),
      ],
      { labels: ["first", "sad", "ok", "meh", "happy"] },
    );
    await run(dialect.enumLabels(newer));
    await run(dialect.enumLabels(newer)); // idempotent
    const added = newer.columns.filter((column) => column.name.startsWith("c_added"));
    await run(dialect.addColumns(newer, added));
    await run(dialect.addColumns(newer, added)); // IF NOT EXISTS
    const { rows: labels } = await reader.query(
      `SELECT enumlabel FROM pg_enum WHERE enumtypid = '"Sink Schema".mood'::regtype ORDER BY enumsortorder`,
    );
    expect(labels.map((r) => r.enumlabel)).toEqual(["first", "sad", "ok", "meh", "happy"]);
    const row = { ...zooRow(newer, 8, 0), c_mood: "meh", c_added: "12345.678", c_added_mood: "first" };
    await run(dialect.upsert(newer, [row], []));
    expect((await readBack(newer)).find((r) => r.id === 8)).toEqual(row);
  });

  it("truncates", async () => {
    await run(dialect.truncate(table));
    expect(await readBack(table)).toEqual([]);
  });
});

describe("a keyed table through reduceBatch and planApply", () => {
  const table = model({
    table: "orders",
    columns: [
      pgColumn("id", INT, "integer"),
      pgColumn("name", STRING, "text"),
      pgColumn("body", STRING, "text", { notNull: true }),
    ],
    key: ["id"],
  });
  let offset = 0n;
  const event = (key: number | null, value: ReturnType<typeof envelope> | null): BatchRecord => ({
    key: key === null ? null : { id: key },
    value,
    offset: offset++,
  });
  const full = (id: number, name: string) => ({ id, name, body: `body of ${id}` });

  it.each([1_000, 1])("applies a batch of collapsing changes (copy threshold %i)", async (copyThreshold) => {
    await run(dialect.createTable(table));
    await run(dialect.truncate(table));
    await run(dialect.upsert(table, [full(1, "one"), full(2, "two"), full(3, "three")], []));
    const records = [
      event(1, envelope("u", null, { id: 1, name: "uno", body: null }, ["body"])), // keeps body
      event(2, envelope("d", { id: 2, name: null, body: null }, null)),
      event(null, null),
      event(4, envelope("c", null, full(4, "four"))),
      event(4, envelope("u", null, { id: 4, name: "FOUR", body: null }, ["body"])), // body from the insert
      event(3, envelope("d", full(3, "three"), null)),
      event(5, envelope("c", null, full(5, "three moved"))), // key change 3 → 5, as the source splits it
      event(6, envelope("u", full(1, "uno"), full(6, "one moved"))), // a key change in one event
      event(2, envelope("c", null, full(2, "two again"))),
    ];
    const steps = reduceBatch(records, table.keyFields);
    await execute(planApply(steps, table, dialect, { copyThreshold, stagingPrefix: "tributary_stage_1" }));
    expect(await readBack(table)).toEqual([
      full(2, "two again"),
      { id: 4, name: "FOUR", body: "body of 4" },
      full(5, "three moved"),
      full(6, "one moved"),
    ]);
  });
});

describe("a table without a key", () => {
  const table = model({
    table: "keyless",
    columns: [
      pgColumn("a", INT, "integer"),
      pgColumn("j", STRING, "json"),
      pgColumn("p", STRING, "point"),
      pgColumn("t", STRING, "text"),
    ],
  });
  const r1 = { a: 1, j: '{"x": 1}', p: "(1,2)", t: null };
  const r2 = { a: 2, j: "[]", p: "(0,0)", t: "two" };
  const r3 = { a: 3, j: null, p: "(3,3)", t: "three" };
  const sorted = (rows: Row[]) => [...rows].sort((x, y) => Number(x.a) - Number(y.a));

  it("inserts, then updates and deletes one row matching the old image (json and point have no =)", async () => {
    await run(dialect.createTable(table));
    expect(await run(dialect.insert(table, [r1, r1, r2]))).toBe(3);
    expect(await run(dialect.updateRow(table, r1, r3, []))).toBe(1);
    expect(sorted(await readBack(table))).toEqual([r1, r2, r3]);
    expect(await run(dialect.updateRow(table, r2, { ...r2, a: 20, t: null }, ["t"]))).toBe(1);
    expect(sorted(await readBack(table))).toEqual([r1, r3, { ...r2, a: 20 }]);
    expect(await run(dialect.deleteRow(table, r1))).toBe(1);
    expect(await run(dialect.deleteRow(table, r1))).toBe(0);
    expect(sorted(await readBack(table))).toEqual([r3, { ...r2, a: 20 }]);
  });

  it("copies large inserts straight into the table", async () => {
    const steps = reduceBatch(
      [r1, r2, r3].map((row, i) => ({ key: null, value: envelope("c", null, row), offset: BigInt(i) })),
      [],
    );
    await execute(planApply(steps, table, dialect, { copyThreshold: 2, stagingPrefix: "s" }));
    expect(sorted(await readBack(table))).toEqual([r1, r2, r3, r3, { ...r2, a: 20 }]);
  });
});

describe("a table from another source", () => {
  const column = (name: string, type: ColumnType, nullable = true): ColumnDescription => ({
    name,
    type,
    nullable,
    sourceType: `mysql ${name}`,
  });
  const table = model({
    schema: null,
    database: "Shop",
    table: "Items",
    connector: "mysql",
    columns: [
      column("ID", LONG, false),
      column("Unsigned", decimal(20, 0, false)),
      column("Small", INT),
      column("Flag", { kind: "boolean" }),
      column("Ratio", { kind: "float" }),
      column("Amount", { kind: "double" }),
      column("Name", STRING),
      column("Blob", { kind: "bytes" }),
      column("Day", { kind: "date" }),
      column("Clock", { kind: "time-micros" }),
      column("Local", { kind: "local-timestamp-micros" }),
      column("Instant", TIMESTAMP),
      column("Ref", { kind: "uuid" }),
    ],
    key: ["ID"],
    mapping: { capitalization: "lower" },
  });

  it("is created with the Avro types' PostgreSQL types and round-trips its values", async () => {
    await run(dialect.createTable(table));
    const { rows: types } = await reader.query(
      `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS columns
       FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attnum > 0`,
    );
    expect(types[0]?.columns).toBe(
      "id bigint, unsigned numeric(20,0), small integer, flag boolean, ratio real, amount double precision, " +
        "name text, blob bytea, day date, clock time without time zone, local timestamp without time zone, " +
        "instant timestamp with time zone, ref uuid",
    );
    const rows: Row[] = [
      {
        ID: 1n,
        Unsigned: "18446744073709551615",
        Small: -128,
        Flag: true,
        Ratio: Math.fround(0.1),
        Amount: 1e-310,
        Name: "ünï",
        Blob: hex("00"),
        Day: day("1000-01-01"),
        Clock: 0n,
        Local: at("9999-12-31T23:59:59.999Z", 999n),
        Instant: at("1970-01-01T00:00:01Z"),
        Ref: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      },
      Object.fromEntries(table.columns.map((c) => [c.field, c.field === "ID" ? 2n : null])),
    ];
    await run(dialect.upsert(table, rows, []));
    expect(await readBack(table)).toEqual(rows);
  });
});
