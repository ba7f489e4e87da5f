/**
 * A snapshot of many tables: their topics are created together and their schemas registered a
 * few at a time (`TableContext.prepareAll`), and each table still gets its own topic, with one
 * partition when it has no key, holding each of its rows once.
 */
import { KafkaTopicAdmin, tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quietLogger, testKafka, uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { RecordCollector } from "../../../../test/support/RecordCollector.js";
import { type PostgresSourceConfig, PostgresSourceConnector } from "../../src/index.js";
import { cleanUpSource, sourceConfig, testLogger } from "../support/source.js";

const KEYED = 30;
const KEYLESS = 10;
const PARTITIONS = 3;

/** Table i holds i + 1 rows, so a row published to the wrong topic shows in the counts. */
const rowsOf = (i: number) => i + 1;
const tables = [
  ...Array.from({ length: KEYED }, (_, i) => ({ name: `keyed_${i}`, keyed: true, rows: rowsOf(i) })),
  ...Array.from({ length: KEYLESS }, (_, i) => ({ name: `keyless_${i}`, keyed: false, rows: rowsOf(i) })),
];

describe("a snapshot of 40 tables", () => {
  let db: { name: string; drop(): Promise<void> };
  let sql: pg.Client;
  let prefix: string;
  let config: PostgresSourceConfig;
  const admin = new KafkaTopicAdmin(testKafka, "test-many-tables", quietLogger);

  beforeAll(async () => {
    db = await scratchDatabase("tributary_many");
    sql = await connectPg(db.name);
    prefix = uniqueName("many");
    config = sourceConfig(db.name, prefix, {
      tables: { include: ["shop.*"] },
      topics: { partitions: PARTITIONS },
      snapshot: { mode: "initial_only", workers: 2 },
    });
    await sql.query("CREATE SCHEMA shop");
    for (const table of tables) {
      await sql.query(
        `CREATE TABLE shop.${table.name} (id int ${table.keyed ? "PRIMARY KEY" : "NOT NULL"}, v text)`,
      );
      if (!table.keyed) await sql.query(`ALTER TABLE shop.${table.name} REPLICA IDENTITY FULL`);
      await sql.query(
        `INSERT INTO shop.${table.name} SELECT g, '${table.name} ' || g FROM generate_series(1, ${table.rows}) g`,
      );
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 120_000);
    try {
      await new PostgresSourceConnector(config, testLogger).run(controller.signal);
    } finally {
      clearTimeout(timer);
    }
    if (controller.signal.aborted) throw new Error("initial_only did not end by itself within 120 s");
  });

  afterAll(async () => {
    await admin.close();
    await sql?.end();
    await cleanUpSource(config, db);
  });

  it("gives each table its own topic, with one partition when the table has no key", async () => {
    const partitions = await Promise.all(
      tables.map(async (table) => [
        table.name,
        (await admin.endOffsets(tableTopic(prefix, "shop", table.name))).size,
      ]),
    );
    expect(Object.fromEntries(partitions)).toEqual(
      Object.fromEntries(tables.map((table) => [table.name, table.keyed ? PARTITIONS : 1])),
    );
  });

  it("publishes every row of every table once, to that table's topic", async () => {
    const topics = tables.map((table) => tableTopic(prefix, "shop", table.name));
    const events = await RecordCollector.readToEnd(prefix, topics);
    const published = new Map<string, string[]>();
    for (const event of events) {
      const values = published.get(event.topic) ?? [];
      values.push(String(event.value?.after?.v));
      published.set(event.topic, values);
    }
    for (const table of tables) {
      const expected = Array.from({ length: table.rows }, (_, i) => `${table.name} ${i + 1}`);
      expect(published.get(tableTopic(prefix, "shop", table.name))?.sort()).toEqual(expected.sort());
    }
  });
});
