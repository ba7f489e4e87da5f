/**
 * DDL while the source streams (issue 3, point 5): each statement's event on `_schema_changes`
 * carries the statement, the table and its new column list, and sits at its place in the stream,
 * before the first change of the table that depends on it. Data events after a column change
 * carry the new shape under a new value-schema fingerprint, with no restart.
 */
import { type Envelope, internalTopic, tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import {
  RecordCollector,
  type RecordedEvent,
  type SchemaChange,
} from "../../../../test/support/RecordCollector.js";
import type { PostgresSourceConfig } from "../../src/index.js";
import {
  closeSourceTest,
  type RunningConnector,
  sourceConfig,
  startConnector,
  waitForTopics,
} from "../support/source.js";

let db: { name: string; drop(): Promise<void> };
let sql: pg.Client;
let prefix: string;
let config: PostgresSourceConfig;
let collector: RecordCollector;
let connector: RunningConnector;
const topic = (table: string) => tableTopic(prefix, "shop", table);

/** Data events of a table topic (tombstones included), in topic order. */
const dataOf = (table: string): RecordedEvent[] => collector.ofTopic(topic(table));
const envelopeOf = (event: RecordedEvent | undefined): Envelope => {
  if (!event?.value) throw new Error("expected an event, found none or a tombstone");
  return event.value;
};

const column = (name: string, sourceType: string, nullable = true, dflt: string | null = null) => ({
  name,
  sourceType,
  nullable,
  default: dflt,
});

/** Waits for the schema change number `count` (1-based) and returns it. */
async function schemaChangeNo(count: number): Promise<SchemaChange> {
  await connector.until(
    collector.waitFor(`schema change #${count}`, () => collector.schemaChanges().length >= count),
  );
  return collector.schemaChanges()[count - 1] as SchemaChange;
}

/** Waits for the data event number `count` (1-based) of `table`'s topic and returns it. */
async function dataEventNo(table: string, count: number): Promise<RecordedEvent> {
  await connector.until(
    collector.waitFor(`event #${count} of ${table}`, () => dataOf(table).length >= count),
  );
  return dataOf(table)[count - 1] as RecordedEvent;
}

/** The schema change's Kafka record: to compare its timestamp with the data's. */
const schemaChangeRecord = (index: number) =>
  collector.ofTopic(internalTopic(prefix, "schema_changes"))[index] as RecordedEvent;

/**
 * `change` comes before `data` in the stream: lower LSN, written to Kafka no later, and `data`
 * is the first event of its table past the change.
 */
function expectOrdered(change: SchemaChange, changeIndex: number, data: RecordedEvent): void {
  const lsn = envelopeOf(data).source.lsn as bigint;
  expect(change.source.lsn).not.toBeNull();
  expect(change.source.lsn as bigint).toBeLessThan(lsn);
  expect(schemaChangeRecord(changeIndex).timestampMs).toBeLessThanOrEqual(data.timestampMs);
  for (const earlier of collector.ofTopic(data.topic)) {
    if (earlier === data) break;
    if (earlier.value) expect(earlier.value.source.lsn as bigint).toBeLessThan(change.source.lsn as bigint);
  }
}

function expectSchemaChange(
  change: SchemaChange,
  expected: { statement: string; table: string; columns: ReturnType<typeof column>[] },
): void {
  expect(change).toEqual({
    source: {
      connector: "postgres",
      name: prefix,
      database: db.name,
      schema: "shop",
      table: expected.table,
      lsn: expect.any(BigInt),
      file: null,
      pos: null,
      gtid: null,
      txId: expect.any(String),
      commitTsMs: expect.any(BigInt),
      snapshot: false,
    },
    statement: expected.statement,
    database: db.name,
    schema: "shop",
    table: expected.table,
    columns: expected.columns,
    key: expect.any(Array),
    ts_ms: expect.any(BigInt),
    origin: prefix,
  });
}

/** The source block of a streamed change of `table`. */
const streamed = (table: string) => ({
  connector: "postgres",
  name: prefix,
  database: db.name,
  schema: "shop",
  table,
  snapshot: false,
});

beforeAll(async () => {
  db = await scratchDatabase("tributary_ddl_e2e");
  sql = await connectPg(db.name);
  prefix = uniqueName("ddl");
  // `shop.*` and no exclude: on PostgreSQL 15 the publication holds the whole schema.
  config = sourceConfig(db.name, prefix, { tables: { include: ["shop.*"] } });
  await sql.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.items (id int PRIMARY KEY, name varchar(10), qty int, obsolete text);
    INSERT INTO shop.items VALUES (1, 'first', 1, 'gone soon');
  `);
  collector = new RecordCollector(prefix);
  connector = startConnector(config);
  const schemaChanges = internalTopic(prefix, "schema_changes");
  await connector.until(waitForTopics([topic("items"), schemaChanges]));
  await collector.subscribe([topic("items"), schemaChanges]);
  await connector.until(collector.waitFor("the snapshot", () => dataOf("items").length === 1));
});

afterAll(() => closeSourceTest({ connector, collector, sql, config, db }));

describe("schema changes while streaming", () => {
  it("snapshots the table as it is before any DDL", async () => {
    const read = await dataEventNo("items", 1);
    expect(envelopeOf(read).op).toBe("r");
    expect(envelopeOf(read).after).toEqual({ id: 1, name: "first", qty: 1, obsolete: "gone soon" });
  });

  it("ADD COLUMN: the schema change, then a row carrying the new column under a new fingerprint", async () => {
    await sql.query("ALTER TABLE shop.items ADD COLUMN color text");
    await sql.query("INSERT INTO shop.items VALUES (2, 'second', 2, 'x', 'red')");
    const change = await schemaChangeNo(1);
    expectSchemaChange(change, {
      statement: "ALTER TABLE shop.items ADD COLUMN color text",
      table: "items",
      columns: [
        column("id", "integer", false),
        column("name", "character varying(10)"),
        column("qty", "integer"),
        column("obsolete", "text"),
        column("color", "text"),
      ],
    });
    const insert = await dataEventNo("items", 2);
    expect(envelopeOf(insert)).toMatchObject({
      op: "c",
      before: null,
      after: { id: 2, name: "second", qty: 2, obsolete: "x", color: "red" },
      unchanged: [],
      source: streamed("items"),
      origin: prefix,
    });
    const read = dataOf("items")[0] as RecordedEvent;
    expect(insert.fingerprint).not.toBe(read.fingerprint);
    expect(insert.headers["tributary.schema"]).toBe(insert.fingerprint);
    expectOrdered(change, 0, insert);
  });

  it("ADD COLUMN and a write using it in one transaction: the change still comes first", async () => {
    // One query per statement: the event trigger records the query string it ran in.
    await sql.query("BEGIN");
    await sql.query("ALTER TABLE shop.items ADD COLUMN size int NOT NULL DEFAULT 7");
    await sql.query("UPDATE shop.items SET size = 8 WHERE id = 1");
    await sql.query("COMMIT");
    const change = await schemaChangeNo(2);
    expectSchemaChange(change, {
      statement: "ALTER TABLE shop.items ADD COLUMN size int NOT NULL DEFAULT 7",
      table: "items",
      columns: [
        column("id", "integer", false),
        column("name", "character varying(10)"),
        column("qty", "integer"),
        column("obsolete", "text"),
        column("color", "text"),
        column("size", "integer", false, "7"),
      ],
    });
    const update = await dataEventNo("items", 3);
    expect(envelopeOf(update)).toMatchObject({
      op: "u",
      after: { id: 1, name: "first", qty: 1, obsolete: "gone soon", color: null, size: 8 },
      unchanged: [],
      source: streamed("items"),
    });
    expect(envelopeOf(update).source.txId).toBe(change.source.txId);
    expect(update.fingerprint).not.toBe(dataOf("items")[1]?.fingerprint);
    expectOrdered(change, 1, update);
  });

  it("DROP COLUMN: later rows no longer carry it", async () => {
    await sql.query("ALTER TABLE shop.items DROP COLUMN obsolete");
    await sql.query("UPDATE shop.items SET qty = 3 WHERE id = 2");
    const change = await schemaChangeNo(3);
    expectSchemaChange(change, {
      statement: "ALTER TABLE shop.items DROP COLUMN obsolete",
      table: "items",
      columns: [
        column("id", "integer", false),
        column("name", "character varying(10)"),
        column("qty", "integer"),
        column("color", "text"),
        column("size", "integer", false, "7"),
      ],
    });
    const update = await dataEventNo("items", 4);
    expect(envelopeOf(update)).toMatchObject({ op: "u", source: streamed("items") });
    expect(envelopeOf(update).after).toEqual({ id: 2, name: "second", qty: 3, color: "red", size: 7 });
    expectOrdered(change, 2, update);
  });

  it("RENAME COLUMN: later rows carry the new name", async () => {
    await sql.query("ALTER TABLE shop.items RENAME COLUMN qty TO quantity");
    await sql.query("UPDATE shop.items SET quantity = 4 WHERE id = 2");
    const change = await schemaChangeNo(4);
    expectSchemaChange(change, {
      statement: "ALTER TABLE shop.items RENAME COLUMN qty TO quantity",
      table: "items",
      columns: [
        column("id", "integer", false),
        column("name", "character varying(10)"),
        column("quantity", "integer"),
        column("color", "text"),
        column("size", "integer", false, "7"),
      ],
    });
    const update = await dataEventNo("items", 5);
    expect(envelopeOf(update).after).toEqual({ id: 2, name: "second", quantity: 4, color: "red", size: 7 });
    expectOrdered(change, 3, update);
  });

  it("ALTER COLUMN TYPE int → bigint and varchar(10) → text: later rows use the wider types", async () => {
    const statement = "ALTER TABLE shop.items ALTER COLUMN id TYPE bigint, ALTER COLUMN name TYPE text";
    await sql.query(statement);
    await sql.query("INSERT INTO shop.items VALUES (3, 'a name longer than ten', 5, 'blue', 1)");
    const change = await schemaChangeNo(5);
    expectSchemaChange(change, {
      statement,
      table: "items",
      columns: [
        column("id", "bigint", false),
        column("name", "text"),
        column("quantity", "integer"),
        column("color", "text"),
        column("size", "integer", false, "7"),
      ],
    });
    const insert = await dataEventNo("items", 6);
    expect(insert.key).toEqual({ id: 3n });
    expect(envelopeOf(insert).after).toEqual({
      id: 3n,
      name: "a name longer than ten",
      quantity: 5,
      color: "blue",
      size: 1,
    });
    expectOrdered(change, 4, insert);
  });

  it("CREATE TABLE in the captured schema: its topic appears and gets its rows without a restart", async () => {
    const statement = "CREATE TABLE shop.gadgets (id int PRIMARY KEY, label text)";
    await sql.query(statement);
    await sql.query("INSERT INTO shop.gadgets VALUES (1, 'new')");
    const change = await schemaChangeNo(6);
    expectSchemaChange(change, {
      statement,
      table: "gadgets",
      columns: [column("id", "integer", false), column("label", "text")],
    });
    await connector.until(waitForTopics([topic("gadgets")]));
    await collector.subscribe([topic("gadgets")]);
    const insert = await dataEventNo("gadgets", 1);
    expect(insert.key).toEqual({ id: 1 });
    expect(envelopeOf(insert)).toMatchObject({
      op: "c",
      after: { id: 1, label: "new" },
      source: streamed("gadgets"),
      origin: prefix,
    });
    expectOrdered(change, 5, insert);
  });

  it("RENAME TABLE: later rows go to the topic of the new name", async () => {
    await sql.query("ALTER TABLE shop.gadgets RENAME TO widgets");
    await sql.query("INSERT INTO shop.widgets VALUES (2, 'renamed')");
    // CREATE TABLE also reported its primary-key index: find the rename by its statement.
    await connector.until(
      collector.waitFor("the rename", () => collector.schemaChanges().some((c) => c.table === "widgets")),
    );
    const index = collector.schemaChanges().findIndex((c) => c.table === "widgets");
    const change = collector.schemaChanges()[index] as SchemaChange;
    expectSchemaChange(change, {
      statement: "ALTER TABLE shop.gadgets RENAME TO widgets",
      table: "widgets",
      columns: [column("id", "integer", false), column("label", "text")],
    });
    await connector.until(waitForTopics([topic("widgets")]));
    await collector.subscribe([topic("widgets")]);
    const insert = await dataEventNo("widgets", 1);
    expect(envelopeOf(insert)).toMatchObject({
      op: "c",
      after: { id: 2, label: "renamed" },
      source: streamed("widgets"),
    });
    expect(dataOf("gadgets")).toHaveLength(1);
    expectOrdered(change, index, insert);
  });

  it("DROP TABLE: a schema change with no columns after the table's last change", async () => {
    await sql.query("DELETE FROM shop.widgets WHERE id = 1");
    await sql.query("DROP TABLE shop.widgets");
    await connector.until(
      collector.waitFor("the drop", () =>
        collector.schemaChanges().some((c) => c.statement.startsWith("DROP TABLE")),
      ),
    );
    const index = collector.schemaChanges().findIndex((c) => c.statement.startsWith("DROP TABLE"));
    const change = collector.schemaChanges()[index] as SchemaChange;
    expectSchemaChange(change, { statement: "DROP TABLE shop.widgets", table: "widgets", columns: [] });
    const deleted = await dataEventNo("widgets", 2);
    expect(envelopeOf(deleted)).toMatchObject({ op: "d", before: { id: 1 }, after: null });
    expect(envelopeOf(deleted).source.lsn as bigint).toBeLessThan(change.source.lsn as bigint);
  });

  it("CREATE INDEX: a schema change of the table, whose columns stay as they were", async () => {
    const statement = "CREATE INDEX items_name ON shop.items (name)";
    await sql.query(statement);
    await connector.until(
      collector.waitFor("the index", () => collector.schemaChanges().some((c) => c.statement === statement)),
    );
    const change = collector.schemaChanges().find((c) => c.statement === statement) as SchemaChange;
    expect(change).toMatchObject({ statement, schema: "shop", source: { schema: "shop" } });
  });

  it("TRUNCATE: a t event on the table's topic and no schema change", async () => {
    const before = collector.schemaChanges().length;
    await sql.query("TRUNCATE shop.items");
    await sql.query("INSERT INTO shop.items (id, name) VALUES (10, 'after truncate')");
    await connector.until(
      collector.waitFor("the row after the truncate", () => dataOf("items").some((e) => e.key?.id === 10n)),
    );
    const truncate = dataOf("items").find((e) => e.value?.op === "t");
    expect(truncate?.key).toBeNull();
    expect(envelopeOf(truncate)).toMatchObject({
      op: "t",
      before: null,
      after: null,
      unchanged: [],
      source: streamed("items"),
      origin: prefix,
    });
    expect(collector.schemaChanges()).toHaveLength(before);
    expect(dataOf("items").map((e) => `${e.value?.op ?? "tombstone"} ${e.key?.id ?? "-"}`)).toEqual([
      "r 1",
      "c 2",
      "u 1",
      "u 2",
      "u 2",
      "c 3",
      "t -",
      "c 10",
    ]);
  });

  it("every schema change is in LSN order and each table's events stay in LSN order", () => {
    const lsns = collector.schemaChanges().map((c) => c.source.lsn as bigint);
    expect(lsns).toEqual([...lsns].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const table of ["items", "gadgets", "widgets"]) {
      const streamedLsns = dataOf(table)
        .filter((e) => e.value && !e.value.source.snapshot)
        .map((e) => e.value?.source.lsn as bigint);
      expect(streamedLsns).toEqual([...streamedLsns].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  });

  it("names the table's key columns in each schema change", () => {
    const create = collector.schemaChanges().find((c) => c.table === "gadgets");
    expect(create?.key).toEqual(["id"]);
    const alter = collector.schemaChanges().find((c) => c.statement.includes("TYPE bigint"));
    expect(alter?.key).toEqual(["id"]);
  });

  it("reports CREATE INDEX as a change of the indexed table, and no change of a table named after an index", () => {
    const index = collector.schemaChanges().find((c) => c.statement.startsWith("CREATE INDEX"));
    expect(index?.table).toBe("items");
    expect(index?.columns.map((c) => c.name)).toEqual(["id", "name", "quantity", "color", "size"]);
    expect(collector.schemaChanges().map((c) => c.table)).not.toContain("gadgets_pkey");
  });

  // The event trigger can only record current_query(), the whole query string; the source splits
  // it with PostgreSQL's parser (capture/ddl-statement.ts) and publishes the DDL statement alone.
  it("publishes only the DDL statement when it shares its query string with DML", async () => {
    const count = collector.schemaChanges().length;
    await sql.query(
      "INSERT INTO shop.items (id) VALUES (20); ALTER TABLE shop.items ADD COLUMN note text; UPDATE shop.items SET note = 'n' WHERE id = 20",
    );
    const change = await schemaChangeNo(count + 1);
    expect(change.statement).toBe("ALTER TABLE shop.items ADD COLUMN note text");
  });
});
