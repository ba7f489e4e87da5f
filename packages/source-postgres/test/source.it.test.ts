import { type Envelope, TributaryError, tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteTopics, uniqueName } from "../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../test/support/postgres.js";
import { RecordCollector, type RecordedEvent } from "../../../test/support/RecordCollector.js";
import { type PostgresSourceConfig, PostgresSourceConnector, releaseSource } from "../src/index.js";
import {
  envelopeAt,
  testLogger as logger,
  sourceConfig,
  startConnector,
  waitForTopics,
} from "./support/source.js";

const after = (event: RecordedEvent) => (event.value as Envelope | null)?.after ?? null;
const op = (event: RecordedEvent) => (event.value as Envelope | null)?.op;

describe("PostgreSQL source", () => {
  let db: { name: string; drop(): Promise<void> };
  let sql: pg.Client;
  let prefix: string;
  let config: PostgresSourceConfig;
  let collector: RecordCollector;
  const topic = (table: string) => tableTopic(prefix, "shop", table);

  beforeAll(async () => {
    db = await scratchDatabase("tributary_src");
    sql = await connectPg(db.name);
    prefix = uniqueName("src");
    config = sourceConfig(db.name, prefix);
    await sql.query(`
      CREATE SCHEMA shop;
      CREATE SCHEMA other;
      CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer text, total numeric(12,2) NOT NULL,
                                placed_at timestamptz NOT NULL, note text);
      CREATE TABLE shop.lines (order_id bigint, line int, sku text, qty int, PRIMARY KEY (order_id, line));
      CREATE TABLE shop.audit (msg text, at timestamptz);
      ALTER TABLE shop.audit REPLICA IDENTITY FULL;
      CREATE TABLE shop.docs (id int PRIMARY KEY, body text, n int);
      CREATE TABLE shop.secret (id int PRIMARY KEY);
      CREATE TABLE other.ignored (id serial PRIMARY KEY, payload text);
      INSERT INTO shop.orders SELECT g, 'customer ' || g, g * 1.25, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second', 'private'
        FROM generate_series(1, 2500) g;
      INSERT INTO shop.lines SELECT (g / 3) + 1, g % 3, 'sku-' || g, g % 7 FROM generate_series(0, 2999) g;
      INSERT INTO shop.audit SELECT 'boot ' || g, now() FROM generate_series(1, 10) g;
      INSERT INTO shop.secret VALUES (1);
    `);
    collector = new RecordCollector(prefix);
  });

  afterAll(async () => {
    await collector?.close();
    await sql?.end();
    await db?.drop();
    await deleteTopics([
      ...["orders", "lines", "audit", "docs"].map(topic),
      `${prefix}._schemas`,
      `${prefix}._offsets`,
      `${prefix}._schema_changes`,
      `${prefix}._heartbeat`,
    ]);
  });

  it("snapshots every selected table inside one snapshot, then streams every kind of change", async () => {
    const connector = startConnector(config);
    try {
      const tables = ["orders", "lines", "audit", "docs"].map(topic);
      await connector.until(waitForTopics(tables));
      await collector.subscribe(tables);
      await connector.until(
        collector.waitFor(
          "the snapshot",
          (events) =>
            events.filter((e) => e.topic === topic("orders")).length >= 2500 &&
            events.filter((e) => e.topic === topic("lines")).length >= 3000 &&
            events.filter((e) => e.topic === topic("audit")).length >= 10,
        ),
      );
      const orders = collector.ofTopic(topic("orders"));
      expect(new Set(orders.map((e) => String(e.key?.id))).size).toBe(2500);
      expect(orders.every((e) => op(e) === "r" && (e.value as Envelope).source.snapshot)).toBe(true);
      const first = orders.find((e) => e.key?.id === 7n);
      expect(after(first as RecordedEvent)).toEqual({
        id: 7n,
        customer: "customer 7",
        total: "8.75",
        placed_at: 1_704_067_207_000_000n,
      });
      expect(
        collector.ofTopic(topic("lines")).every((e) => e.key !== null && "order_id" in (e.key ?? {})),
      ).toBe(true);
      expect(collector.ofTopic(topic("audit")).every((e) => e.key === null)).toBe(true);

      const body = Array.from({ length: 3000 }, (_, i) => `${i}:${Math.random().toString(36)}`).join(",");
      await sql.query("INSERT INTO shop.docs VALUES (1, $1, 0)", [body]);
      await sql.query(`
        BEGIN;
        INSERT INTO shop.orders VALUES (3001, 'new', 10.50, '2030-05-06 07:08:09.123456+00', 'x');
        UPDATE shop.orders SET total = 99.99 WHERE id = 1;
        COMMIT;
        UPDATE shop.orders SET id = 5002 WHERE id = 2;
        DELETE FROM shop.orders WHERE id = 3;
        INSERT INTO shop.audit VALUES ('live', now());
        UPDATE shop.audit SET msg = 'live!' WHERE msg = 'live';
        UPDATE shop.docs SET n = 1 WHERE id = 1;
        TRUNCATE shop.lines;
        INSERT INTO shop.secret VALUES (2);
        INSERT INTO other.ignored (payload) VALUES ('not captured');
      `);
      await connector.until(
        collector.waitFor("the live changes", (events) =>
          events.some((e) => e.topic === topic("lines") && op(e) === "t"),
        ),
      );
      const live = collector.events.filter((e) => e.value === null || !(e.value as Envelope).source.snapshot);
      const summary = live.map(
        (e) =>
          `${e.topic.split(".").at(-1)} ${op(e) ?? "tombstone"} ${JSON.stringify(e.key, (_, v) => (typeof v === "bigint" ? Number(v) : v))}`,
      );
      // Kafka orders events per partition: compare each topic's sequence.
      const byTopic = (name: string) => summary.filter((line) => line.startsWith(`${name} `));
      expect(byTopic("orders")).toEqual([
        'orders c {"id":3001}',
        'orders u {"id":1}',
        'orders d {"id":2}',
        'orders tombstone {"id":2}',
        'orders c {"id":5002}',
        'orders d {"id":3}',
        'orders tombstone {"id":3}',
      ]);
      expect(byTopic("docs")).toEqual(['docs c {"id":1}', 'docs u {"id":1}']);
      expect(byTopic("audit")).toEqual(["audit c null", "audit u null"]);
      expect(byTopic("lines")).toEqual(["lines t null"]);
      const liveOrders = live.filter((e) => e.topic === topic("orders"));
      const insert = envelopeAt(liveOrders, 0);
      expect(insert.after).toEqual({
        id: 3001n,
        customer: "new",
        total: "10.50",
        placed_at: 1_904_281_689_123_456n,
      });
      expect(insert.transaction).toMatchObject({ total_order: 1n, data_collection_order: 1n });
      expect(envelopeAt(liveOrders, 1).transaction).toMatchObject({
        id: insert.transaction?.id,
        total_order: 2n,
      });
      expect(envelopeAt(liveOrders, 1).source.commitTsMs).toBe(insert.source.commitTsMs);
      const auditUpdate = envelopeAt(
        live.filter((e) => e.topic === topic("audit")),
        1,
      );
      expect(auditUpdate.before).toMatchObject({ msg: "live" });
      expect(auditUpdate.after).toMatchObject({ msg: "live!" });
      const docs = live.filter((e) => e.topic === topic("docs"));
      const docUpdate = envelopeAt(docs, 1);
      expect(docUpdate.unchanged).toEqual(["body"]);
      expect(docUpdate.after).toEqual({ id: 1, body: null, n: 1 });
      expect(envelopeAt(docs, 0).after?.body).toBe(body);
      expect(collector.events.some((e) => e.topic.endsWith(".secret") || e.topic.includes(".other."))).toBe(
        false,
      );
    } finally {
      await connector.stop();
    }
  });

  it("restarts where it left off: no second snapshot, no lost or repeated change", async () => {
    const { rows } = await sql.query<{ confirmed: string; current: string }>(
      `SELECT confirmed_flush_lsn::text AS confirmed, pg_current_wal_lsn()::text AS current
         FROM pg_replication_slots WHERE slot_name = $1`,
      [`tributary_${prefix}`],
    );
    expect(rows[0]?.confirmed).toBeDefined();
    const before = collector.events.length;
    await sql.query("INSERT INTO shop.orders VALUES (4000, 'while stopped', 1, now(), null)");
    const connector = startConnector(config);
    try {
      await connector.until(
        collector.waitFor("the change made while stopped", (events) =>
          events.some((e) => e.key?.id === 4000n),
        ),
      );
      await sql.query("INSERT INTO shop.orders VALUES (4001, 'after restart', 1, now(), null)");
      await connector.until(
        collector.waitFor("the change made after restart", (events) =>
          events.some((e) => e.key?.id === 4001n),
        ),
      );
      const since = collector.events.slice(before);
      expect(since.map((e) => e.key?.id)).toEqual([4000n, 4001n]);
      expect(collector.events.filter((e) => op(e) === "r").length).toBe(2500 + 3000 + 10);
    } finally {
      await connector.stop();
    }
  });

  it("keeps the slot moving while only unselected tables change (200 MB of WAL)", async () => {
    const slot = `tributary_${prefix}`;
    const lsnOf = async () =>
      (
        await sql.query<{ lag: string }>(
          "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag FROM pg_replication_slots WHERE slot_name = $1",
          [slot],
        )
      ).rows[0]?.lag;
    const connector = startConnector(config);
    try {
      const { rows } = await sql.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
      // 200 MB of WAL in ten transactions (rows under 2 kB are not compressed), none of it captured.
      for (let i = 0; i < 10; i++) {
        await sql.query(
          "INSERT INTO other.ignored (payload) SELECT repeat('x', 1000) FROM generate_series(1, 20000)",
        );
      }
      const { rows: since } = await sql.query<{ bytes: string }>(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint::text AS bytes",
        [rows[0]?.lsn],
      );
      expect(Number(since[0]?.bytes)).toBeGreaterThan(200_000_000);
      const written = Number(await lsnOf());
      const deadline = Date.now() + 60_000;
      let lag = written;
      while (Date.now() < deadline && lag > 1_000_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        lag = Number(await lsnOf());
      }
      expect(lag).toBeLessThan(1_000_000);
    } finally {
      await connector.stop();
    }
  });

  it("release drops the slot, publication, triggers and helper tables", async () => {
    const report = await releaseSource(config, { force: false });
    expect(report.lines.join("\n")).toContain(`tributary_${prefix}`);
    const { rows } = await sql.query<{ slots: string; pubs: string; helpers: string }>(
      `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1)::text AS slots,
              (SELECT count(*) FROM pg_publication WHERE pubname = $1)::text AS pubs,
              (SELECT count(*) FROM pg_tables WHERE tablename LIKE 'tributary\\_%')::text AS helpers`,
      [`tributary_${prefix}`],
    );
    expect(rows[0]).toEqual({ slots: "0", pubs: "0", helpers: "0" });
  });

  it("refuses a table whose updates cannot be published, before creating anything", async () => {
    await sql.query("CREATE TABLE shop.blind (id int); ALTER TABLE shop.blind REPLICA IDENTITY NOTHING");
    try {
      const blind = sourceConfig(db.name, uniqueName("src"));
      const error = await new PostgresSourceConnector(blind, logger)
        .run(new AbortController().signal)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe("TRB_PG_PRECHECK");
      expect((error as TributaryError).message).toContain("shop.blind");
    } finally {
      await sql.query("DROP TABLE shop.blind");
    }
  });
});
