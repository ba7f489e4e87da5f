import { describe, expect, it } from "vitest";
import { envelopeOf, FaultWorld } from "./fault-fixture.js";

describe("SIGTERM", () => {
  // Regression: `tributary source` aborted the connector on SIGTERM and exited at once, since no
  // shutdown step waited for it: what was decoded was neither published nor confirmed, the
  // position was not saved to `_offsets`, and "source stopped" was never logged.
  it("sigterm-exited-before-the-connector-stopped: publishes, confirms and saves its position, then exits 0", async () => {
    await using world = await FaultWorld.create("fault_term");
    await world.sql.query("CREATE TABLE public.t (id int PRIMARY KEY, v text)");
    // A long flush interval keeps the last changes waiting in the batcher when SIGTERM comes.
    const source = world.startSource({
      streaming: { flushIntervalMs: 3_000 },
      heartbeat: { intervalMs: 60_000 },
    });
    await source.waitForLog("streaming");
    await world.sql.query("INSERT INTO public.t SELECT g, 'v' || g FROM generate_series(1, 50) g");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = await source.stop();
    expect(exit.code).toBe(0);
    expect(source.logs.map((line) => line.msg)).toContain("source stopped");
    const events = await world.readAll([world.topic("t")]);
    const inserts = events.map(envelopeOf).filter((envelope) => envelope?.op === "c");
    expect(inserts.length).toBe(50);
    // Past the last change it published, i.e. up to that transaction's commit. (Not the server's
    // current WAL end: other databases of the cluster may have written WAL since.)
    const lastChange = inserts.reduce((max, envelope) => {
      const lsn = envelope?.source.lsn ?? 0n;
      return lsn > max ? lsn : max;
    }, 0n);
    const slot = await world.slot();
    expect(slot?.confirmedFlushLsn ?? 0n, "confirmed what it published").toBeGreaterThan(lastChange);
    const state = await world.savedState();
    expect(state?.confirmedLsn).toBe(String(slot?.confirmedFlushLsn));
  });

  it("during the snapshot: stops within seconds, and the next start takes the snapshot again", async () => {
    await using world = await FaultWorld.create("fault_term_snap");
    const rows = 120_000;
    await world.sql.query(`
      CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL);
      INSERT INTO public.big SELECT g, 'row ' || g FROM generate_series(1, ${rows}) g;
      ANALYZE public.big;
    `);
    const settings = { snapshot: { chunkRows: 20_000, fetchRows: 2_000 } };
    const first = world.startSource(settings);
    await first.waitForLog("snapshot chunk done");
    const asked = Date.now();
    const exit = await first.stop();
    expect(exit.code).toBe(0);
    expect(Date.now() - asked, "stopped within a chunk's time").toBeLessThan(10_000);
    expect(first.count("snapshot done")).toBe(0);
    expect(first.logs.map((line) => line.msg)).toContain("source stopped");
    expect((await world.slot())?.active).toBe(false);

    const second = world.startSource(settings);
    expect((await second.waitForLog("taking a snapshot")).reason).toBe(
      "the previous snapshot did not finish",
    );
    expect((await second.waitForLog("snapshot done")).rows).toBe(rows);
    await second.waitForLog("streaming");
  });
});
