/**
 * Filters and name mapping end to end: the PostgreSQL source captures a scratch database on
 * 5432, and three sinks apply its topics to three scratch databases on 5433:
 *
 * - filtered: a row filter on shop.orders (rows moving into it by an update are inserted, rows
 *   moving out of it deleted) and an insert-only operation filter on shop.notes (a pattern);
 *   what they leave out is counted and its offsets still recorded;
 * - upper: a renamed schema, table and column, and `capitalization: upper` for the rest;
 * - lower: `capitalization: lower` for mixed-case source names.
 */
import { randomBytes } from "node:crypto";
import { KafkaTopicAdmin, tableTopic } from "@tributary/core";
import kafkajs from "kafkajs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteTopics, quietLogger, testKafka, uniqueName } from "../../../test/support/kafka.js";
import { connectPg, scratchDatabase, TARGET_PORT } from "../../../test/support/postgres.js";
import type { PostgresSinkConfig } from "../src/index.js";
import {
  metricValue,
  type Running,
  sinkConfig,
  sourceConfig,
  startSink,
  startSource,
  topicsOf,
  waitForTopics,
} from "./support/connectors.js";

type Sink = Running & { registry: import("prom-client").Registry };

const databases: { name: string; drop(): Promise<void> }[] = [];
const clients: pg.Client[] = [];
const groups: string[] = [];
const sinks: Sink[] = [];
let source: pg.Client;
let sourceConnector: Running | undefined;
let prefix: string;

async function database(port: number): Promise<{ name: string; client: pg.Client }> {
  const created = await scratchDatabase(`tributary_filters_${randomBytes(2).toString("hex")}`, port);
  databases.push(created);
  const client = await connectPg(created.name, port);
  clients.push(client);
  return { name: created.name, client };
}

function sinkOn(
  targetDb: string,
  overrides: Record<string, unknown>,
): { config: PostgresSinkConfig; sink: Sink } {
  const config = sinkConfig(uniqueName("filters"), prefix, targetDb, overrides);
  groups.push(config.name);
  const sink = startSink(config);
  sinks.push(sink);
  return { config, sink };
}

async function rows(client: pg.Client, sql: string): Promise<string[]> {
  const result = await client.query<{ row: string }>(sql).catch(() => ({ rows: [] as { row: string }[] }));
  return result.rows.map((row) => row.row);
}

/** Waits until `actual()` equals `expected()` (both read again each time); fails showing both. */
async function same(
  sink: Sink,
  actual: () => Promise<string[]>,
  expected: () => Promise<string[]>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [got, want] = await sink.until(Promise.all([actual(), expected()]));
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    if (Date.now() > deadline) expect(got).toEqual(want);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  const sourceDb = await database(5432);
  source = sourceDb.client;
  prefix = uniqueName("it_filters");
  await source.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.orders (id bigint PRIMARY KEY, status text NOT NULL, amount numeric(12,2) NOT NULL,
      placed_at timestamptz NOT NULL DEFAULT '2024-01-01 00:00:00+00');
    CREATE TABLE shop.notes (id int PRIMARY KEY, body text);
    CREATE TABLE shop."MixedCase" ("Id" int PRIMARY KEY, "SomeValue" text);
    INSERT INTO shop.orders (id, status, amount) VALUES (1, 'paid', 150), (2, 'draft', 500), (3, 'paid', 50), (4, 'paid', 101);
    INSERT INTO shop.notes VALUES (1, 'first'), (2, 'second');
    INSERT INTO shop."MixedCase" VALUES (1, 'one'), (2, 'two');
  `);
  sourceConnector = startSource(sourceConfig(sourceDb.name, prefix, "dc1"));
  await sourceConnector.until(
    waitForTopics(["orders", "notes", "MixedCase"].map((table) => tableTopic(prefix, "shop", table))),
  );
});

afterAll(async () => {
  for (const sink of sinks) await sink.stop();
  await sourceConnector?.stop();
  for (const client of clients) await client.end();
  for (const created of databases) await created.drop();
  if (prefix) await deleteTopics(await topicsOf(prefix));
  const admin = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
});

describe("filters", () => {
  it("applies only the rows and operations the filters let through, moving rows in and out on update", async () => {
    const target = await database(TARGET_PORT);
    const { config, sink } = sinkOn(target.name, {
      filters: {
        "shop.orders": {
          where:
            "row.status != 'draft' && row.amount > 100.0 && row.placed_at < timestamp('2030-01-01T00:00:00Z')",
        },
        "shop.no*": { operations: ["insert"] },
      },
    });
    const passing = () =>
      rows(
        source,
        "SELECT format('%s|%s|%s', id, status, amount) AS row FROM shop.orders WHERE status <> 'draft' AND amount > 100 ORDER BY id",
      );
    const applied = () =>
      rows(
        target.client,
        "SELECT format('%s|%s|%s', id, status, amount) AS row FROM shop.orders ORDER BY id",
      );
    await same(sink, applied, passing);
    await source.query(`
      UPDATE shop.orders SET amount = 200 WHERE id = 3;        -- moves in: inserted
      UPDATE shop.orders SET status = 'draft' WHERE id = 1;    -- moves out: deleted
      UPDATE shop.orders SET status = 'paid' WHERE id = 2;     -- moves in
      INSERT INTO shop.orders (id, status, amount) VALUES (5, 'paid', 101), (6, 'draft', 1000);
      DELETE FROM shop.orders WHERE id IN (5, 6);
      UPDATE shop.orders SET id = 30 WHERE id = 3;             -- key change, stays in
      UPDATE shop.orders SET id = 40, status = 'draft' WHERE id = 4;  -- key change, moves out
      UPDATE shop.notes SET body = 'changed' WHERE id = 1;     -- update: not applied
      DELETE FROM shop.notes WHERE id = 2;                     -- delete: not applied
      INSERT INTO shop.notes VALUES (3, 'third');
      INSERT INTO shop.orders (id, status, amount) VALUES (999, 'paid', 999);
    `);
    await same(sink, applied, passing);
    expect(await applied()).toEqual(["2|paid|500.00", "30|paid|200.00", "999|paid|999.00"]);
    await same(
      sink,
      () => rows(target.client, "SELECT format('%s|%s', id, body) AS row FROM shop.notes ORDER BY id"),
      async () => ["1|first", "2|second", "3|third"],
    );
    const text = await sink.registry.metrics();
    expect(text).toMatch(
      /^tributary_sink_events_filtered_total\{table="shop.orders",op="u",result="as_delete"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^tributary_sink_events_filtered_total\{table="shop.orders",op="[cr]",result="skipped"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^tributary_sink_events_filtered_total\{table="shop.notes",op="u",result="skipped"\} 1$/m,
    );
    expect(text).toMatch(
      /^tributary_sink_events_filtered_total\{table="shop.notes",op="d",result="skipped"\} 1$/m,
    );
    expect(await metricValue(sink.registry, "tributary_sink_dead_letters_total")).toBe(0);
    // Filtered-out events still count as consumed: the target records each topic's end offset.
    const admin = new KafkaTopicAdmin(testKafka, "test", quietLogger);
    try {
      for (const table of ["orders", "notes"]) {
        const topic = tableTopic(prefix, "shop", table);
        const end = (await admin.endOffsets(topic)).get(0);
        await same(
          sink,
          () =>
            rows(
              target.client,
              `SELECT next_offset::text AS row FROM public.tributary_offsets WHERE sink = '${config.name}' AND topic = '${topic}'`,
            ),
          async () => [String(end)],
        );
      }
    } finally {
      await admin.close();
    }
  });
});

describe("filters with conflict detection", () => {
  it("takes rows the filter kept out for expected, not conflicts: rows moving in are applied even under ignore", async () => {
    // Replays the orders topic the test above wrote: rows moving in and out of the filter, keyed deletes.
    const target = await database(TARGET_PORT);
    const { sink } = sinkOn(target.name, {
      filters: { "shop.orders": { where: "row.status != 'draft' && row.amount > 100.0" } },
      conflicts: { detect: true, policy: "ignore" },
    });
    await same(
      sink,
      () =>
        rows(
          target.client,
          "SELECT format('%s|%s|%s', id, status, amount) AS row FROM shop.orders ORDER BY id",
        ),
      () =>
        rows(
          source,
          "SELECT format('%s|%s|%s', id, status, amount) AS row FROM shop.orders WHERE status <> 'draft' AND amount > 100 ORDER BY id",
        ),
    );
    // The table exists (created at start with conflicts.detect) and holds no conflict.
    const { rows: recorded } = await target.client.query(
      "SELECT kind, resolution FROM public.tributary_conflicts",
    );
    expect(recorded).toEqual([]);
  });
});

describe("name mapping", () => {
  const columnsSql = `
    SELECT format('%s.%s: %s', c.table_schema, c.table_name, string_agg(c.column_name, ',' ORDER BY c.ordinal_position)) AS row
      FROM information_schema.columns c
     WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema', 'public')
     GROUP BY c.table_schema, c.table_name ORDER BY 1`;

  it("renames schema, table and column, and upper-cases the other names", async () => {
    const target = await database(TARGET_PORT);
    const { sink } = sinkOn(target.name, {
      mapping: {
        schemas: { shop: "Replica" },
        tables: { "shop.orders": "sales.purchases" },
        columns: { "shop.orders.amount": "total_amount" },
        capitalization: "upper",
      },
    });
    await same(
      sink,
      () => rows(target.client, columnsSql),
      async () => [
        "Replica.MIXEDCASE: ID,SOMEVALUE",
        "Replica.NOTES: ID,BODY",
        "sales.purchases: ID,STATUS,total_amount,PLACED_AT",
      ],
    );
    await source.query("UPDATE shop.orders SET amount = amount + 1 WHERE id = 2");
    await same(
      sink,
      () =>
        rows(
          target.client,
          'SELECT format(\'%s|%s\', "ID", total_amount) AS row FROM sales.purchases ORDER BY "ID"',
        ),
      () => rows(source, "SELECT format('%s|%s', id, amount) AS row FROM shop.orders ORDER BY id"),
    );
    await same(
      sink,
      () =>
        rows(
          target.client,
          'SELECT format(\'%s|%s\', "ID", "SOMEVALUE") AS row FROM "Replica"."MIXEDCASE" ORDER BY "ID"',
        ),
      async () => ["1|one", "2|two"],
    );
  });

  it("lower-cases mixed-case source names", async () => {
    const target = await database(TARGET_PORT);
    const { sink } = sinkOn(target.name, { mapping: { capitalization: "lower" } });
    await same(
      sink,
      () => rows(target.client, columnsSql),
      async () => [
        "shop.mixedcase: id,somevalue",
        "shop.notes: id,body",
        "shop.orders: id,status,amount,placed_at",
      ],
    );
    await same(
      sink,
      () =>
        rows(target.client, "SELECT format('%s|%s', id, somevalue) AS row FROM shop.mixedcase ORDER BY id"),
      async () => ["1|one", "2|two"],
    );
  });
});
