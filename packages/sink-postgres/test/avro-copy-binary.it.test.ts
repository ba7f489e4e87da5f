/**
 * Snapshot rows copied in COPY's binary format (avro-copy-binary.ts) must be stored exactly as
 * their COPY text (avro-copy-text.ts) is: the same Avro rows, edge values of every pair of Avro
 * type and target column type the binary writer takes, are copied into two tables of the same
 * types on PostgreSQL (5433), once in each format, and must read back the same. The writing
 * session has an odd time zone and date style, which text input would heed where binary does not.
 */
import { randomBytes } from "node:crypto";
import {
  buildTableSchemas,
  type ColumnType,
  type ColumnValue,
  compileSchema,
  encode,
  type Row,
} from "@tributary/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SnapshotRead, snapshotReaderOf } from "../src/apply/snapshot-rows.js";
import { binaryTargets, copyAvroRowsBinary, staleColumnTypes } from "../src/sql/avro-copy-binary.js";
import { copyAvroRowsUtf8 } from "../src/sql/avro-copy-text.js";
import { postgresDialect } from "../src/sql/postgres-dialect.js";
import { buildTableModel, type TableModel, withTargetTypes } from "../src/table-model.js";
import { copyIn } from "../src/target/copy-in.js";
import { decimal, envelope, INT, LONG, pgColumn, STRING } from "./support/models.js";

const PORT = 5433;
const DATABASE = `tributary_binarycopy_${randomBytes(5).toString("hex")}`;
const WRITE_SESSION = "-c DateStyle=SQL,DMY -c TimeZone=Asia/Kolkata -c IntervalStyle=sql_standard";
const READ_SESSION = "-c DateStyle=ISO,MDY -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex";

const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;
const at = (iso: string, micros = 0n) => BigInt(Date.parse(iso)) * 1000n + micros;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const TIMESTAMP: ColumnType = { kind: "timestamp-micros" };
const LOCAL_TIMESTAMP: ColumnType = { kind: "local-timestamp-micros" };

interface Pair {
  readonly name: string;
  readonly type: ColumnType;
  /** The target column's type. */
  readonly sql: string;
  readonly values: readonly ColumnValue[];
}

const pair = (name: string, type: ColumnType, sql: string, values: readonly ColumnValue[]): Pair => ({
  name,
  type,
  sql,
  values,
});

/** Each pair's values go into rows 1, 2, …; a pair with fewer values than others is NULL in the rest. */
const PAIRS: readonly Pair[] = [
  pair("c_bool", { kind: "boolean" }, "boolean", [true, false]),
  pair("c_int2", INT, "smallint", [-32_768, 32_767, 0, -1]),
  pair("c_int4", INT, "integer", [-2_147_483_648, 2_147_483_647, 0, -1, 65_536, -65_537]),
  pair("c_int_in_int8", INT, "bigint", [-2_147_483_648, 2_147_483_647, -1]),
  pair("c_long_in_int4", LONG, "integer", [-2_147_483_648n, 2_147_483_647n, 0n]),
  pair("c_int8", LONG, "bigint", [
    INT64_MIN,
    INT64_MAX,
    9_007_199_254_740_993n,
    -9_007_199_254_740_991n,
    -4_294_967_297n,
    4_294_967_296n,
    -1n,
    0n,
  ]),
  pair("c_float4", { kind: "float" }, "real", [
    Math.fround(1.1),
    Number.NaN,
    -0,
    3.4028234663852886e38,
    Number.NEGATIVE_INFINITY,
    1.401298464324817e-45,
  ]),
  pair("c_float_in_float8", { kind: "float" }, "double precision", [Math.fround(0.1), Number.NaN, -0]),
  pair("c_float8", { kind: "double" }, "double precision", [
    5e-324,
    Number.NaN,
    -0,
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    0.1,
    1.7976931348623157e308,
  ]),
  pair("c_money", decimal(12, 2, false), "numeric(12,2)", [
    "0.00",
    "-0.01",
    "12.50",
    "-9999999999.99",
    "9999999999.99",
    "10000.00",
    "0.10",
  ]),
  pair("c_rounded", decimal(14, 4, false), "numeric(12,2)", ["1.2350", "-1.2349", "0.0050", "99.9999"]),
  pair("c_whole", decimal(18, 0, false), "numeric", ["0", "-1", "10000", "999999999999999999", "-100000000"]),
  pair("c_wide", decimal(38, 10, false), "numeric(38,10)", [
    "1234567890123456789012345678.1234567890",
    "-0.0000000001",
    "0.0000000000",
    "-9999999999999999999999999999.9999999999",
    "10000.0000000000",
  ]),
  pair("c_fine", decimal(18, 13, false), "numeric", [
    "12345.1234567890123",
    "-0.0000000000001",
    "0.0000000000000",
  ]),
  pair("c_text", STRING, "text", [
    "naïve 😀 𠜎",
    "",
    'tab\tnew\nline cr\r "q" \\ \\N \\.',
    "NULL",
    "x".repeat(513),
    `${"é".repeat(300)}\t`,
  ]),
  pair("c_varchar", STRING, "character varying(20)", ["abc", "  padded  ", "", "é".repeat(20)]),
  pair("c_varchar_free", STRING, "character varying", ["free", "ü"]),
  pair("c_bpchar", STRING, "character(5)", ["ab   ", "     ", "abcde", "é    ", "ab"]),
  pair("c_uuid", { kind: "uuid" }, "uuid", [
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12",
  ]),
  pair("c_bytea", { kind: "bytes" }, "bytea", [
    Buffer.from("00ff", "hex"),
    Buffer.alloc(0),
    Buffer.from("5c78", "hex"),
    Buffer.from("ab".repeat(5000), "hex"),
  ]),
  pair("c_date", { kind: "date" }, "date", [
    day("2024-02-29"),
    day("2000-01-01"),
    day("1999-12-31"),
    -735_160,
    2_147_483_647,
    -2_147_483_648,
    // PostgreSQL's first and last dates (4714-11-24 BC, 5874897-12-31).
    -2_440_588,
    2_145_042_905,
  ]),
  pair("c_time", { kind: "time-micros" }, "time without time zone", [
    49_506_123_456n,
    86_400_000_000n,
    0n,
    86_399_999_999n,
  ]),
  pair("c_time2", { kind: "time-micros" }, "time(2) without time zone", [49_506_123_456n, 86_399_999_999n]),
  pair("c_ts", LOCAL_TIMESTAMP, "timestamp without time zone", [
    at("2024-02-29T12:34:56Z", 123_456n),
    -63_517_780_800_000_000n,
    INT64_MAX,
    INT64_MIN,
    0n,
    at("2000-01-01T00:00:00Z"),
    -1n,
  ]),
  pair("c_tstz", TIMESTAMP, "timestamp(3) with time zone", [
    at("2024-03-01T01:30:00.123Z"),
    -63_517_780_800_000_000n,
    INT64_MAX,
    INT64_MIN,
    at("2024-03-01T01:30:00Z", 999_500n),
    -9_007_199_254_740_991n,
  ]),
  pair("c_tstz_in_ts", TIMESTAMP, "timestamp without time zone", [at("2024-06-30T23:59:59Z", 1n), 0n]),
];
const ROWS = Math.max(...PAIRS.map(({ values }) => values.length)) + 1;

const description = {
  database: "shop",
  schema: "public",
  table: "pairs",
  key: ["id"],
  columns: [
    pgColumn("id", INT, "integer", { notNull: true }),
    ...PAIRS.map(({ name, type, sql }) => pgColumn(name, type, sql)),
  ],
};
const schemas = buildTableSchemas(description);
const snapshotRead = (row: Row) => envelope("r", null, row, [], description);
const writer = compileSchema(schemas.value);

function reads(rows: readonly Row[]): SnapshotRead[] {
  const reader = snapshotReaderOf(writer);
  if (reader === null) throw new Error("no snapshot reader for the pairs");
  return rows.map((row) => {
    const read = reader.read(encode(writer, snapshotRead(row)), null);
    if (read === undefined) throw new Error("the snapshot reader did not read a row");
    return read;
  });
}

let admin: pg.Client;
let client: pg.Client;
let reader: pg.Client;
let table: TableModel;

beforeAll(async () => {
  admin = new pg.Client({ host: "127.0.0.1", port: PORT, user: "postgres", database: "postgres" });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  const connect = async (options: string) => {
    const connected = new pg.Client({
      host: "127.0.0.1",
      port: PORT,
      user: "postgres",
      database: DATABASE,
      options,
    });
    await connected.connect();
    return connected;
  };
  client = await connect(WRITE_SESSION);
  reader = await connect(READ_SESSION);
  const columns = PAIRS.map(({ name, sql }) => `${name} ${sql}`).join(", ");
  for (const name of ["pairs_text", "pairs_binary"])
    await client.query(`CREATE TABLE public.${name} (id integer PRIMARY KEY, ${columns})`);
  const { rows } = await client.query<{ name: string; type: string }>(
    "SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute " +
      "WHERE attrelid = 'public.pairs_text'::regclass AND attnum > 0",
  );
  const model = buildTableModel(schemas.value, schemas.key, { sourceConnector: "postgres" });
  table = withTargetTypes(model, new Map(rows.map(({ name, type }) => [name, type])));
});

afterAll(async () => {
  await client?.end();
  await reader?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin?.end();
});

/** Copies `rows` into both tables, one in each format, and reads both back as text. */
async function bothFormats(rows: readonly Row[]): Promise<{ text: string[]; binary: string[] }> {
  const read = reads(rows);
  const layout = (read[0] as SnapshotRead).layout;
  const targets = binaryTargets(layout, table.columns);
  if (targets === null) throw new Error("the binary writer does not take every pair");
  const binary = copyAvroRowsBinary(layout, targets, read);
  if (binary === undefined) throw new Error("the binary writer left the rows to text");
  await client.query("TRUNCATE public.pairs_text, public.pairs_binary");
  const named = (name: string): TableModel => ({ ...table, table: name });
  await copyIn(
    client,
    postgresDialect.copyIntoTable(named("pairs_text")),
    copyAvroRowsUtf8(layout, table.columns, read),
  );
  await copyIn(client, postgresDialect.copyIntoTable(named("pairs_binary"), "binary"), binary);
  const readBack = async (name: string) =>
    (
      await reader.query<{ row: string }>(`SELECT t::text AS row FROM public.${name} AS t ORDER BY id`)
    ).rows.map(({ row }) => row);
  return { text: await readBack("pairs_text"), binary: await readBack("pairs_binary") };
}

describe("snapshot rows in COPY's binary format", () => {
  it("are stored as their COPY text is, for edge values of every pair the binary writer takes", async () => {
    const rows = Array.from({ length: ROWS }, (_, index) => {
      const row: Row = { id: index + 1 };
      for (const { name, values } of PAIRS) row[name] = values[index] ?? null;
      return row;
    });
    const { text, binary } = await bothFormats(rows);
    expect(text).toHaveLength(ROWS);
    expect(binary).toEqual(text);
  });

  it("are stored as their COPY text is across chunks, for random values", async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const signed = (bits: number) => Math.floor((random() * 2 - 1) * 2 ** bits);
    const digits = (count: number) =>
      Array.from({ length: count }, () => Math.floor(random() * 10)).join("") || "0";
    const rows = Array.from({ length: 6_000 }, (_, index) => ({
      id: index + 1,
      c_int4: signed(31),
      c_int8: BigInt(signed(53)) * (index % 3 === 0 ? 1024n : 1n),
      c_float4: Math.fround(signed(20) / 7),
      c_float8: signed(40) / 3,
      c_money: `${index % 2 === 0 ? "-" : ""}${digits(8)}.${digits(2)}`,
      c_rounded: `${digits(5)}.${digits(4)}`,
      c_whole: `${index % 5 === 0 ? "-" : ""}${digits(index % 16)}`,
      c_wide: `${digits(index % 28)}.${digits(10)}`,
      c_fine: `${digits(5)}.${digits(13)}`,
      c_text: `row ${index} ${"é".repeat(index % 7)}`.repeat((index % 40) + 1),
      c_date: signed(21),
      c_time: BigInt(Math.floor(random() * 86_400_000_001)),
      c_ts: BigInt(signed(52)),
      c_tstz: BigInt(signed(52)) * (index % 4 === 0 ? 1n : 40n),
      c_tstz_in_ts: BigInt(signed(50)),
    }));
    const { text, binary } = await bothFormats(rows);
    expect(text).toHaveLength(rows.length);
    expect(binary).toEqual(text);
  });

  it("are refused with an error the sink retries on when a column's type changed since it was read", async () => {
    const narrow = {
      ...description,
      table: "narrow",
      columns: [
        pgColumn("id", INT, "integer", { notNull: true }),
        pgColumn("n", INT, "integer"),
        pgColumn("m", LONG, "bigint"),
      ],
    };
    const narrowSchemas = buildTableSchemas(narrow);
    const narrowWriter = compileSchema(narrowSchemas.value);
    const narrowReader = snapshotReaderOf(narrowWriter);
    const rows = [1, 2].map((id) =>
      narrowReader?.read(encode(narrowWriter, snapshotRead({ id, n: id * 10, m: BigInt(id) })), null),
    ) as SnapshotRead[];
    await client.query("CREATE TABLE public.narrow (id integer PRIMARY KEY, n integer, m bigint)");
    const model = withTargetTypes(
      buildTableModel(narrowSchemas.value, narrowSchemas.key, { sourceConnector: "postgres" }),
      new Map([
        ["id", "integer"],
        ["n", "integer"],
        ["m", "bigint"],
      ]),
    );
    const layout = (rows[0] as SnapshotRead).layout;
    const data = copyAvroRowsBinary(layout, binaryTargets(layout, model.columns) ?? [], rows) ?? [];
    const copy = postgresDialect.copyIntoTable(model, "binary");
    const refusal = async () => {
      try {
        await copyIn(client, copy, data);
      } catch (error) {
        return error;
      }
      throw new Error("the copy went through");
    };
    await copyIn(client, copy, data);
    await client.query("TRUNCATE public.narrow; ALTER TABLE public.narrow ALTER n TYPE bigint");
    const shorter = await refusal();
    expect(staleColumnTypes(shorter)).toBe(true);
    await client.query("ALTER TABLE public.narrow ALTER n TYPE integer, ALTER m TYPE integer");
    const longer = await refusal();
    expect(staleColumnTypes(longer)).toBe(true);
    expect([(shorter as { code: string }).code, (longer as { code: string }).code]).toEqual([
      "08P01",
      "22P03",
    ]);
    expect(staleColumnTypes(new Error("incorrect binary data format"))).toBe(false);
  });
});
