/**
 * One conformance suite for the sinks of the PostgreSQL family (DESIGN.md section 5), run once
 * per dialect through the real engine: the PostgreSQL source captures a scratch database on
 * 5432, and each dialect's sink applies the topics to its own scratch database on the local
 * PostgreSQL target (5433). After each workload every row of every table must read the same on
 * both sides, as text.
 *
 * What plain PostgreSQL cannot show is covered by unit tests on the generated SQL (see the
 * README's "Sink dialects: what is verified only by unit tests"):
 * - PolarDB creates tables with Oracle-mode types (NUMBER, VARCHAR2, CLOB, …) that vanilla
 *   PostgreSQL lacks, so its run starts on tables the operator created with PostgreSQL types,
 *   with autoCreate off; its autoEvolve adds a timestamptz column, whose PolarDB type
 *   (`TIMESTAMP(6) WITH TIME ZONE`) PostgreSQL has too.
 * - AnalyticDB runs its plain-PostgreSQL branch: it detects that the target is not
 *   Greenplum-family, so there is no DISTRIBUTED BY and no append-optimized check, but its
 *   delete + insert upserts, key changes and COPY + merge run for real.
 */
import { tableTopic } from "@tributary/core";
import kafkajs from "kafkajs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalyticDbSinkConnector } from "../packages/sink-analyticdb/src/index.js";
import { PolarDbSinkConnector } from "../packages/sink-polardb/src/index.js";
import { type PostgresSinkConfig, PostgresSinkConnector } from "../packages/sink-postgres/src/index.js";
import {
  metricValue,
  type Running,
  type RunningSink,
  sinkConfig,
  sourceConfig,
  startSink,
  startSource,
  waitForTopics,
} from "../packages/sink-postgres/test/support/connectors.js";
import { deleteConsumerGroup, deleteTopicsOf, testKafka, uniqueName } from "./support/kafka.js";
import {
  closeSourceAndTarget,
  dropReplicationOrigin,
  openSourceAndTarget,
  rowsAsText,
  type ScratchDatabase,
  shopTableDifferences,
  waitForNoDifferences,
} from "./support/pipeline.js";

const TABLES = ["items", "events", "docs", "bulk"] as const;

const SOURCE_DDL = `
  CREATE SCHEMA shop;
  CREATE TABLE shop.items (id int PRIMARY KEY, name text NOT NULL, qty int, price numeric(10,2));
  CREATE TABLE shop.events (msg text, n int);
  ALTER TABLE shop.events REPLICA IDENTITY FULL;
  CREATE TABLE shop.docs (id int PRIMARY KEY, title text, body text NOT NULL);
  ALTER TABLE shop.docs ALTER COLUMN body SET STORAGE EXTERNAL;
  CREATE TABLE shop.bulk (id int PRIMARY KEY, v text);
`;

interface DialectCase {
  readonly connector: PostgresSinkConfig["connector"];
  readonly Connector: typeof PostgresSinkConnector;
  /** The target tables exist before the sink starts (PostgreSQL types), and autoCreate is off. */
  readonly precreated: boolean;
  /** The target type of a timestamptz column autoEvolve adds. */
  readonly addedType: string;
}

const CASES: readonly DialectCase[] = [
  {
    connector: "postgres-sink",
    Connector: PostgresSinkConnector,
    precreated: false,
    addedType: "timestamp with time zone",
  },
  {
    connector: "polardb-sink",
    Connector: PolarDbSinkConnector,
    precreated: true,
    addedType: "timestamp(6) with time zone",
  },
  {
    connector: "analyticdb-sink",
    Connector: AnalyticDbSinkConnector,
    precreated: false,
    addedType: "timestamp with time zone",
  },
];

async function endOffsets(topics: readonly string[]): Promise<Map<string, string>> {
  const admin = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = new Map<string, string>();
    for (const topic of topics) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic))
        ends.set(`${topic}:${partition}`, high);
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

describe.each(CASES)("sink conformance: $connector", ({ connector, Connector, precreated, addedType }) => {
  let sourceDb: ScratchDatabase;
  let targetDb: ScratchDatabase;
  let source: pg.Client;
  let target: pg.Client;
  let prefix: string;
  let config: PostgresSinkConfig;
  let sourceRun: Running | undefined;
  let sink: RunningSink | undefined;

  async function waitForSameRows(what: string): Promise<void> {
    await waitForNoDifferences(
      what,
      () => (sink as Running).until(shopTableDifferences(source, target, TABLES)),
      90_000,
    );
  }

  const copied = async () => metricValue((sink as RunningSink).registry, "tributary_sink_rows_copied_total");

  beforeAll(async () => {
    const tag = connector.split("-")[0] as string;
    ({ sourceDb, targetDb, source, target } = await openSourceAndTarget(
      `tributary_conf_${tag}`,
      "SET TimeZone = 'UTC'; SET DateStyle = ISO",
    ));
    prefix = uniqueName(`conf_${tag}`);
    await source.query(SOURCE_DDL);
    if (precreated) await target.query(SOURCE_DDL);
    await source.query(`
      INSERT INTO shop.items SELECT g, 'item ' || g, g % 7, g * 1.5 FROM generate_series(1, 30) g;
      INSERT INTO shop.events SELECT 'boot', 1 FROM generate_series(1, 3);
      INSERT INTO shop.events SELECT 'e' || g, g FROM generate_series(1, 5) g;
      INSERT INTO shop.docs SELECT g, 'doc ' || g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 600) i)
        FROM generate_series(1, 8) g;
      INSERT INTO shop.bulk VALUES (0, 'seed');
    `);
    sourceRun = startSource(sourceConfig(sourceDb.name, prefix, prefix));
    await sourceRun.until(waitForTopics(TABLES.map((table) => tableTopic(prefix, "shop", table))));
    config = sinkConfig(uniqueName(`conf_${tag}_sink`), prefix, targetDb.name, {
      connector,
      autoCreate: !precreated,
      batch: { maxEvents: 5000, maxWaitMs: 20, copyThreshold: 50 },
    });
    sink = startSink(config, Connector);
  });

  afterAll(async () => {
    await sink?.stop();
    await sourceRun?.stop();
    // The sink set up a replication origin for the source's origin (the prefix).
    if (prefix) await dropReplicationOrigin(target, prefix);
    await closeSourceAndTarget({ sourceDb, targetDb, source, target });
    await deleteTopicsOf(prefix);
    if (config) await deleteConsumerGroup(config.name).catch(() => undefined);
  });

  it(
    precreated
      ? "applies the snapshot into the tables the operator created"
      : "creates the tables and applies the snapshot",
    async () => {
      await waitForSameRows("the snapshot");
      const created = await metricValue((sink as RunningSink).registry, "tributary_sink_ddl_total");
      expect(created).toBe(precreated ? 0 : TABLES.length);
      const { rows } = await target.query<{ table: string; key: string | null }>(`
      SELECT c.relname AS table,
             (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS key
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'shop' AND c.relkind = 'r' ORDER BY c.relname`);
      expect(rows).toEqual([
        { table: "bulk", key: "PRIMARY KEY (id)" },
        { table: "docs", key: "PRIMARY KEY (id)" },
        { table: "events", key: null },
        { table: "items", key: "PRIMARY KEY (id)" },
      ]);
    },
  );

  it("applies inserts, updates and deletes of a keyed table", async () => {
    await source.query(`
      INSERT INTO shop.items SELECT g, 'new ' || g, NULL, NULL FROM generate_series(31, 40) g;
      UPDATE shop.items SET qty = coalesce(qty, 0) + 100, price = NULL WHERE id % 3 = 0;
      DELETE FROM shop.items WHERE id % 5 = 0;
      BEGIN; INSERT INTO shop.items VALUES (1000, 'short-lived', 1, 1); UPDATE shop.items SET name = 'twice' WHERE id = 1000;
        DELETE FROM shop.items WHERE id = 1000; INSERT INTO shop.items VALUES (1001, 'kept', 2, 2.25); COMMIT;
    `);
    await waitForSameRows("keyed inserts, updates and deletes");
    expect(await rowsAsText(target, "shop.items")).toContain("(1001,kept,2,2.25)");
  });

  it("turns a key change into a delete of the old key and an insert of the new one", async () => {
    await source.query(`
      UPDATE shop.items SET id = id + 500 WHERE id IN (1, 2, 3);
      BEGIN; UPDATE shop.items SET id = 4000 WHERE id = 4; UPDATE shop.items SET id = 4 WHERE id = 6; COMMIT;
    `);
    await waitForSameRows("key changes");
    const { rows } = await target.query("SELECT id FROM shop.items WHERE id IN (1, 2, 3, 6) ORDER BY id");
    expect(rows).toEqual([]);
  });

  it("applies changes to a table without a key one row at a time, duplicates included", async () => {
    await source.query(`
      INSERT INTO shop.events SELECT 'dup', 7 FROM generate_series(1, 4);
      UPDATE shop.events SET n = 8 WHERE ctid = (SELECT ctid FROM shop.events WHERE msg = 'dup' LIMIT 1);
      DELETE FROM shop.events WHERE ctid = (SELECT ctid FROM shop.events WHERE msg = 'boot' LIMIT 1);
      UPDATE shop.events SET msg = 'renamed' WHERE msg = 'e1';
    `);
    await waitForSameRows("keyless changes");
    expect((await rowsAsText(target, "shop.events")).filter((row) => row === "(dup,7)")).toHaveLength(3);
  });

  it("keeps unchanged TOASTed columns as they are", async () => {
    const before = await rowsAsText(target, "shop.docs");
    await source.query("UPDATE shop.docs SET title = 'retitled ' || id WHERE id <= 4");
    await waitForSameRows("updates leaving a TOASTed column unchanged");
    const { rows } = await target.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM shop.docs WHERE length(body) = 600 * 32 AND title LIKE 'retitled %'",
    );
    expect(rows[0]?.n).toBe(4);
    expect(await rowsAsText(target, "shop.docs")).not.toEqual(before);
  });

  it("applies a truncate", async () => {
    await source.query("TRUNCATE shop.events; INSERT INTO shop.events VALUES ('after truncate', 1)");
    await waitForSameRows("a truncate");
    expect(await rowsAsText(target, "shop.events")).toEqual(['("after truncate",1)']);
  });

  it("sends a large batch through COPY and merges it", async () => {
    const before = await copied();
    await source.query(`
      INSERT INTO shop.bulk SELECT g, 'v' || g FROM generate_series(1, 3000) g;
      UPDATE shop.bulk SET v = v || ' updated' WHERE id % 2 = 0;
      DELETE FROM shop.bulk WHERE id % 3 = 0;
    `);
    await waitForSameRows("a large batch");
    expect(await copied()).toBeGreaterThan(before);
    const { rows } = await target.query<{ n: number }>("SELECT count(*)::int AS n FROM shop.bulk");
    expect(rows[0]?.n).toBe(2000);
  });

  it("adds a column a newer source schema has (autoEvolve)", async () => {
    await source.query(`
      ALTER TABLE shop.items ADD COLUMN seen_at timestamptz;
      UPDATE shop.items SET seen_at = '2024-05-01 12:00:00.123456+00' WHERE id % 2 = 1;
    `);
    await waitForSameRows("a new column");
    const { rows } = await target.query<{ type: string }>(
      "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attname = 'seen_at'",
    );
    expect(rows).toEqual([{ type: addedType }]);
  });

  it("records in the target the offset after every applied event", async () => {
    const topics = TABLES.map((table) => tableTopic(prefix, "shop", table));
    const ends = await endOffsets(topics);
    const recorded = async () => {
      const { rows } = await target.query<{ topic: string; partition: number; next_offset: string }>(
        "SELECT topic, partition, next_offset::text FROM public.tributary_offsets WHERE sink = $1",
        [config.name],
      );
      return new Map(rows.map((row) => [`${row.topic}:${row.partition}`, row.next_offset]));
    };
    // Rows equal once the last change is applied; its transaction recorded the offset too.
    const deadline = Date.now() + 30_000;
    let rows = await recorded();
    while (JSON.stringify([...rows].sort()) !== JSON.stringify([...ends].sort()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      rows = await recorded();
    }
    expect(rows).toEqual(ends);
  });
});
