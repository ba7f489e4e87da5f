/**
 * The PostgreSQL sink end to end on the local stack: the PostgreSQL source captures a scratch
 * database on 5432 (keyed, composite-key and keyless tables; an enum, numeric, timestamptz,
 * arrays, bytea, jsonb and a TOASTed text), and the sink applies its topics to a scratch
 * database on 5433, creating the tables. After the snapshot and after each live workload,
 * every row and every column of every table must read the same on both sides, as text.
 *
 * Exactly once: the sink is stopped mid-way, the consumer group's Kafka offsets are reset to
 * the start of the topics (as if the sink had crashed before committing any of them), and the
 * restarted sink still neither loses nor repeats a change — the keyless table, whose duplicate
 * rows an applied-twice insert would add to, proves it. Loop prevention: changes the source
 * tags with the sink's own origin are not applied, and the sink's own transactions are marked
 * with a replication origin on the target.
 */
import { randomBytes } from "node:crypto";
import { tableTopic } from "@tributary/core";
import type pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteConsumerGroup, deleteTopicsOf, uniqueName } from "../../../test/support/kafka.js";
import {
  closeSourceAndTarget,
  dropReplicationOrigin,
  openSourceAndTarget,
  type ScratchDatabase,
  shopTableDifferences,
  waitForNoDifferences,
} from "../../../test/support/pipeline.js";
import { connectPg, TARGET_PORT } from "../../../test/support/postgres.js";
import { type PostgresSinkConfig, PostgresSinkConnector } from "../src/index.js";
import {
  metricValue,
  type Running,
  type RunningSink,
  sinkConfig,
  sourceConfig,
  startSink,
  startSource,
  testLogger,
  waitForTopics,
} from "./support/connectors.js";

const TABLES = ["orders", "lines", "audit", "docs"] as const;
// Replication origins are cluster-wide: a name of this run's own, so concurrent runs never share one.
const SOURCE_ORIGIN = `dc1_${randomBytes(3).toString("hex")}`;
const TARGET_ORIGIN = `dc2_${randomBytes(3).toString("hex")}`;

let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let config: PostgresSinkConfig;
let sourceConnector: Running | undefined;
let sink: RunningSink | undefined;
const slot = `tributary_sinkit_${randomBytes(4).toString("hex")}`;
let createdOrigin = false;
/** Consumer groups to delete afterwards. */
const groups: string[] = [];

/** Waits until the target equals the source in every table; fails with the differences left. */
async function waitForSameRows(what: string): Promise<void> {
  await waitForNoDifferences(what, () =>
    (sink as Running).until(shopTableDifferences(source, target, TABLES)),
  );
}

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget(
    "tributary_sink",
    "SET TimeZone = 'UTC'; SET DateStyle = ISO; SET extra_float_digits = 3; SET bytea_output = hex",
  ));
  prefix = uniqueName("sinkit");
  await source.query(`
    CREATE SCHEMA shop;
    CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE shop.orders (
      id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12,2) NOT NULL, ratio numeric,
      placed_at timestamptz NOT NULL, mood shop.mood, tags text[], scores int[], doc jsonb, payload bytea,
      ship_date date, note varchar(40));
    CREATE TABLE shop.lines (order_id bigint, line int, sku text NOT NULL, qty int, price float8,
      PRIMARY KEY (order_id, line));
    CREATE TABLE shop.audit (msg text, at timestamptz, n int, meta json, flags boolean[]);
    ALTER TABLE shop.audit REPLICA IDENTITY FULL;
    CREATE TABLE shop.docs (id int PRIMARY KEY, title text, body text NOT NULL, n int NOT NULL);
    ALTER TABLE shop.docs ALTER COLUMN body SET STORAGE EXTERNAL;

    INSERT INTO shop.orders
    SELECT g, 'customer ' || g || CASE WHEN g % 5 = 0 THEN E' "quoted"\\\\ \\ttab' ELSE '' END,
           g * 1.25, CASE WHEN g % 9 = 0 THEN 'NaN'::numeric ELSE g / 7.0 END,
           '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second 1 microsecond',
           (ARRAY['sad', 'ok', 'happy', NULL])[1 + g % 4]::shop.mood,
           CASE WHEN g % 3 = 0 THEN ARRAY['a b', NULL, 'x"y', '{}', ''] ELSE ARRAY['t' || g] END,
           ARRAY[g, -g, NULL], jsonb_build_object('g', g, 'nested', jsonb_build_array(1, 'two', null)),
           CASE WHEN g % 4 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') || '\\x00ff'::bytea END,
           DATE '2024-02-29' + g, CASE WHEN g % 2 = 0 THEN 'note ' || g END
      FROM generate_series(1, 1500) g;
    INSERT INTO shop.lines SELECT (g / 4) + 1, g % 4, 'sku-' || g, g % 7, g / 3.0 FROM generate_series(0, 1999) g;
    INSERT INTO shop.audit SELECT 'boot ' || g, '2024-05-01 12:00:00+00', g, '{"k": [1, 2]}', ARRAY[g % 2 = 0, NULL]
      FROM generate_series(1, 60) g;
    INSERT INTO shop.audit SELECT 'dup', '2024-05-01 12:00:00+00', 0, '{"same": true}', NULL FROM generate_series(1, 5);
    INSERT INTO shop.docs SELECT g, 'doc ' || g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 1500) i), 0
      FROM generate_series(1, 20) g;
  `);
  // Replication origins belong to the cluster: drop ours afterwards unless an earlier run left it.
  const { rows: existing } = await target.query("SELECT 1 FROM pg_replication_origin WHERE roname = $1", [
    `tributary_${SOURCE_ORIGIN}`,
  ]);
  createdOrigin = existing.length === 0;
  // Changes the sink writes under a replication origin are invisible to an only-local decoding.
  await target.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [slot]);
  sourceConnector = startSource(sourceConfig(sourceDb.name, prefix, SOURCE_ORIGIN));
  await sourceConnector.until(waitForTopics(TABLES.map((table) => tableTopic(prefix, "shop", table))));
  config = sinkConfig(uniqueName("replica"), prefix, targetDb.name, {
    origin: TARGET_ORIGIN,
    batch: { maxEvents: 500, maxWaitMs: 20, copyThreshold: 50 },
  });
  groups.push(config.name);
  sink = startSink(config);
});

afterAll(async () => {
  await sink?.stop();
  await sourceConnector?.stop();
  await target?.query("SELECT pg_drop_replication_slot($1)", [slot]).catch(() => undefined);
  if (createdOrigin) await dropReplicationOrigin(target, SOURCE_ORIGIN);
  await closeSourceAndTarget({ sourceDb, targetDb, source, target });
  await deleteTopicsOf(prefix);
  for (const group of groups) await deleteConsumerGroup(group).catch(() => undefined);
});

describe("PostgreSQL sink", () => {
  it("applies the snapshot into tables it creates with the source's exact types and keys", async () => {
    await waitForSameRows("the snapshot");
    const { rows } = await target.query<{ table: string; columns: string; key: string | null }>(`
      SELECT c.relname AS table,
             string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum) AS columns,
             (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS key
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       WHERE n.nspname = 'shop' AND c.relkind = 'r' GROUP BY c.oid, c.relname ORDER BY c.relname`);
    expect(rows).toEqual([
      {
        table: "audit",
        columns: "msg text, at timestamp with time zone, n integer, meta json, flags boolean[]",
        key: null,
      },
      {
        table: "docs",
        columns: "id integer not null, title text, body text not null, n integer not null",
        key: "PRIMARY KEY (id)",
      },
      {
        table: "lines",
        columns:
          "order_id bigint not null, line integer not null, sku text not null, qty integer, price double precision",
        key: "PRIMARY KEY (order_id, line)",
      },
      {
        table: "orders",
        columns:
          "id bigint not null, customer text not null, total numeric(12,2) not null, ratio numeric, " +
          "placed_at timestamp with time zone not null, mood shop.mood, tags text[], scores integer[], doc jsonb, " +
          "payload bytea, ship_date date, note character varying(40)",
        key: "PRIMARY KEY (id)",
      },
    ]);
  });

  it("applies a mixed live workload: inserts, updates (TOAST unchanged, key changes), deletes, a truncate", async () => {
    // A target trigger must not fire for applied changes (session_replication_role = replica).
    await target.query(`
      CREATE TABLE public.fired (at timestamptz DEFAULT now());
      CREATE FUNCTION public.log_fired() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.fired DEFAULT VALUES; RETURN NULL; END $$;
      CREATE TRIGGER fired AFTER INSERT OR UPDATE OR DELETE ON shop.orders FOR EACH ROW EXECUTE FUNCTION public.log_fired();
    `);
    await source.query(`
      INSERT INTO shop.orders (id, customer, total, placed_at, mood, tags, doc)
        SELECT g, 'live ' || g, g, now(), 'happy', ARRAY['live'], '{"live": true}' FROM generate_series(2001, 2200) g;
      UPDATE shop.orders SET total = total + 1, mood = 'sad', tags = tags || ARRAY['upd'] WHERE id % 7 = 0;
      UPDATE shop.orders SET id = id + 100000 WHERE id BETWEEN 1 AND 10;
      DELETE FROM shop.orders WHERE id BETWEEN 11 AND 30;
      UPDATE shop.docs SET n = n + 1;
      UPDATE shop.docs SET title = 'retitled ' || id WHERE id <= 5;
      UPDATE shop.lines SET line = line + 100 WHERE order_id = 50;
      DELETE FROM shop.lines WHERE order_id BETWEEN 60 AND 70;
      UPDATE shop.audit SET n = n + 1 WHERE msg = 'dup';
      DELETE FROM shop.audit WHERE ctid = (SELECT ctid FROM shop.audit WHERE msg = 'dup' LIMIT 1);
      INSERT INTO shop.audit VALUES ('dup', '2024-05-01 12:00:00+00', 1, '{"same": true}', NULL);
      BEGIN;
        INSERT INTO shop.orders (id, customer, total, placed_at) VALUES (5000, 'in one tx', 1, now());
        UPDATE shop.orders SET customer = 'changed twice' WHERE id = 5000;
        UPDATE shop.orders SET id = 5001 WHERE id = 5000;
        DELETE FROM shop.orders WHERE id = 40;
        INSERT INTO shop.orders (id, customer, total, placed_at) VALUES (40, 'back again', 40, now());
        UPDATE shop.docs SET n = n + 10 WHERE id = 1;
        UPDATE shop.docs SET body = 'small now' WHERE id = 2;
      COMMIT;
      TRUNCATE shop.lines;
      INSERT INTO shop.lines SELECT g, 1, 'after truncate ' || g, g, 0.5 FROM generate_series(1, 300) g;
    `);
    await waitForSameRows("the live workload");
    const { rows } = await target.query<{ n: string }>("SELECT count(*) AS n FROM public.fired");
    expect(rows[0]?.n).toBe("0");
  });

  it("evolves the target table when the source adds a column and an enum label, mid-batch", async () => {
    await source.query(
      "INSERT INTO shop.orders (id, customer, total, placed_at) VALUES (6000, 'before the column', 1, now())",
    );
    await source.query(
      "ALTER TABLE shop.orders ADD COLUMN priority smallint, ADD COLUMN labels varchar(10)[]",
    );
    await source.query(`
      INSERT INTO shop.orders (id, customer, total, placed_at, priority, labels) VALUES (6001, 'after', 1, now(), 3, '{a,b}');
      UPDATE shop.orders SET priority = 1 WHERE id BETWEEN 1200 AND 1210;
    `);
    await source.query("ALTER TYPE shop.mood ADD VALUE 'ecstatic' AFTER 'happy'");
    await source.query("UPDATE shop.orders SET mood = 'ecstatic' WHERE id = 1300");
    await waitForSameRows("the schema changes");
    const { rows } = await target.query<{ columns: string }>(
      `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS columns
         FROM pg_attribute WHERE attrelid = 'shop.orders'::regclass AND attnum > 12 AND NOT attisdropped`,
    );
    expect(rows[0]?.columns).toBe("priority smallint, labels character varying(10)[]");
  });

  it("neither loses nor repeats a change when restarted mid-stream, even when Kafka's offsets start over", async () => {
    const dups = async () => {
      const { rows } = await target.query<{ n: string }>(
        "SELECT count(*) AS n FROM shop.audit WHERE msg = 'dup'",
      );
      return Number(rows[0]?.n);
    };
    const before = await dups();
    // 200 transactions, one identical keyless row and one update each: a row applied twice would show.
    const writer = await connectPg(sourceDb.name);
    const stream = writer.query(`
      DO $$ BEGIN
        FOR i IN 1..200 LOOP
          INSERT INTO shop.audit VALUES ('dup', '2024-05-01 12:00:00+00', 1, '{"same": true}', NULL);
          UPDATE shop.orders SET total = total + 1, scores = scores || i WHERE id = 1000 + i % 50;
          COMMIT;
          PERFORM pg_sleep(0.005);
        END LOOP;
      END $$`);
    try {
      await (sink as Running).until(
        (async () => {
          while ((await dups()) < before + 20) await new Promise((resolve) => setTimeout(resolve, 20));
        })(),
      );
      await (sink as Running).stop();
      sink = undefined;
      const stoppedAt = await dups();
      await stream;
      expect(stoppedAt).toBeLessThan(before + 200);
    } finally {
      await writer.end();
    }
    await source.query(`
      INSERT INTO shop.orders (id, customer, total, placed_at) SELECT g, 'while stopped', g, now() FROM generate_series(3001, 3100) g;
      UPDATE shop.docs SET n = n + 100;
      DELETE FROM shop.orders WHERE id BETWEEN 31 AND 40;
    `);
    // As if the sink had crashed after its target commits but before any Kafka commit: the group
    // has no committed offset, and would start from the beginning of every topic.
    await deleteConsumerGroup(config.name);
    sink = startSink(config);
    await source.query("INSERT INTO shop.audit VALUES ('after restart', now(), 7, 'null', ARRAY[true])");
    await waitForSameRows("the restart");
    expect(await dups()).toBe(before + 200);
    const { rows: offsets } = await target.query<{ topic: string; next_offset: string }>(
      "SELECT topic, next_offset::text FROM public.tributary_offsets WHERE sink = $1 ORDER BY topic",
      [config.name],
    );
    expect(offsets.map((row) => row.topic)).toEqual(
      [...TABLES].sort().map((table) => tableTopic(prefix, "shop", table)),
    );
  });

  it("shares the partitions between two instances of one sink, still exactly once", async () => {
    const first = sink as Running;
    const second = startSink(config);
    const dups = async () =>
      Number((await target.query("SELECT count(*) AS n FROM shop.audit WHERE msg = 'dup'")).rows[0]?.n);
    const before = await dups();
    const writer = await connectPg(sourceDb.name);
    const stream = writer.query(`
      DO $$ BEGIN
        FOR i IN 1..150 LOOP
          INSERT INTO shop.audit VALUES ('dup', '2024-05-01 12:00:00+00', 1, '{"same": true}', NULL);
          UPDATE shop.orders SET total = total + 1 WHERE id = 1000 + i % 50;
          UPDATE shop.docs SET n = n + 1 WHERE id = 1 + i % 20;
          INSERT INTO shop.lines VALUES (100000 + i, 1, 'shared', i, 0);
          COMMIT;
          PERFORM pg_sleep(0.02);
        END LOOP;
      END $$`);
    try {
      // Both instances apply: the second joined the group and got some of the partitions.
      await second.until(
        (async () => {
          while ((await metricValue(second.registry, "tributary_sink_batches_total")) === 0) {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })(),
      );
      await stream;
    } finally {
      await writer.end();
    }
    await first.stop();
    sink = second;
    await waitForSameRows("two instances");
    expect(await dups()).toBe(before + 150);
  });

  it("does not apply changes that came from the target itself (its own origin), but moves past them", async () => {
    const running = sink as RunningSink;
    const droppedBefore = await metricValue(
      running.registry,
      "tributary_sink_events_dropped_by_origin_total",
    );
    // A transaction the source tags with the sink's origin, as if the target's own sink had written it.
    await source.query(`
      BEGIN;
      INSERT INTO public.tributary_origin_marker (sink, origin, seq, marked_at) VALUES ('echo', '${TARGET_ORIGIN}', 1, now())
        ON CONFLICT (sink) DO UPDATE SET origin = excluded.origin, seq = tributary_origin_marker.seq + 1;
      INSERT INTO shop.orders (id, customer, total, placed_at) VALUES (999999, 'echo', 1, now());
      UPDATE shop.orders SET customer = 'echo' WHERE id = 501;
      COMMIT;
      INSERT INTO shop.orders (id, customer, total, placed_at) VALUES (999998, 'after the echo', 1, now());
    `);
    await running.until(
      (async () => {
        for (;;) {
          const { rows } = await target.query("SELECT 1 FROM shop.orders WHERE id = 999998");
          if (rows.length > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })(),
    );
    const { rows } = await target.query<{ id: string; customer: string }>(
      "SELECT id::text, customer FROM shop.orders WHERE id IN (501, 999999) ORDER BY id",
    );
    expect(rows).toEqual([{ id: "501", customer: "customer 501" }]);
    expect(await metricValue(running.registry, "tributary_sink_events_dropped_by_origin_total")).toBe(
      droppedBefore + 2,
    );
    // Undone at the source by ordinary transactions, the tables agree again.
    await source.query(
      "DELETE FROM shop.orders WHERE id = 999999; UPDATE shop.orders SET customer = 'customer 501' WHERE id = 501",
    );
    await waitForSameRows("undoing the echo");
  });

  it("counts what it applied per table and operation, its batches and their duration", async () => {
    const { registry } = sink as RunningSink;
    await source.query("INSERT INTO shop.lines VALUES (424242, 1, 'counted', 1, 0)");
    await waitForSameRows("one more insert");
    const text = await registry.metrics();
    expect(text).toMatch(/^tributary_sink_events_applied_total\{table="shop.lines",op="c"\} [1-9]\d*$/m);
    expect(text).toMatch(/^tributary_sink_batches_total [1-9]\d*$/m);
    expect(text).toMatch(/^tributary_sink_apply_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^tributary_sink_commit_to_apply_ms \d+$/m);
  });

  it("stamps each transaction it applies under the replication origin with the source's commit time", async () => {
    const commitTimes: string[] = [];
    for (const line of [1, 2, 3]) {
      await source.query("INSERT INTO shop.lines VALUES (737373, $1, 'stamped', 1, 0)", [line]);
      const { rows } = await source.query<{ at: string }>(
        "SELECT pg_xact_commit_timestamp(xmin)::text AS at FROM shop.lines WHERE order_id = 737373 AND line = $1",
        [line],
      );
      commitTimes.push(rows[0]?.at ?? "");
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await waitForSameRows("three stamped inserts");
    const { rows } = await target.query<{ line: number; at: string; origin: string | null }>(
      `SELECT line, (pg_xact_commit_timestamp_origin(t.xmin)).timestamp::text AS at, o.roname AS origin
         FROM shop.lines AS t
         LEFT JOIN pg_replication_origin AS o ON o.roident = (pg_xact_commit_timestamp_origin(t.xmin)).roident
        WHERE order_id = 737373 ORDER BY line`,
    );
    // The event carries milliseconds: the target's commit time is the source's, truncated to them.
    const toMs = (at: string) => new Date(at.replace(" ", "T").replace(/\+00$/, "Z")).getTime();
    // One target transaction may apply several source transactions: it takes the last one's time.
    const sourceMs = commitTimes.map(toMs);
    const underOrigin = rows.filter((row) => row.origin === `tributary_${SOURCE_ORIGIN}`);
    expect(underOrigin.map((row) => row.line)).toContain(3);
    for (const row of underOrigin) {
      const later = sourceMs.slice(row.line - 1);
      expect(
        later.some((ms) => Math.abs(ms - toMs(row.at)) <= 1),
        `line ${row.line}: ${row.at} vs ${commitTimes}`,
      ).toBe(true);
    }
    expect(
      Math.abs(toMs(rows.find((row) => row.line === 3)?.at ?? "") - (sourceMs[2] as number)),
    ).toBeLessThanOrEqual(1);
    const { rows: progress } = await target.query<{ remote: string }>(
      "SELECT remote_lsn::text AS remote FROM pg_replication_origin_status s JOIN pg_replication_origin o " +
        "ON o.roident = s.local_id WHERE o.roname = $1",
      [`tributary_${SOURCE_ORIGIN}`],
    );
    expect(progress[0]?.remote).not.toBe("0/0");
  });

  it("marks each transaction with the replication origin of its changes, or else a marker row first", async () => {
    const { rows: origins } = await target.query<{ roname: string }>(
      "SELECT roname FROM pg_replication_origin WHERE roname = $1",
      [`tributary_${SOURCE_ORIGIN}`],
    );
    expect(origins).toHaveLength(1);
    const changes = async (onlyLocal: boolean) => {
      const options = onlyLocal ? ", 'only-local', '1'" : "";
      const { rows } = await target.query<{ xid: string; data: string }>(
        `SELECT xid::text, data FROM pg_logical_slot_peek_changes($1, NULL, NULL${options}) WHERE data LIKE 'table %'`,
        [slot],
      );
      return rows;
    };
    const all = await changes(false);
    const local = await changes(true);
    const data = (rows: { data: string }[]) =>
      rows.filter((row) => row.data.startsWith("table shop.")).length;
    expect(data(all)).toBeGreaterThan(3500);
    // Most went under the replication origin: an only-local decoding does not see them. The rest
    // were applied by the second instance while the first held the origin: each of those
    // transactions starts with the marker row naming the origin.
    expect(data(local)).toBeLessThan(data(all) / 4);
    const first = new Map<string, string>();
    for (const row of local) if (!first.has(row.xid)) first.set(row.xid, row.data);
    for (const xid of new Set(
      local.filter((row) => row.data.startsWith("table shop.")).map((row) => row.xid),
    )) {
      expect(first.get(xid)).toMatch(
        new RegExp(
          `^table public\\.tributary_origin_marker: (INSERT|UPDATE): .*origin\\[text\\]:'${SOURCE_ORIGIN}'`,
        ),
      );
    }
  });

  it("retries a lost target connection with a fresh session, still exactly once", async () => {
    const terminated = await target.query<{ pid: number }>(
      "SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE application_name = $1",
      [`tributary-sink-${config.name}`],
    );
    expect(terminated.rows.length).toBeGreaterThan(0);
    await source.query(`
      INSERT INTO shop.audit SELECT 'dup', '2024-05-01 12:00:00+00', 1, '{"same": true}', NULL FROM generate_series(1, 4);
      UPDATE shop.orders SET note = 'after the loss' WHERE id BETWEEN 1100 AND 1120;
    `);
    await waitForSameRows("the lost connection");
  });

  it("refuses a target login that cannot succeed, without retrying", async () => {
    const refused = sinkConfig(uniqueName("refused"), prefix, targetDb.name, {
      target: { host: "127.0.0.1", port: 5433, user: "tributary_no_such_user", database: targetDb.name },
    });
    const started = Date.now();
    const error = await new PostgresSinkConnector(refused, testLogger, new Registry())
      .run(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TRB_SINK_TARGET_AUTH", retriable: false });
    expect((error as Error).message).toContain('user "tributary_no_such_user"');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("without superuser: marks each transaction with a marker row first, and lets target triggers fire", async () => {
    const role = uniqueName("tributary_sinkit_user");
    const admin = await connectPg("postgres", TARGET_PORT);
    const plainDb = uniqueName("tributary_sink_plain");
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`CREATE DATABASE ${plainDb} OWNER ${role}`);
    const plain = await connectPg(plainDb, TARGET_PORT);
    const plainSlot = `${slot}_plain`;
    let plainSink: Running | undefined;
    try {
      await plain.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [plainSlot]);
      const plainConfig = sinkConfig(uniqueName("plain"), prefix, plainDb, {
        origin: TARGET_ORIGIN,
        topics: { names: [tableTopic(prefix, "shop", "docs")] },
        target: { host: "127.0.0.1", port: 5433, user: role, database: plainDb },
      });
      groups.push(plainConfig.name);
      plainSink = startSink(plainConfig);
      const docs = async () =>
        (await plain.query("SELECT count(*)::int AS n FROM shop.docs").catch(() => ({ rows: [{ n: 0 }] })))
          .rows[0]?.n;
      await plainSink.until(
        (async () => {
          while ((await docs()) !== 20) await new Promise((resolve) => setTimeout(resolve, 100));
        })(),
      );
      const { rows: markers } = await plain.query(
        "SELECT sink, origin, seq > 0 AS counted FROM public.tributary_origin_marker",
      );
      expect(markers).toEqual([{ sink: plainConfig.name, origin: SOURCE_ORIGIN, counted: true }]);
      // A trigger of the target fires: the user may not set session_replication_role = replica.
      await plain.query(`
        CREATE TABLE public.fired (id int);
        GRANT INSERT ON public.fired TO ${role};
        CREATE FUNCTION public.log_fired() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.fired VALUES (NEW.id); RETURN NULL; END $$;
        CREATE TRIGGER fired AFTER UPDATE ON shop.docs FOR EACH ROW EXECUTE FUNCTION public.log_fired();
      `);
      await source.query("UPDATE shop.docs SET n = n + 1000 WHERE id = 3");
      await plainSink.until(
        (async () => {
          while ((await plain.query("SELECT 1 FROM public.fired WHERE id = 3")).rows.length === 0) {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })(),
      );
      // In every transaction that changed shop.docs, the marker row came first.
      const { rows: changes } = await plain.query<{ xid: string; data: string }>(
        "SELECT xid::text, data FROM pg_logical_slot_peek_changes($1, NULL, NULL) WHERE data LIKE 'table %'",
        [plainSlot],
      );
      const firstByTransaction = new Map<string, string>();
      for (const change of changes)
        if (!firstByTransaction.has(change.xid)) firstByTransaction.set(change.xid, change.data);
      const dataTransactions = [
        ...new Set(changes.filter((c) => c.data.startsWith("table shop.docs")).map((c) => c.xid)),
      ];
      expect(dataTransactions.length).toBeGreaterThan(0);
      for (const xid of dataTransactions) {
        expect(firstByTransaction.get(xid)).toMatch(
          /^table public\.tributary_origin_marker: (INSERT|UPDATE): /,
        );
      }
      // And no replication origin: an only-local decoding sees the same changes.
      const { rows: local } = await plain.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_logical_slot_peek_changes($1, NULL, NULL, 'only-local', '1') WHERE data LIKE 'table %'",
        [plainSlot],
      );
      expect(Number(local[0]?.n)).toBe(changes.length);
    } finally {
      await plainSink?.stop();
      await plain.query("SELECT pg_drop_replication_slot($1)", [plainSlot]).catch(() => undefined);
      await plain.end();
      await admin.query(`DROP DATABASE IF EXISTS ${plainDb} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});
