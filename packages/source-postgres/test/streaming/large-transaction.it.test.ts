import { readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Envelope, tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteTopics, uniqueName } from "../../../../test/support/kafka.js";
import { until } from "../../../../test/support/pipeline.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { RecordCollector } from "../../../../test/support/RecordCollector.js";
import { PostgresSourceConnector, postgresSourceConfigSchema, releaseSource } from "../../src/index.js";
import { waitForStreaming } from "../support/source.js";

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "warn" });

/** Bytes in the spill files of `directory` (0 when there is none yet). */
async function spilledBytes(directory: string): Promise<number> {
  const names = await readdir(directory).catch(() => [] as string[]);
  let total = 0;
  // A file listed may be gone by the time it is looked at: its transaction was published.
  for (const name of names) total += (await stat(join(directory, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

describe("transactions PostgreSQL streams before they commit (protocol 2)", () => {
  let db: { name: string; drop(): Promise<void> };
  let sql: pg.Client;
  let prefix: string;
  const spillDirectory = join(tmpdir(), uniqueName("tributary-spill-test"));
  let collector: RecordCollector;
  let controller: AbortController;
  let running: Promise<void>;
  let config: ReturnType<typeof postgresSourceConfigSchema.parse>;

  beforeAll(async () => {
    db = await scratchDatabase("tributary_stream");
    sql = await connectPg(db.name);
    prefix = uniqueName("big");
    await sql.query("CREATE TABLE public.items (id bigint PRIMARY KEY, label text, qty int)");
    config = postgresSourceConfigSchema.parse({
      connector: "postgres-source",
      name: prefix,
      postgres: { database: db.name },
      kafka: { brokers: ["127.0.0.1:9092"] },
      tables: { include: ["public.items"] },
      streaming: { logicalDecodingWorkMem: "64kB", spillDirectory, flushIntervalMs: 20 },
      heartbeat: { intervalMs: 500 },
      http: { enabled: false },
    });
    controller = new AbortController();
    running = new PostgresSourceConnector(config, logger).run(controller.signal);
    running.catch(() => undefined);
    collector = new RecordCollector(prefix);
    await waitForStreaming(sql, prefix);
    await collector.subscribe([tableTopic(prefix, "public", "items")]);
  });

  afterAll(async () => {
    controller?.abort();
    await running;
    await collector?.close();
    if (config) await releaseSource(config, { force: true }).catch(() => undefined);
    await sql?.end();
    await db?.drop();
    await deleteTopics([
      tableTopic(prefix, "public", "items"),
      `${prefix}._schemas`,
      `${prefix}._offsets`,
      `${prefix}._schema_changes`,
      `${prefix}._heartbeat`,
    ]);
  });

  it("spills a large transaction while it runs and publishes it only at its commit, without aborted parts", async () => {
    const writer = await connectPg(db.name);
    try {
      await writer.query("BEGIN");
      await writer.query(
        "INSERT INTO public.items SELECT g, 'item ' || g, g % 10 FROM generate_series(1, 30000) g",
      );
      await writer.query("SAVEPOINT doomed");
      await writer.query(
        "INSERT INTO public.items SELECT g, 'rolled back', 0 FROM generate_series(900001, 905000) g",
      );
      await writer.query("ROLLBACK TO SAVEPOINT doomed");
      await writer.query("UPDATE public.items SET qty = qty + 100 WHERE id <= 30000");
      // PostgreSQL streams the transaction long before it commits: it is on disk, not in Kafka.
      const deadline = Date.now() + 30_000;
      while ((await spilledBytes(spillDirectory)) < 1_000_000) {
        if (Date.now() > deadline) throw new Error("nothing was streamed before the commit");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(collector.events).toHaveLength(0);
      await writer.query("COMMIT");
    } finally {
      await writer.end();
    }
    const events = await collector.waitFor(
      "the committed transaction",
      (all) => all.length >= 60_000,
      120_000,
    );
    expect(events).toHaveLength(60_000);
    const values = events.map((event) => event.value as Envelope);
    expect(new Set(values.map((value) => value.transaction?.id)).size).toBe(1);
    expect(values.map((value) => value.transaction?.total_order)).toEqual(
      Array.from({ length: 60_000 }, (_, i) => BigInt(i + 1)),
    );
    expect(values.slice(0, 30_000).every((value) => value.op === "c")).toBe(true);
    expect(values.slice(30_000).every((value) => value.op === "u" && Number(value.after?.qty) >= 100)).toBe(
      true,
    );
    expect(events.some((event) => Number(event.key?.id) > 900_000)).toBe(false);
    // A full batch can reach Kafka while the replay still runs, before the spill is removed.
    await until(
      "the spill of the committed transaction to be removed",
      async () => {
        return (await spilledBytes(spillDirectory)) === 0;
      },
      10_000,
    );
    expect(await spilledBytes(spillDirectory)).toBe(0);
  });

  it("publishes nothing of a streamed transaction that rolls back", async () => {
    const before = collector.events.length;
    const writer = await connectPg(db.name);
    try {
      await writer.query("BEGIN");
      await writer.query(
        "INSERT INTO public.items SELECT g, 'never', 0 FROM generate_series(100001, 120000) g",
      );
      const deadline = Date.now() + 30_000;
      while ((await spilledBytes(spillDirectory)) === 0) {
        if (Date.now() > deadline) throw new Error("nothing was streamed");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await writer.query("ROLLBACK");
    } finally {
      await writer.end();
    }
    await sql.query("INSERT INTO public.items VALUES (200000, 'after the rollback', 1)");
    await collector.waitFor("the insert after the rollback", (all) =>
      all.some((event) => event.key?.id === 200000n),
    );
    expect(collector.events.slice(before).map((event) => event.key?.id)).toEqual([200000n]);
    const deadline = Date.now() + 10_000;
    while ((await spilledBytes(spillDirectory)) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await spilledBytes(spillDirectory)).toBe(0);
  });
});
