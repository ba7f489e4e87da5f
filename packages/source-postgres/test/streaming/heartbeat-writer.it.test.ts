/**
 * HeartbeatWriter on the real PostgreSQL: its own connection, one beat in flight at most, and
 * quiet after close.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { HeartbeatWriter } from "../../src/streaming/HeartbeatWriter.js";

let database: { name: string; drop(): Promise<void> };
let admin: pg.Client;
// Counts its beats, each taking 300 ms, so a second beat started meanwhile would overlap it.
const SLOW_BEAT = "UPDATE beats SET n = n + 1, last = $1 FROM pg_sleep(0.3)";

beforeAll(async () => {
  database = await scratchDatabase("tributary_beats");
  admin = await connectPg(database.name);
  await admin.query("CREATE TABLE beats (n int NOT NULL, last text); INSERT INTO beats VALUES (0, NULL)");
});

afterAll(async () => {
  await admin?.end();
  await database?.drop();
});

async function beatsWritten(): Promise<{ n: number; last: string | null }> {
  const { rows } = await admin.query<{ n: number; last: string | null }>("SELECT n, last FROM beats");
  return rows[0] as { n: number; last: string | null };
}

describe("HeartbeatWriter", () => {
  it("writes on a connection of its own and skips a beat while the previous one runs", async () => {
    let connections = 0;
    const writer = new HeartbeatWriter(
      async () => {
        connections++;
        return connectPg(database.name);
      },
      SLOW_BEAT,
      "shop",
    );
    try {
      await Promise.all([writer.beat(), writer.beat(), writer.beat()]);
      expect(await beatsWritten()).toEqual({ n: 1, last: "shop" });
      await writer.beat();
      expect(await beatsWritten()).toEqual({ n: 2, last: "shop" });
      expect(connections).toBe(1);
    } finally {
      await writer.close();
    }
  });

  it("rejects a beat that fails", async () => {
    const writer = new HeartbeatWriter(
      () => connectPg(database.name),
      "UPDATE no_such_table SET n = 1",
      "shop",
    );
    try {
      await expect(writer.beat()).rejects.toThrow(/no_such_table/);
    } finally {
      await writer.close();
    }
  });

  it("on close, ends the beat in flight without an error, and writes no more", async () => {
    const before = await beatsWritten();
    const writer = new HeartbeatWriter(() => connectPg(database.name), SLOW_BEAT, "closed");
    const running = writer.beat();
    await writer.close();
    await expect(running).resolves.toBeUndefined();
    await expect(writer.beat()).resolves.toBeUndefined();
    expect(await beatsWritten()).toEqual(before);
  });
});
