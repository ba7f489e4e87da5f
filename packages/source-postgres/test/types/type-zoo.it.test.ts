/**
 * The whole type chain on a real PostgreSQL: a table with a column of every type, rows of edge
 * values, read back as the server's text output with the connector's session settings, mapped
 * through PgTypeCatalog + mapColumn, parsed with textParser, and sent through core's table
 * schema and Avro codec. Each decoded value must equal the expected one exactly.
 */
import { randomBytes } from "node:crypto";
import {
  type AvroRecordSchema,
  applyArrayLowerBounds,
  buildTableSchemas,
  type ColumnDescription,
  collectArrayLowerBounds,
  compileSchema,
  decode,
  type Envelope,
  encode,
  isTributaryError,
  lowerBoundsOf,
  type OutgoingRecord,
  type Row,
} from "@tributary/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapturedTable, type RelationShape } from "../../src/capture/CapturedTable.js";
import {
  changeRecords,
  keyOf,
  rowFromText,
  rowFromTuple,
  snapshotRecord,
  snapshotRecordFromCopy,
  toRecords,
} from "../../src/capture/change-events.js";
import { TextEventEncoder } from "../../src/capture/TextEventEncoder.js";
import type { TupleData } from "../../src/replication/pgoutput-messages.js";
import { CopyOutQuery } from "../../src/snapshot/CopyOutQuery.js";
import { mapColumn, type PgQueryable, PgTypeCatalog, textParser } from "../../src/types/index.js";
import { ZOO } from "../support/type-zoo-columns.js";

const SESSION =
  "-c DateStyle=ISO,MDY -c IntervalStyle=iso_8601 -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex";
const RAW_TEXT = { getTypeParser: () => (value: string) => value };
const DATABASE = `tributary_types_${randomBytes(4).toString("hex")}`;

let admin: pg.Client;
let client: pg.Client;
let catalog: PgTypeCatalog;
let typeQueries = 0;
/** Column name → attribute facts from pg_attribute. */
const attributes = new Map<
  string,
  { typeOid: number; typmod: number; dimensions: number; formatted: string }
>();

function connect(database: string): pg.Client {
  return new pg.Client({
    host: "127.0.0.1",
    port: 5432,
    user: "postgres",
    database,
    options: SESSION,
    types: RAW_TEXT,
  });
}

beforeAll(async () => {
  admin = connect("postgres");
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  client = connect(DATABASE);
  await client.connect();
  await client.query(`
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE DOMAIN price AS numeric(12,2) CHECK (VALUE = 'NaN' OR VALUE >= 0);
    CREATE DOMAIN cheap AS price CHECK (VALUE = 'NaN' OR VALUE < 100);
    CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
    CREATE TYPE pair AS (a int4, b text);
    CREATE TYPE floatrange AS RANGE (subtype = float8);
    CREATE TABLE zoo (id int4 PRIMARY KEY, ${ZOO.map((column) => `${column.name} ${column.sql}`).join(", ")});
  `);
  for (let row = 0; row < 4; row++) {
    const names = ZOO.map((column) => column.name).join(", ");
    const values = ZOO.map((column) => column.values[row]).join(", ");
    await client.query(`INSERT INTO zoo (id, ${names}) VALUES (${row + 1}, ${values})`);
  }
  await client.query("INSERT INTO zoo (id) VALUES (5)");
  // format_type qualifies a type only when the search path does not find it: search nothing but pg_catalog.
  await client.query("SET search_path = ''");
  const { rows } = await client.query(
    `SELECT attname, atttypid, atttypmod, attndims, pg_catalog.format_type(atttypid, atttypmod) AS formatted
     FROM pg_catalog.pg_attribute WHERE attrelid = 'public.zoo'::regclass AND attnum > 0 AND NOT attisdropped`,
  );
  await client.query("RESET search_path");
  for (const row of rows) {
    attributes.set(row.attname, {
      typeOid: Number(row.atttypid),
      typmod: Number(row.atttypmod),
      dimensions: Number(row.attndims),
      formatted: row.formatted,
    });
  }
  const counting: PgQueryable = {
    query: (text, values) => {
      typeQueries++;
      return client.query(text, values);
    },
  };
  catalog = new PgTypeCatalog(counting);
  await catalog.load([...attributes.values()]);
});

afterAll(async () => {
  await client?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin?.end();
});

function attributeOf(name: string) {
  const attribute = attributes.get(name);
  if (attribute === undefined) throw new Error(`no column ${name}`);
  return attribute;
}

describe("type zoo on PostgreSQL", () => {
  it("loads every column type, with what they are built from, in one catalog query", () => {
    expect(typeQueries).toBe(1);
    expect(catalog.get(attributeOf("c_cheap").typeOid)).toMatchObject({
      kind: "domain",
      sqlName: "public.cheap",
    });
    expect(catalog.has(1700)).toBe(true); // numeric, reached through cheap → price → numeric
    expect(catalog.has(701)).toBe(true); // float8, the subtype of floatrange
  });

  it.each(ZOO.map((column) => [column.name, column] as const))("maps %s", (name, column) => {
    const attribute = attributeOf(name);
    const mapping = mapColumn(attribute.typeOid, attribute.typmod, catalog, attribute);
    expect(mapping.type).toEqual(column.type);
    expect(mapping.sourceType).toBe(column.sourceType);
    expect(mapping.sourceType).toBe(attribute.formatted);
    expect(mapping.sourceProperties).toEqual(column.properties);
  });

  it("reads, parses, encodes and decodes every row exactly", async () => {
    const columns: ColumnDescription[] = [
      { name: "id", type: { kind: "int" }, nullable: false, sourceType: "integer" },
      ...ZOO.map((column) => {
        const attribute = attributeOf(column.name);
        const mapping = mapColumn(attribute.typeOid, attribute.typmod, catalog, attribute);
        return { name: column.name, nullable: true, ...mapping };
      }),
    ];
    const schemas = buildTableSchemas({
      database: DATABASE,
      schema: "public",
      table: "zoo",
      columns,
      key: ["id"],
    });
    const valueWriter = compileSchema(schemas.value);
    const keyWriter = compileSchema(schemas.key as AvroRecordSchema);
    const parsers = new Map(
      columns.map((column) => {
        const attribute = attributeOf(column.name);
        return [column.name, textParser(attribute.typeOid, attribute.typmod, catalog, attribute)] as const;
      }),
    );

    const { rows } = await client.query("SELECT * FROM zoo ORDER BY id");
    expect(rows).toHaveLength(5);
    const problems: string[] = [];
    for (const [index, raw] of rows.entries()) {
      const parsed: Row = {};
      for (const column of columns) {
        const text = raw[column.name] as string | null;
        const parse = parsers.get(column.name);
        if (parse === undefined) throw new Error(column.name);
        try {
          parsed[column.name] = text === null ? null : parse(text);
        } catch (error) {
          if (column.name === "c_numeric_free_array" && index === 2) {
            // A 2-D value in a numeric[] column declared with one dimension: refused, not flattened.
            expect(isTributaryError(error, "TRB_PG_VALUE_OUT_OF_RANGE")).toBe(true);
            parsed[column.name] = null;
            continue;
          }
          throw error;
        }
      }
      const arrayFields = columns.filter((column) => column.type.kind === "array").map((c) => c.name);
      const event = {
        ...envelope(parsed),
        array_lower_bounds: collectArrayLowerBounds(null, parsed, arrayFields),
      };
      const decoded = decode(valueWriter, encode(valueWriter, event)) as Envelope;
      expect(decoded).toEqual(event);
      applyArrayLowerBounds(decoded);
      for (const column of arrayFields) {
        expect(lowerBoundsOf(decoded.after?.[column]), column).toEqual(lowerBoundsOf(parsed[column]));
      }
      if (index === 2) {
        expect(lowerBoundsOf(decoded.after?.c_int_array)).toEqual([0]);
        expect(lowerBoundsOf(decoded.after?.c_int_array2)).toEqual([0, 1]);
      }
      expect(decode(keyWriter, encode(keyWriter, { id: parsed.id }))).toEqual({ id: index + 1 });
      for (const column of ZOO) {
        const expected = index === 4 ? null : column.expected[index as 0 | 1 | 2 | 3];
        const actual = decoded.after?.[column.name];
        try {
          expect(actual).toEqual(expected);
        } catch {
          problems.push(`row ${index + 1} ${column.name}: got ${show(actual)}, expected ${show(expected)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("refuses the timestamps beyond int64 microseconds that PostgreSQL allows", async () => {
    const { rows } = await client.query(
      "SELECT '294276-12-31 23:59:59.999999'::timestamp AS ts, '294247-01-10 04:00:54.775807+00'::timestamptz AS tstz",
    );
    const row = rows[0] as { ts: string; tstz: string };
    expect(() => textParser(1114, -1, catalog)(row.ts)).toThrow(/TRB_PG_VALUE_OUT_OF_RANGE/);
    expect(() => textParser(1184, -1, catalog)(row.tstz)).toThrow(/TRB_PG_VALUE_OUT_OF_RANGE/);
  });

  /** The zoo table as the source captures it, with `key` and without the `excluded` columns. */
  async function zooTable(
    key: readonly string[],
    excluded: readonly string[],
  ): Promise<{ shape: RelationShape; table: CapturedTable }> {
    const shape: RelationShape = {
      oid: 1,
      schema: "public",
      table: "zoo",
      columns: ["id", ...ZOO.map((column) => column.name)].map((name) => {
        const attribute = attributeOf(name);
        return {
          name,
          typeOid: attribute.typeOid,
          typmod: attribute.typmod,
          dimensions: attribute.dimensions,
        };
      }),
      key: [...key],
    };
    const table = await CapturedTable.prepare(shape, {
      database: DATABASE,
      topicPrefix: "zoo",
      excludedColumns: new Set(excluded),
      catalog,
      store: { register: async (schema) => compileSchema(schema) },
    });
    return { shape, table };
  }

  it.each([
    ["keyed", ["id"], []],
    ["keyed, with excluded columns", ["id"], ["c_mood", "c_text"]],
    ["keyless", [], []],
  ] as const)(
    "encodes the snapshot event of every row (%s) straight from text to the bytes of the row path",
    async (_, key, excluded) => {
      const { shape, table } = await zooTable(key, excluded);
      const options = { tombstones: true, partitions: () => 1 };
      const source = envelope({}).source;
      const select = shape.columns.map((column) => column.name).join(", ");
      const { rows } = await client.query<(string | null)[]>({
        text: `SELECT ${select} FROM zoo ORDER BY id`,
        rowMode: "array",
        types: RAW_TEXT,
      });
      expect(rows).toHaveLength(5);
      // The same rows as COPY text lines, as the snapshot reads them.
      const lines: Buffer[] = [];
      const copy = new CopyOutQuery(`COPY (SELECT ${select} FROM zoo ORDER BY id) TO STDOUT`, (line) => {
        lines.push(Buffer.from(line));
        return undefined;
      });
      client.query(copy);
      expect(await copy.done).toBe(5);
      let refused = 0;
      for (const [index, values] of rows.entries()) {
        const line = lines[index] as Buffer;
        let expected: OutgoingRecord;
        try {
          const row = rowFromText(table, values);
          const event: Envelope = { ...envelope(row), origin: "zoo-origin", ts_ms: 1_700_000_000_123n };
          expected = toRecords(table, keyOf(table, row), event, options)[0] as OutgoingRecord;
        } catch (error) {
          // The 2-D value in a 1-D numeric[] column: the direct path throws the same error.
          refused++;
          expect(() =>
            snapshotRecord(table, values, source, "zoo-origin", 1_700_000_000_123, options),
          ).toThrow((error as Error).message);
          continue;
        }
        const record = snapshotRecord(table, values, source, "zoo-origin", 1_700_000_000_123, options);
        // The direct encoder itself, not its fallback to the row path, wrote them.
        const direct = TextEventEncoder.of(table).snapshotEvent(
          values,
          source,
          "zoo-origin",
          1_700_000_000_123,
        );
        expect(direct.value.toString("hex")).toBe(expected.value?.toString("hex"));
        expect(direct.key?.toString("hex")).toBe(expected.key?.toString("hex"));
        const fromCopy = TextEventEncoder.of(table).snapshotEventFromCopy(
          line,
          source,
          "zoo-origin",
          1_700_000_000_123,
        );
        expect(fromCopy.value.toString("hex")).toBe(expected.value?.toString("hex"));
        expect(fromCopy.key?.toString("hex")).toBe(expected.key?.toString("hex"));
        const copied = snapshotRecordFromCopy(table, line, source, "zoo-origin", 1_700_000_000_123, options);
        expect(copied.value?.toString("hex")).toBe(expected.value?.toString("hex"));
        expect(copied.key?.toString("hex")).toBe(expected.key?.toString("hex"));
        expect(record.value?.toString("hex")).toBe(expected.value?.toString("hex"));
        expect(record.key?.toString("hex")).toBe(expected.key?.toString("hex"));
        expect(record.headers).toEqual(expected.headers);
        expect(record.partition).toBe(expected.partition);
        expect(record.topic).toBe(expected.topic);
        expect(record.describe?.()).toBe(expected.describe?.());
      }
      expect(refused).toBe(1);
    },
  );

  it.each([
    ["keyed", ["id"], []],
    ["keyed, with excluded columns", ["id"], ["c_mood", "c_text"]],
    ["keyless", [], []],
  ] as const)(
    "encodes streamed changes of every row (%s) from their tuples to the bytes of the envelope path",
    async (_, key, excluded) => {
      const { shape, table } = await zooTable(key, excluded);
      const options = { tombstones: true, partitions: () => 1 };
      const select = shape.columns.map((column) => column.name).join(", ");
      const { rows } = await client.query<(string | null)[]>({
        text: `SELECT ${select} FROM zoo ORDER BY id`,
        rowMode: "array",
        types: RAW_TEXT,
      });
      const tupleOf = (values: readonly (string | null)[]): TupleData =>
        values.map((text) => (text === null ? { kind: "null" } : { kind: "text", text }));
      const keyOnly = (values: readonly (string | null)[]): TupleData =>
        values.map((text, i) =>
          text === null || !key.includes(shape.columns[i]?.name as never)
            ? { kind: "null" }
            : { kind: "text", text },
        );
      // The update's new image leaves c_json out as an unchanged TOAST value.
      const toasted = shape.columns.findIndex((column) => column.name === "c_json");
      const withUnchanged = (values: readonly (string | null)[]): TupleData =>
        tupleOf(values).map((value, i) => (i === toasted ? { kind: "unchanged" } : value));
      let refused = 0;
      let compared = 0;
      for (const values of rows) {
        const changes: { op: "c" | "u" | "d"; oldTuple?: TupleData; newTuple?: TupleData }[] = [
          { op: "c", newTuple: tupleOf(values) },
          { op: "u", oldTuple: tupleOf(values), newTuple: withUnchanged(values) },
          { op: "u", newTuple: tupleOf(values) },
          { op: "d", oldTuple: keyOnly(values) },
          { op: "d", oldTuple: tupleOf(values) },
        ];
        for (const [order, change] of changes.entries()) {
          let expected: OutgoingRecord[];
          let envelopeOf: Envelope;
          let keyRow: Row | null;
          try {
            const before = change.oldTuple ? rowFromTuple(table, change.oldTuple).row : null;
            const after = change.newTuple ? rowFromTuple(table, change.newTuple) : undefined;
            keyRow =
              after && change.op !== "d" ? keyOf(table, after.row) : before ? keyOf(table, before) : null;
            envelopeOf = {
              ...envelope(after?.row ?? {}),
              before,
              after: after?.row ?? null,
              unchanged: after?.unchanged ?? [],
              op: change.op,
              source: {
                ...envelope({}).source,
                snapshot: false,
                lsn: 123456789n,
                txId: "771",
                commitTsMs: 1_700_000_000_000n,
              },
              origin: "zoo-origin",
              ts_ms: 1_700_000_000_456n,
              transaction: {
                id: "771",
                total_order: BigInt(order + 1),
                data_collection_order: BigInt(order + 1),
              },
            };
            expected = toRecords(table, keyRow, envelopeOf, options);
          } catch {
            // rowFromTuple refuses the row before any envelope exists, as the stream would.
            refused++;
            continue;
          }
          compared++;
          const direct = TextEventEncoder.of(table).changeEvent(envelopeOf, change.oldTuple, change.newTuple);
          expect(direct.value.toString("hex")).toBe(expected[0]?.value?.toString("hex"));
          const records = changeRecords(table, keyRow, envelopeOf, change.oldTuple, change.newTuple, options);
          expect(
            records.map((record) => [record.key?.toString("hex"), record.value?.toString("hex")]),
          ).toEqual(expected.map((record) => [record.key?.toString("hex"), record.value?.toString("hex")]));
          expect(records.map((record) => record.describe?.())).toEqual(
            expected.map((record) => record.describe?.()),
          );
          expect(records.map((record) => record.headers)).toEqual(expected.map((record) => record.headers));
        }
      }
      // Row 3's 2-D value in a 1-D numeric[] column, in the four changes that carry all columns.
      expect(refused).toBe(4);
      expect(compared).toBe(25 - refused);
    },
  );

  it("picks up a changed enum after invalidate, and a new type on demand", async () => {
    const mood = attributeOf("c_mood").typeOid;
    await client.query("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'");
    await client.query("CREATE TYPE later AS ENUM ('x')");
    const { rows } = await client.query("SELECT 'later'::regtype::oid AS oid");
    const later = Number((rows[0] as { oid: string }).oid);
    catalog.invalidate(mood);
    const before = typeQueries;
    await catalog.load([mood, later, attributeOf("c_int4").typeOid]);
    expect(typeQueries).toBe(before + 1);
    expect(mapColumn(mood, -1, catalog).sourceProperties).toEqual({ labels: ["sad", "meh", "ok", "happy"] });
    expect(mapColumn(later, -1, catalog)).toEqual({
      type: { kind: "string" },
      sourceType: "public.later",
      sourceProperties: { labels: ["x"] },
    });
    // A pg.Client is a PgQueryable as it is.
    const direct = new PgTypeCatalog(client);
    await direct.load([{ typeOid: mood, typmod: -1 }]);
    expect(direct.get(mood).enumLabels).toEqual(["sad", "meh", "ok", "happy"]);
  });
});

function envelope(after: Row): Envelope {
  return {
    before: null,
    after,
    unchanged: [],
    op: "r",
    source: {
      connector: "postgres",
      name: "zoo",
      database: DATABASE,
      schema: "public",
      table: "zoo",
      lsn: null,
      file: null,
      pos: null,
      gtid: null,
      txId: null,
      commitTsMs: null,
      snapshot: true,
    },
    origin: "zoo",
    ts_ms: 0n,
    transaction: null,
  };
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (Buffer.isBuffer(value)) return `<Buffer ${value.toString("hex").slice(0, 40)}>`;
  if (Object.is(value, -0)) return "-0";
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  return JSON.stringify(value) ?? String(value);
}
