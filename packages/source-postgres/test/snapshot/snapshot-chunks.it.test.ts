/**
 * Chunk planning on the real PostgreSQL: an analyzed table with a one-column key is split from
 * its statistics' histogram, other keys from a scan of the key; either way each row is read once.
 */
import { describe, expect, it } from "vitest";
import { envelopeOf, FaultWorld } from "../faults/fault-fixture.js";

const ROWS = 60_000;
const SETTINGS = { snapshot: { chunkRows: 10_000, fetchRows: 2_000 } };

async function snapshotOf(
  world: FaultWorld,
): Promise<{ chunks: number; fromStatistics: number; keys: string[] }> {
  const source = world.startSource(SETTINGS);
  const planned = await source.waitForLog("snapshot planned");
  expect((await source.waitForLog("snapshot done")).rows).toBe(ROWS);
  await source.waitForLog("streaming");
  expect((await source.stop()).code).toBe(0);
  const events = await world.readAll([world.topic("big")]);
  const keys = events
    .filter((event) => envelopeOf(event)?.op === "r")
    .map((event) => String(event.key?.id ?? event.key?.code));
  return { chunks: Number(planned.chunks), fromStatistics: Number(planned.fromStatistics), keys };
}

describe("snapshot chunk planning", () => {
  it("splits an analyzed table with a bigint key by its histogram, skewed keys included, reading each row once", async () => {
    await using world = await FaultWorld.create("snap_histo");
    // Half the keys far above the rest: even ranges of the key space would put them in one chunk.
    await world.sql.query(`
      CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL);
      INSERT INTO public.big
        SELECT CASE WHEN g > ${ROWS / 2} THEN 1000000000000 + g ELSE g END, 'row ' || g
          FROM generate_series(1, ${ROWS}) g;
      ANALYZE public.big;
    `);
    const { chunks, fromStatistics, keys } = await snapshotOf(world);
    expect(fromStatistics).toBe(1);
    expect(chunks).toBeGreaterThanOrEqual(5);
    expect(keys).toHaveLength(ROWS);
    expect(new Set(keys).size).toBe(ROWS);
  });

  it("splits a table with a text key (a collation) by a scan of its key, reading each row once", async () => {
    await using world = await FaultWorld.create("snap_textkey");
    await world.sql.query(`
      CREATE TABLE public.big (code text COLLATE "C" PRIMARY KEY, label text NOT NULL);
      INSERT INTO public.big SELECT md5(g::text), 'row ' || g FROM generate_series(1, ${ROWS}) g;
      ANALYZE public.big;
    `);
    const { chunks, fromStatistics, keys } = await snapshotOf(world);
    expect(fromStatistics).toBe(0);
    // Every 10,000th key in key order bounds a chunk, and one more chunk is open above the last.
    expect(chunks).toBe(ROWS / 10_000 + 1);
    expect(keys).toHaveLength(ROWS);
    expect(new Set(keys).size).toBe(ROWS);
  });
});
