import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectPg } from "../../../../test/support/postgres.js";
import type { LogLine } from "../../../../test/support/source-process.js";
import {
  ChangeWriter,
  type CommittedTx,
  checkDelivery,
  ITEMS_DDL,
  randomSource,
  readItems,
  seedItemsSql,
} from "./change-writer.js";
import { envelopeOf, FaultWorld, sleep } from "./fault-fixture.js";

const lsnOf = (line: LogLine) => BigInt(String(line.lsn));

describe("kill -9 of the PostgreSQL source", () => {
  it("mid-snapshot: the restart takes the snapshot again on a new slot, then streams", async () => {
    await using world = await FaultWorld.create("fault_snap");
    const rows = 120_000;
    await world.sql.query(`
      CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL, amount numeric(12,2), at timestamptz);
      INSERT INTO public.big SELECT g, 'row ' || g, g * 0.01, '2024-01-01'::timestamptz + g * interval '1 s'
        FROM generate_series(1, ${rows}) g;
      ANALYZE public.big;
    `);
    const settings = { snapshot: { chunkRows: 20_000, fetchRows: 5_000, workers: 2 } };

    const first = world.startSource(settings);
    const started = await first.waitForLog("snapshot started");
    await first.waitForLog("snapshot chunk done");
    await first.kill9();
    expect(first.count("snapshot done"), "killed before the snapshot finished").toBe(0);
    await world.waitUntilSlotReleased();
    const leftover = await world.slot();
    expect(leftover, "the first attempt's slot stays behind").toBeDefined();

    const second = world.startSource(settings);
    const retaken = await second.waitForLog("taking a snapshot");
    expect(retaken.reason).toBe("the previous snapshot did not finish");
    const restarted = await second.waitForLog("snapshot started");
    expect(lsnOf(restarted), "a new slot with a new consistent point").toBeGreaterThan(lsnOf(started));
    const done = await second.waitForLog("snapshot done", { timeoutMs: 90_000 });
    expect(done.rows).toBe(rows);
    await second.waitForLog("streaming");
    expect((await world.slot())?.confirmedFlushLsn).toBe(lsnOf(restarted));

    await world.sql.query(`
      INSERT INTO public.big VALUES (${rows + 1}, 'after the crash', 1, now());
      UPDATE public.big SET label = 'changed' WHERE id = 7;
      DELETE FROM public.big WHERE id = 8;
    `);
    await world.waitUntilConfirmed({ source: second });
    const events = await world.readAll([world.topic("big")]);
    const reads = events.filter((event) => envelopeOf(event)?.op === "r");
    expect(new Set(reads.map((event) => Number(event.key?.id))).size).toBe(rows);
    // The second snapshot alone holds every row exactly once; the first attempt left extras.
    const retakenReads = reads.filter((event) => envelopeOf(event)?.source.lsn === lsnOf(restarted));
    expect(retakenReads.length).toBe(rows);
    expect(new Set(retakenReads.map((event) => Number(event.key?.id))).size).toBe(rows);
    expect(reads.length).toBeGreaterThan(rows);
    const live = events
      .filter((event) => event.value === null || envelopeOf(event)?.op !== "r")
      .map((event) => `${envelopeOf(event)?.op ?? "tombstone"} ${event.key?.id}`);
    expect(live).toEqual([`c ${rows + 1}`, "u 7", "d 8", "tombstone 8"]);
    const stopped = await second.stop();
    expect(stopped.code).toBe(0);
  });

  it("while streaming under load: every committed change arrives, in order per key", async () => {
    await using world = await FaultWorld.create("fault_stream");
    const seed = Date.now() % 1_000_000;
    const random = randomSource(seed);
    const seeded = 2000;
    await world.sql.query(`${ITEMS_DDL}; ${seedItemsSql(1, seeded)}`);
    const settings = { snapshot: { chunkRows: 1000 } };
    let source = world.startSource(settings);
    await source.waitForLog("streaming");

    const writer = new ChangeWriter(world.database, {
      liveIds: Array.from({ length: seeded }, (_, i) => i + 1),
      nextId: 100_000,
      seed,
    });
    const large: CommittedTx = { xid: "", changes: [] };
    writer.start();
    const restart = async () => {
      await source.kill9();
      await world.waitUntilSlotReleased();
      source = world.startSource(settings);
    };
    try {
      // 1: at a random moment of streaming.
      await sleep(500 + random() * 1500);
      await restart();
      await source.waitForLog("streaming");

      // 2: right after a large transaction commits, while it is being decoded and published.
      await sleep(300 + random() * 700);
      const bulk = 15_000;
      const result = (await world.sql.query(`
        BEGIN;
        SELECT pg_current_xact_id()::xid::text AS xid;
        INSERT INTO public.items
          SELECT g, 1, 'bulk ' || g, g * 0.5, clock_timestamp(), true FROM generate_series(1000001, ${1_000_000 + bulk}) g;
        COMMIT;
      `)) as unknown as { rows: { xid: string }[] }[];
      large.xid = result[1]?.rows[0]?.xid ?? "";
      await restart();
      for (let id = 1_000_001; id <= 1_000_000 + bulk; id++) large.changes.push({ id, op: "c" });
      writer.adopt(large.changes.map((change) => change.id));

      // 3: during start-up and catch-up, before it reports streaming.
      await sleep(200 + random() * 1200);
      await restart();
      await source.waitForLog("streaming", { timeoutMs: 90_000 });

      // 4: at another random moment of streaming.
      await sleep(500 + random() * 1500);
      await restart();
      await source.waitForLog("streaming", { timeoutMs: 90_000 });
      await sleep(1000);
    } finally {
      await writer.stop();
    }
    await world.waitUntilConfirmed({ timeoutMs: 90_000, source });
    expect(source.exitStatus, "the last connector still runs").toBeUndefined();
    expect((await source.stop()).code).toBe(0);

    const events = await world.readAll([world.topic("items")]);
    const table = await readItems(world.sql);
    const committed = [...writer.committed, large];
    expect(writer.committed.length, "the writer kept committing").toBeGreaterThan(100);
    const report = checkDelivery(events, table, committed);
    const context = `seed ${seed}, ${events.length} events, ${committed.length} transactions`;
    expect(report.missing.slice(0, 10), context).toEqual([]);
    expect(report.mismatches.slice(0, 10), context).toEqual([]);
    expect(report.outOfOrder.slice(0, 10), context).toEqual([]);
    expect(report.noTombstone.slice(0, 10), context).toEqual([]);
    const snapshotKeys = new Set(
      events.filter((event) => envelopeOf(event)?.op === "r").map((event) => Number(event.key?.id)),
    );
    expect(snapshotKeys.size).toBe(seeded);
  });
});

describe("kill -9 during a transaction streamed before its commit", () => {
  it("starts the spilled transaction over and publishes exactly its committed changes", async () => {
    await using world = await FaultWorld.create("fault_bigtx");
    const root = mkdtempSync(join(tmpdir(), "tributary-spill-"));
    world.onDispose(async () => rmSync(root, { recursive: true, force: true }));
    // The connector owns (and clears at start) its spill directory.
    const spill = join(root, "spill");
    const spilled = () => (existsSync(spill) ? readdirSync(spill) : []);
    await world.sql.query("CREATE TABLE public.wide (id int PRIMARY KEY, pad text NOT NULL)");
    // 64kB: a few hundred rows make PostgreSQL stream the transaction while it runs.
    const settings = { streaming: { logicalDecodingWorkMem: "64kB", spillDirectory: spill } };
    let source = world.startSource(settings);
    await source.waitForLog("streaming");
    const writer = await connectPg(world.database);
    try {
      const insert = (from: number, to: number) =>
        writer.query(
          `INSERT INTO public.wide SELECT g, repeat('x', 200) || g FROM generate_series(${from}, ${to}) g`,
        );
      await writer.query("BEGIN");
      await insert(1, 8000);
      await waitFor("a spill file of the open transaction", () => spilled().length > 0);
      await source.kill9();
      await world.waitUntilSlotReleased();
      source = world.startSource(settings);
      await source.waitForLog("streaming");
      await insert(8001, 12_000);
      await writer.query("SAVEPOINT undone");
      await insert(50_001, 55_000);
      await writer.query("ROLLBACK TO SAVEPOINT undone");
      await insert(12_001, 16_000);
      await writer.query("COMMIT");
      await sleep(150);
      await source.kill9();
    } finally {
      await writer.end();
    }
    await world.waitUntilSlotReleased();
    source = world.startSource(settings);
    await world.waitUntilConfirmed({ source });
    const { rows } = await world.sql.query<{ streamed: string }>(
      "SELECT stream_txns::text AS streamed FROM pg_stat_replication_slots WHERE slot_name = $1",
      [world.slotName],
    );
    expect(Number(rows[0]?.streamed ?? 0), "PostgreSQL streamed the transaction").toBeGreaterThan(0);
    const events = await world.readAll([world.topic("wide")]);
    const ids = new Set(events.map((event) => Number(event.key?.id)));
    expect(ids.size).toBe(16_000);
    expect(
      [...ids].filter((id) => id > 16_000),
      "rolled-back rows",
    ).toEqual([]);
    expect(events.every((event) => envelopeOf(event)?.op === "c")).toBe(true);
    expect((await source.stop()).code).toBe(0);
    expect(spilled(), "no spill file left").toEqual([]);
  });
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("schema changes while the source is down", () => {
  // pgoutput names every non-built-in type in a Type message before the Relation message that
  // uses it; a type gone from pg_type since is published as a string under that name.
  it("replays changes of a column whose type was dropped since", async () => {
    await using world = await FaultWorld.create("fault_ddl");
    await world.sql.query(`
      CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
      CREATE TABLE public.t (id int PRIMARY KEY, feeling public.mood, note text);
      INSERT INTO public.t VALUES (1, 'ok', 'snapshot');
    `);
    let source = world.startSource();
    await source.waitForLog("streaming");
    await source.kill9();
    await world.sql.query(`
      INSERT INTO public.t VALUES (2, 'happy', 'while down');
      ALTER TABLE public.t DROP COLUMN feeling;
      DROP TYPE public.mood;
      ALTER TABLE public.t ADD COLUMN score numeric(5,1);
      INSERT INTO public.t VALUES (3, 'after the change', 9.5);
    `);
    await world.waitUntilSlotReleased();
    source = world.startSource();
    await world.waitUntilConfirmed({ timeoutMs: 30_000, source });
    const events = await world.readAll([world.topic("t")]);
    const after = (id: number) => events.find((event) => event.key?.id === id)?.value?.after ?? null;
    expect(after(2)).toEqual({ id: 2, feeling: "happy", note: "while down" });
    expect(after(3)).toEqual({ id: 3, note: "after the change", score: "9.5" });
  });
});
