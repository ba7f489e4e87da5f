import pg from "pg";
import { describe, expect, it } from "vitest";
import { SOURCE_PORT } from "../../../../test/support/postgres.js";
import type { CliProcess, LogLine } from "../../../../test/support/source-process.js";
import { TcpProxy } from "../../../../test/support/tcp-proxy.js";
import { ChangeWriter, checkDelivery, ITEMS_DDL, readItems, seedItemsSql } from "./change-writer.js";
import { closedPort, FaultWorld, sleep } from "./fault-fixture.js";

/** Ends the connector's backends with these application names; returns how many there were. */
async function terminate(world: FaultWorld, applicationNames: string[]): Promise<number> {
  // OFFSET 0 keeps the filter below the call: the planner may otherwise call it for every backend.
  const { rows } = await world.sql.query<{ ended: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ended FROM (
       SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = ANY($2) OFFSET 0) connector`,
    [world.database, applicationNames],
  );
  return rows.filter((row) => row.ended).length;
}

const retried = (line: LogLine) => line.msg === "source session failed; retrying";
const errorCode = (line: LogLine) => (line.err as { code?: string } | undefined)?.code;

/** Waits for the connector to stream again in a new session, after log line `from`. */
async function streamingAgain(source: CliProcess, from: number): Promise<LogLine> {
  return source.waitForLog("streaming", { from, timeoutMs: 30_000 });
}

describe("lost connections", () => {
  it("reconnects by itself when its PostgreSQL backends are terminated, losing nothing", async () => {
    await using world = await FaultWorld.create("fault_conn");
    await world.sql.query(`${ITEMS_DDL}; ${seedItemsSql(1, 200)}`);
    const source = world.startSource({ retry: { connectionMinutes: 2, otherMinutes: 2 } });
    await source.waitForLog("streaming");
    const writer = new ChangeWriter(world.database, {
      liveIds: Array.from({ length: 200 }, (_, i) => i + 1),
      nextId: 10_000,
      seed: 42,
      txSize: 4,
      pauseMs: 10,
    });
    writer.start();
    try {
      await sleep(800);
      let mark = source.logs.length;
      expect(await terminate(world, ["tributary-stream"])).toBe(1);
      await streamingAgain(source, mark);
      expect(source.logs.slice(mark).some(retried)).toBe(true);

      await sleep(800);
      mark = source.logs.length;
      const ended = await terminate(world, ["tributary-stream", "tributary-source", "tributary-setup"]);
      expect(ended).toBeGreaterThanOrEqual(2);
      await streamingAgain(source, mark);
      await sleep(800);
    } finally {
      await writer.stop();
    }
    await world.waitUntilConfirmed({ source });
    expect(source.exitStatus, "the connector kept running").toBeUndefined();
    const events = await world.readAll([world.topic("items")]);
    const report = checkDelivery(events, await readItems(world.sql), writer.committed);
    expect(writer.committed.length).toBeGreaterThan(20);
    expect(report.missing.slice(0, 10)).toEqual([]);
    expect(report.mismatches.slice(0, 10)).toEqual([]);
    expect(report.outOfOrder.slice(0, 10)).toEqual([]);
    expect((await source.stop()).code).toBe(0);
  });

  // Regression: the connection that exported the snapshot had no 'error' listener, so losing it
  // mid-snapshot was an uncaught exception that ended the process (slot.ts).
  it("exported-snapshot-connection-error-crashed-the-process: finishes the snapshot without it", async () => {
    await using world = await FaultWorld.create("fault_export");
    const rows = 60_000;
    await world.sql.query(`
      CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL);
      INSERT INTO public.big SELECT g, 'row ' || g FROM generate_series(1, ${rows}) g;
      ANALYZE public.big;
    `);
    const source = world.startSource({ snapshot: { chunkRows: 10_000, fetchRows: 2_000 } });
    await source.waitForLog("snapshot chunk done");
    // Only the walsender that exported the snapshot: the workers have imported it already.
    const { rows: ended } = await world.sql.query(
      `SELECT pg_terminate_backend(pid) FROM (
         SELECT pid FROM pg_stat_activity
          WHERE datname = $1 AND application_name = 'tributary-snapshot' AND backend_type = 'walsender' OFFSET 0) w`,
      [world.database],
    );
    expect(ended.length).toBe(1);
    expect((await source.waitForLog("snapshot done", { timeoutMs: 60_000 })).rows).toBe(rows);
    await source.waitForLog("streaming");
    expect(source.count(retried), "the snapshot went on").toBe(0);
    await world.sql.query("INSERT INTO public.big VALUES (0, 'streamed')");
    await world.waitUntilConfirmed({ source });
    const ids = new Set((await world.readAll([world.topic("big")])).map((event) => Number(event.key?.id)));
    expect(ids.size).toBe(rows + 1);
  });

  // Regression: a snapshot worker whose connection broke while it waited for Kafka failed its next
  // query with node-postgres' code-less "not queryable" error, which the retry loop took for a
  // permanent failure: the connector exited 1 instead of taking the snapshot again (SnapshotReader.ts).
  it("snapshot-worker-connection-loss-was-permanent: takes the snapshot again", async () => {
    await using world = await FaultWorld.create("fault_snapconn");
    const rows = 100_000;
    await world.sql.query(`
      CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL);
      INSERT INTO public.big SELECT g, 'row ' || g FROM generate_series(1, ${rows}) g;
      ANALYZE public.big;
    `);
    const source = world.startSource({ snapshot: { chunkRows: 20_000, fetchRows: 2_000 } });
    await source.waitForLog("snapshot chunk done");
    const mark = source.logs.length;
    // The exported snapshot's walsender and the workers reading inside it.
    expect(await terminate(world, ["tributary-snapshot"])).toBeGreaterThanOrEqual(2);
    const failed = await source.waitForLog(retried, { from: mark, timeoutMs: 30_000 });
    expect(["57P01", "ECONNRESET", "EPIPE"]).toContain(errorCode(failed));
    const again = await source.waitForLog("taking a snapshot", { from: mark, timeoutMs: 30_000 });
    expect(again.reason).toBe("the previous snapshot did not finish");
    expect((await source.waitForLog("snapshot done", { from: mark, timeoutMs: 60_000 })).rows).toBe(rows);
    await source.waitForLog("streaming", { from: mark });
    await world.sql.query("INSERT INTO public.big VALUES (0, 'streamed')");
    await world.waitUntilConfirmed({ source });
    const ids = new Set((await world.readAll([world.topic("big")])).map((event) => Number(event.key?.id)));
    expect(ids.size).toBe(rows + 1);
  });

  // Regression: a database's idle_in_transaction_session_timeout ended the walsender that exported
  // the snapshot (it waits idle in its transaction while the workers read) and the workers while
  // they waited for Kafka: "invalid snapshot identifier" or 25P03, both permanent, and the
  // connector stopped. Its own sessions now turn the timeout off.
  it("idle-in-transaction-timeout-ended-the-snapshot: a database's timeout does not touch it", async () => {
    await using world = await FaultWorld.create("fault_idle");
    const rows = 60_000;
    await world.sql.query(`
      ALTER DATABASE ${pg.escapeIdentifier(world.database)} SET idle_in_transaction_session_timeout = '20ms';
      CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL);
      INSERT INTO public.big SELECT g, repeat('x', 100) || g FROM generate_series(1, ${rows}) g;
    `);
    const source = world.startSource({ snapshot: { chunkRows: 20_000, fetchRows: 5_000 } });
    expect((await source.waitForLog("snapshot done")).rows).toBe(rows);
    await source.waitForLog("streaming");
    expect(source.count(retried)).toBe(0);
    await world.sql.query("INSERT INTO public.big VALUES (0, 'streamed')");
    await world.waitUntilConfirmed({ source });
    const ids = new Set((await world.readAll([world.topic("big")])).map((event) => Number(event.key?.id)));
    expect(ids.size).toBe(rows + 1);
  });

  // A database's statement_timeout ended the snapshot's boundary scan of a big table (and every
  // retry the same way): the source's own sessions turn it and lock_timeout off.
  it("database-statement-timeout-ended-the-snapshot: a database's timeouts do not touch it", async () => {
    await using world = await FaultWorld.create("fault_stmt");
    const rows = 100_000;
    await world.sql.query(`
      CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL);
      INSERT INTO public.big SELECT g, repeat('x', 100) || g FROM generate_series(1, ${rows}) g;
      ALTER DATABASE ${pg.escapeIdentifier(world.database)} SET statement_timeout = '5ms';
      ALTER DATABASE ${pg.escapeIdentifier(world.database)} SET lock_timeout = '5ms';
    `);
    const source = world.startSource({ snapshot: { chunkRows: 20_000, fetchRows: 5_000 } });
    expect((await source.waitForLog("snapshot done")).rows).toBe(rows);
    await source.waitForLog("streaming");
    expect(source.count(retried)).toBe(0);
    await world.sql.query("INSERT INTO public.big VALUES (0, 'streamed')");
    await world.waitUntilConfirmed({ source });
    const ids = new Set((await world.readAll([world.topic("big")])).map((event) => Number(event.key?.id)));
    expect(ids.size).toBe(rows + 1);
  });

  it("keeps its heartbeat going when its admin connection is terminated", async () => {
    await using world = await FaultWorld.create("fault_admin");
    await world.sql.query(
      "CREATE TABLE public.kept (id int PRIMARY KEY); CREATE SCHEMA other; CREATE TABLE other.noise (id serial PRIMARY KEY, pad text)",
    );
    const source = world.startSource({ retry: { connectionMinutes: 2, otherMinutes: 2 } });
    await source.waitForLog("streaming");
    const mark = source.logs.length;
    expect(await terminate(world, ["tributary-source"])).toBe(1);
    await sleep(1500);
    // Only an unselected table changes: the heartbeat alone moves the slot past it.
    await world.sql.query(
      "INSERT INTO other.noise (pad) SELECT repeat('x', 500) FROM generate_series(1, 2000)",
    );
    const written = await world.currentLsn();
    await world.waitUntilConfirmed({ lsn: written, timeoutMs: 5_000, source }).catch((error: unknown) => {
      const failures = source.logs
        .slice(mark)
        .filter((line) => line.msg === "heartbeat update failed").length;
      throw new Error(`${(error as Error).message}; ${failures} "heartbeat update failed" lines meanwhile`);
    });
  });

  it("retries an unreachable Kafka with a coded error until retry.connectionMinutes, then exits 1", async () => {
    await using world = await FaultWorld.create("fault_kafka");
    await world.sql.query("CREATE TABLE public.t (id int PRIMARY KEY)");
    const port = await closedPort();
    const started = Date.now();
    const source = world.startSource({
      kafka: { brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 1000 },
      retry: { connectionMinutes: 0.05 },
    });
    const exit = await source.waitForExit(60_000);
    const elapsed = Date.now() - started;
    expect(exit.code).toBe(1);
    const retries = source.logs.filter(retried);
    expect(retries.length, source.tail()).toBeGreaterThanOrEqual(1);
    expect(retries.map(errorCode)).toEqual(retries.map(() => "TRB_KAFKA_UNREACHABLE"));
    expect(retries.every((line) => (line.err as { retriable?: boolean }).retriable === true)).toBe(true);
    expect(elapsed, "kept retrying for retry.connectionMinutes (3 s)").toBeGreaterThanOrEqual(3_000);
    expect(source.errorText).toContain("[TRB_RETRY_DEADLINE]");
    expect(source.errorText).toContain(`127.0.0.1:${port}`);
    expect(await world.slot(), "no slot without Kafka").toBeUndefined();
  });
});

describe("a second instance of the same connector", () => {
  it("waits while the slot is held and takes over when the first instance dies", async () => {
    await using world = await FaultWorld.create("fault_twice");
    await world.sql.query("CREATE TABLE public.t (id int PRIMARY KEY)");
    const first = world.startSource();
    await first.waitForLog("streaming");
    const second = world.startSource({ retry: { otherMinutes: 1 } });
    const waiting = await second.waitForLog(retried, { timeoutMs: 15_000 });
    expect(errorCode(waiting)).toBe("TRB_PG_SLOT_ACTIVE");
    await world.sql.query("INSERT INTO public.t VALUES (1)");
    await first.kill9();
    await world.sql.query("INSERT INTO public.t VALUES (2)");
    await second.waitForLog("streaming", { timeoutMs: 30_000 });
    await world.waitUntilConfirmed({ source: second });
    const ids = (await world.readAll([world.topic("t")])).map((event) => Number(event.key?.id));
    expect(new Set(ids)).toEqual(new Set([1, 2]));
  });
});

describe("connections that break off without an error message", () => {
  // Regression: a replication connection the server closed without an ErrorResponse (as it does
  // past wal_sender_timeout) failed the session with node-postgres' code-less error, which the
  // retry loop took for a permanent failure: the connector exited 1.
  it("replication-connection-closed-silently-was-permanent: streams again, losing nothing", async () => {
    await using world = await FaultWorld.create("fault_silent");
    const proxy = await TcpProxy.start(SOURCE_PORT);
    world.onDispose(() => proxy.close());
    await world.sql.query("CREATE TABLE public.t (id int PRIMARY KEY)");
    const source = world.startSource({ postgres: { port: proxy.port }, retry: { connectionMinutes: 1 } });
    await source.waitForLog("streaming");
    await world.sql.query("INSERT INTO public.t VALUES (1)");
    await world.waitUntilConfirmed({ source });
    for (const id of [2, 3]) {
      const mark = source.logs.length;
      expect(proxy.connections).toBeGreaterThan(0);
      proxy.cut();
      const failed = await source.waitForLog(retried, { from: mark, timeoutMs: 30_000 });
      expect(failed.err, "a coded, retriable error").toMatchObject({ retriable: true });
      await streamingAgain(source, mark);
      await world.sql.query(`INSERT INTO public.t VALUES (${id})`);
      await world.waitUntilConfirmed({ source });
    }
    expect(source.exitStatus, "the connector kept running").toBeUndefined();
    const ids = (await world.readAll([world.topic("t")])).map((event) => Number(event.key?.id));
    expect(new Set(ids)).toEqual(new Set([1, 2, 3]));
    expect((await source.stop()).code).toBe(0);
  });
});
