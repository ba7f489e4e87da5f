/**
 * `ddl: apply` end to end on the local stack: the PostgreSQL source (5432) publishes each DDL
 * statement on `<prefix>._schema_changes`, and the sink applies it to the target (5433) through
 * its name mapping (schema `shop` → `replica`, column `items.name` → `title`), before the data
 * written after it. autoEvolve is off, so every column change the target gets comes from the
 * DDL. After each step, the target table's structure (names through the mapping, types, NOT
 * NULL, key) and every row, as text, must equal the source's.
 */
import { tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../test/support/kafka.js";
import {
  closePipeline,
  openSourceAndTarget,
  rowsAsText,
  rowsDifference,
  type ScratchDatabase,
  waitForNoDifferences,
} from "../../../test/support/pipeline.js";
import { connectPg } from "../../../test/support/postgres.js";
import type { PostgresSinkConfig } from "../src/index.js";
import {
  metricValue,
  type Running,
  type RunningSink,
  sinkConfig,
  sourceConfig,
  startSink,
  startSource,
  waitForTopics,
} from "./support/connectors.js";

/** Unique: replication origins are shared by every test on the target cluster. */
const sourceOrigin = uniqueName("origin");
let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let sourceConnector: Running | undefined;
let config: PostgresSinkConfig;
let sink: RunningSink | undefined;

const COLUMN_MAPPING: Record<string, string> = { "items.name": "title" };

/** The table's columns (`name type [not null]`) and primary key, target names mapped back to the source's. */
async function structureOf(client: pg.Client, schema: string, table: string): Promise<string | null> {
  const { rows } = await client.query<{ columns: string | null; key: string | null }>(
    `SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum) AS columns,
            (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2 GROUP BY c.oid`,
    [schema, table],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return `${row.columns} | ${row.key}`;
}

function sourceNamesInTarget(table: string, structure: string | null): string | null {
  let mapped = structure;
  for (const [from, to] of Object.entries(COLUMN_MAPPING)) {
    const [mappedTable, column] = from.split(".");
    if (mappedTable === table && mapped !== null)
      mapped = mapped.replace(new RegExp(`\\b${column}\\b`, "g"), to as string);
  }
  return mapped;
}

/** How the target's `replica.<table>` differs from the source's `shop.<table>`, in structure and in rows. */
async function tableDifferences(table: string): Promise<string[]> {
  const expected = sourceNamesInTarget(table, await structureOf(source, "shop", table));
  const actual = await structureOf(target, "replica", table);
  const found = expected === actual ? [] : [`replica.${table}: source ${expected}\n  target: ${actual}`];
  const rows = rowsDifference(
    `replica.${table}`,
    await rowsAsText(source, `shop.${table}`),
    actual === null ? [] : await rowsAsText(target, `replica.${table}`).catch((): string[] => []),
  );
  return rows === undefined ? found : [...found, rows];
}

/** Waits until the target's `table` has the source's structure and rows; fails naming the difference. */
async function waitForSameTable(table: string, what: string): Promise<void> {
  await waitForNoDifferences(what, () => (sink as Running).until(tableDifferences(table)));
}

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget("tributary_ddl"));
  prefix = uniqueName("ddlit");
  await source.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.items (id int PRIMARY KEY, name text NOT NULL, note text, price numeric(10,2));
    INSERT INTO shop.items SELECT g, 'item ' || g, CASE WHEN g % 2 = 0 THEN 'n' || g END, g * 1.5 FROM generate_series(1, 200) g;
  `);
  sourceConnector = startSource(sourceConfig(sourceDb.name, prefix, sourceOrigin));
  await sourceConnector.until(waitForTopics([tableTopic(prefix, "shop", "items")]));
  config = sinkConfig(uniqueName("ddl_replica"), prefix, targetDb.name, {
    autoEvolve: false,
    ddl: { mode: "apply", drops: true, drainIntervalMs: 200 },
    topics: { pattern: `^${prefix.replaceAll(".", "\\.")}\\.`, refreshIntervalMs: 500 },
    mapping: { schemas: { shop: "replica" }, columns: { "shop.items.name": "title" } },
  });
  sink = startSink(config);
});

afterAll(async () => {
  await closePipeline({
    connectors: [sink, sourceConnector],
    origin: sourceOrigin,
    prefix,
    sourceDb,
    targetDb,
    source,
    target,
  });
});

describe("ddl: apply", () => {
  it("applies the snapshot into a created table, under the mapped names", async () => {
    await waitForSameTable("items", "the snapshot");
    expect(await structureOf(target, "replica", "items")).toBe(
      "id integer not null, title text not null, note text, price numeric(10,2) | PRIMARY KEY (id)",
    );
  });

  it("adds a column (its default filling existing rows) before the rows written with it", async () => {
    await source.query(`
      BEGIN;
      ALTER TABLE shop.items ADD COLUMN qty int NOT NULL DEFAULT 7;
      INSERT INTO shop.items VALUES (1001, 'added in the same transaction', NULL, 1, 3);
      COMMIT;
      INSERT INTO shop.items SELECT g, 'after', NULL, 2, g FROM generate_series(1002, 1100) g;
      UPDATE shop.items SET qty = qty + 1 WHERE id % 10 = 0;
    `);
    await waitForSameTable("items", "ADD COLUMN");
  });

  it("renames a column through the mapping, then writes it", async () => {
    await source.query("ALTER TABLE shop.items RENAME COLUMN qty TO quantity");
    await source.query("UPDATE shop.items SET quantity = quantity * 2 WHERE id > 1050");
    await waitForSameTable("items", "RENAME COLUMN");
  });

  it("renames a mapped column's source name: the target keeps the mapped name of the new name", async () => {
    // items.name is mapped to title; its new source name has no mapping, so the target column follows it.
    await source.query("ALTER TABLE shop.items RENAME COLUMN name TO label");
    await source.query("INSERT INTO shop.items VALUES (2000, 'labelled', NULL, 9, 9)");
    await waitForSameTable("items", "RENAME COLUMN of a mapped column");
  });

  it("changes a column's type, then writes a value only the new type holds", async () => {
    await source.query(
      "ALTER TABLE shop.items ALTER COLUMN quantity TYPE bigint, ALTER COLUMN price TYPE numeric(14,4)",
    );
    await source.query("INSERT INTO shop.items VALUES (3000, 'big', NULL, 12345678.1234, 9000000000)");
    await waitForSameTable("items", "ALTER COLUMN TYPE");
  });

  it("drops a column with drops: true, also when no write follows", async () => {
    await source.query("ALTER TABLE shop.items DROP COLUMN note");
    await waitForSameTable("items", "DROP COLUMN");
    expect(
      await metricValue((sink as RunningSink).registry, "tributary_sink_ddl_total"),
    ).toBeGreaterThanOrEqual(5);
  });

  it("creates a new table with its key before any row, then applies its rows", async () => {
    await source.query("CREATE TABLE shop.fresh (id bigint PRIMARY KEY, v numeric(10,3), tags text[])");
    await waitForSameTable("fresh", "CREATE TABLE");
    await source.query(
      "INSERT INTO shop.fresh SELECT g, g / 3.0, ARRAY['t' || g] FROM generate_series(1, 50) g",
    );
    await waitForSameTable("fresh", "the new table's rows");
  });

  it("renames a table: the target table keeps its rows under the new name", async () => {
    await source.query("ALTER TABLE shop.fresh RENAME TO renamed");
    await source.query(
      "INSERT INTO shop.renamed VALUES (51, 1.5, '{x}'); UPDATE shop.renamed SET v = 0 WHERE id < 5",
    );
    await waitForSameTable("renamed", "RENAME TABLE");
    expect(await structureOf(target, "replica", "fresh")).toBeNull();
  });

  it("applies schema changes made while a stream of writes goes on, losing no write", async () => {
    await source.query("CREATE TABLE shop.stream (id int PRIMARY KEY, v int NOT NULL)");
    const writer = await connectPg(sourceDb.name);
    const stream = writer.query(`
      DO $$ BEGIN
        FOR i IN 1..1500 LOOP
          INSERT INTO shop.stream (id, v) VALUES (i, i);
          UPDATE shop.stream SET v = v + 1 WHERE id = i / 2 + 1;
          COMMIT;
          PERFORM pg_sleep(0.002);
        END LOOP;
      END $$`);
    try {
      const step = async (ddl: string) => {
        await source.query(ddl);
        await new Promise((resolve) => setTimeout(resolve, 300));
      };
      await new Promise((resolve) => setTimeout(resolve, 300));
      await step("ALTER TABLE shop.stream ADD COLUMN extra int DEFAULT 5");
      await step("UPDATE shop.stream SET extra = id WHERE id % 3 = 0");
      await step("ALTER TABLE shop.stream RENAME COLUMN extra TO extra2");
      await step("ALTER TABLE shop.stream ALTER COLUMN extra2 TYPE bigint, ALTER COLUMN v TYPE bigint");
      await step("ALTER TABLE shop.stream ADD COLUMN note text DEFAULT 'n'");
      await step("ALTER TABLE shop.stream DROP COLUMN extra2");
      await stream;
    } finally {
      await writer.end();
    }
    await waitForSameTable("stream", "schema changes during a stream of writes");
  });

  it("applies each schema change once: a restarted sink re-reads the topic and applies none again", async () => {
    await sink?.stop();
    sink = startSink(config);
    await source.query(
      "INSERT INTO shop.stream (id, v) VALUES (100000, 1); INSERT INTO shop.renamed VALUES (52, 2, '{}')",
    );
    await waitForSameTable("stream", "the restart");
    await waitForSameTable("renamed", "the restart");
    await waitForSameTable("items", "the restart");
    expect(await metricValue(sink.registry, "tributary_sink_ddl_total")).toBe(0);
    const { rows } = await target.query<{ n: string }>(
      "SELECT count(*) AS n FROM public.tributary_ddl_offsets WHERE sink = $1",
      [config.name],
    );
    expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(3);
  });
});
