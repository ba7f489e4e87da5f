/**
 * Heartbeat events (DESIGN.md sections 2 and 3): while streaming, the source publishes one event
 * per heartbeat interval on `<prefix>._heartbeat`, a compacted topic keyed by the connector name,
 * carrying the position read up to and the commit time of the last transaction read, so an idle
 * connector still shows it moves and how far behind it is. A heartbeat never overtakes the table
 * events before its position.
 */
import { internalTopic, tableTopic } from "@tributary/core";
import kafkajs from "kafkajs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testKafka, uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { RecordCollector } from "../../../../test/support/RecordCollector.js";
import type { PostgresSourceConfig } from "../../src/index.js";
import { lsnValue } from "../faults/fault-fixture.js";
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
let connector: RunningConnector;
let collector: RecordCollector;
const heartbeatTopic = () => internalTopic(prefix, "heartbeat");
const stockTopic = () => tableTopic(prefix, "shop", "stock");

async function currentLsn(): Promise<bigint> {
  const { rows } = await sql.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
  return lsnValue(rows[0]?.lsn ?? "0/0");
}

beforeAll(async () => {
  db = await scratchDatabase("tributary_beats");
  sql = await connectPg(db.name);
  prefix = uniqueName("beats");
  await sql.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.stock (id int PRIMARY KEY, qty int NOT NULL);
    INSERT INTO shop.stock VALUES (1, 10);
  `);
  config = sourceConfig(db.name, prefix, {
    tables: { include: ["shop.*"] },
    origin: "dc_beats",
    heartbeat: { intervalMs: 200 },
  });
  connector = startConnector(config);
  await connector.until(waitForTopics([stockTopic(), heartbeatTopic()]));
  collector = new RecordCollector(prefix);
  await collector.subscribe([stockTopic(), heartbeatTopic()]);
});

afterAll(() => closeSourceTest({ connector, collector, sql, config, db }));

describe("heartbeat events", () => {
  it("are published while the captured tables are idle, each further on, keyed by the connector name", async () => {
    const from = await currentLsn();
    const startedAt = Date.now();
    await connector.until(
      collector.waitFor(
        "three heartbeats after the start",
        () => collector.heartbeats().filter((beat) => (beat.lsn ?? 0n) > from).length >= 3,
      ),
    );
    const records = collector.ofTopic(heartbeatTopic());
    expect(records.every((record) => record.rawKey?.toString() === prefix)).toBe(true);
    const beats = collector.heartbeats();
    for (const beat of beats) {
      expect(beat).toMatchObject({ connector: "postgres", name: prefix, origin: "dc_beats" });
      expect(beat.file).toBeNull();
      expect(beat.pos).toBeNull();
      expect(beat.gtid).toBeNull();
      expect(beat.commit_ts_ms).not.toBeNull();
      expect(beat.ts_ms).toBeGreaterThanOrEqual(beat.commit_ts_ms ?? 0n);
    }
    const lsns = beats.map((beat) => beat.lsn ?? 0n);
    const commits = beats.map((beat) => beat.commit_ts_ms ?? 0n);
    for (let i = 1; i < beats.length; i++) {
      expect(lsns[i]).toBeGreaterThan(lsns[i - 1] ?? 0n);
      expect(commits[i]).toBeGreaterThanOrEqual(commits[i - 1] ?? 0n);
    }
    expect(Number(commits.at(-1))).toBeGreaterThanOrEqual(startedAt - 1_000);
  });

  it("go on a compacted topic of one partition", async () => {
    const admin = new kafkajs.Kafka({
      brokers: testKafka.brokers,
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: heartbeatTopic(),
            configNames: ["cleanup.policy"],
          },
        ],
        includeSynonyms: false,
      });
      const policy = described.resources[0]?.configEntries.find(
        (entry) => entry.configName === "cleanup.policy",
      );
      expect(policy?.configValue).toBe("compact");
      const metadata = await admin.fetchTopicMetadata({ topics: [heartbeatTopic()] });
      expect(metadata.topics[0]?.partitions).toHaveLength(1);
    } finally {
      await admin.disconnect();
    }
  });

  it("never overtake the table events before their position, and the slot keeps being confirmed", async () => {
    await sql.query("UPDATE shop.stock SET qty = 11 WHERE id = 1");
    const committed = await currentLsn();
    await connector.until(
      collector.waitFor("a heartbeat past the update", () =>
        collector.heartbeats().some((beat) => (beat.lsn ?? 0n) >= committed),
      ),
    );
    // Read to the end now: the update must already be there, since the heartbeat is.
    const stock = await RecordCollector.readToEnd(prefix, [stockTopic()]);
    const update = stock.find((event) => event.value?.op === "u");
    expect(update?.value?.after).toEqual({ id: 1, qty: 11 });
    const beat = collector.heartbeats().find((b) => (b.lsn ?? 0n) >= committed);
    expect(beat?.lsn).toBeGreaterThan(update?.value?.source.lsn ?? 0n);
    // Ack before confirm still holds, and the slot moves on with the heartbeats.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await sql.query<{ confirmed: string }>(
        "SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1",
        [`tributary_${prefix}`],
      );
      if (lsnValue(rows[0]?.confirmed ?? "0/0") >= (beat?.lsn ?? 0n)) break;
      if (Date.now() > deadline) throw new Error("the slot did not confirm the heartbeat's position");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
