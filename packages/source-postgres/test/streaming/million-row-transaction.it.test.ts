/**
 * Issue 3, point 3: a 1,000,000-row transaction flows with bounded connector memory. With
 * logical_decoding_work_mem at 64kB PostgreSQL streams the transaction while it runs (pgoutput
 * protocol 2); the source spills it to disk and publishes it at its commit. The source runs as
 * the CLI, a process of its own, so its peak RSS (VmHWM) is its alone.
 */
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_HEADERS, KafkaTopicAdmin } from "@tributary/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quietLogger, testKafka, uniqueName, waitForTopics } from "../../../../test/support/kafka.js";
import { RecordCollector } from "../../../../test/support/RecordCollector.js";
import type { CliProcess } from "../../../../test/support/source-process.js";
import { FaultWorld, sleep } from "../faults/fault-fixture.js";

const ROWS = 1_000_000;
/** Generous: the measured peak after the OutboundBatcher fix was about 250 MiB, 615 MiB before. */
const PEAK_RSS_BOUND_MIB = 400;

/** The process's peak resident set size (VmHWM), in MiB. */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/**
 * Transactions of the slot PostgreSQL streamed before their commit. Its statistics are
 * reported a moment after decoding: wait until they count one.
 */
async function streamedTransactions(world: FaultWorld): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await world.sql.query<{ streamed: string }>(
      "SELECT stream_txns::text AS streamed FROM pg_stat_replication_slots WHERE slot_name = $1",
      [world.slotName],
    );
    const streamed = Number(rows[0]?.streamed ?? 0);
    if (streamed > 0 || Date.now() > deadline) return streamed;
    await sleep(200);
  }
}

describe("a 1,000,000-row transaction", () => {
  let world: FaultWorld;
  let source: CliProcess;
  let collector: RecordCollector;

  beforeAll(async () => {
    world = await FaultWorld.create("source2_million");
    await world.sql.query("CREATE TABLE public.big (id bigint PRIMARY KEY, label text NOT NULL)");
    source = world.startSource({
      snapshot: { mode: "never" },
      streaming: {
        logicalDecodingWorkMem: "64kB",
        spillDirectory: join(tmpdir(), uniqueName("source2-million-spill")),
      },
      log: { level: "info" },
    });
    const deadline = Date.now() + 60_000;
    while (!(await world.slot())?.active) {
      if (source.exitStatus) throw new Error(`the source exited before streaming${source.tail()}`);
      if (Date.now() > deadline) throw new Error(`the source did not start streaming${source.tail()}`);
      await sleep(100);
    }
    collector = new RecordCollector(world.name);
  });

  afterAll(async () => {
    await collector?.close();
    await world?.[Symbol.asyncDispose]();
  });

  it("is streamed by PostgreSQL, reaches Kafka once per row in order, and the source's peak RSS stays bounded", {
    timeout: 200_000,
  }, async () => {
    await world.sql.query(
      `INSERT INTO public.big SELECT g, 'row ' || g || ' ' || repeat('x', 40) FROM generate_series(1, ${ROWS}) g`,
    );
    const committed = await world.currentLsn();
    let next = 1;
    let outOfOrder: string | undefined;
    const transactions = new Set<string>();
    await waitForTopics([world.topic("big")]);
    await collector.subscribe([world.topic("big")], (event) => {
      const id = Number(event.key?.id);
      if (id !== next && outOfOrder === undefined)
        outOfOrder = `offset ${event.offset}: id ${id}, expected ${next}`;
      next++;
      transactions.add(event.headers[EVENT_HEADERS.tx] ?? "none");
    });
    const deadline = Date.now() + 150_000;
    while (next <= ROWS && source.exitStatus === undefined) {
      if (Date.now() > deadline) throw new Error(`only ${next - 1} of ${ROWS} rows arrived${source.tail()}`);
      await sleep(100);
    }
    const peak = await peakRssMiB(source.pid);
    console.info(`1,000,000-row transaction: source peak RSS (VmHWM) ${peak.toFixed(1)} MiB`);
    expect(source.exitStatus, source.tail()).toBeUndefined();
    expect(outOfOrder).toBeUndefined();
    expect(next - 1).toBe(ROWS);
    expect(transactions.size).toBe(1);
    expect(peak).toBeLessThan(PEAK_RSS_BOUND_MIB);
    // Confirmed only once Kafka acknowledged all of it; then the topic holds each row once.
    await world.waitUntilConfirmed({ lsn: committed, source });
    const admin = new KafkaTopicAdmin(testKafka, "test-million", quietLogger);
    try {
      expect(await admin.endOffsets(world.topic("big"))).toEqual(new Map([[0, BigInt(ROWS)]]));
    } finally {
      await admin.close();
    }
    expect(await streamedTransactions(world)).toBeGreaterThan(0);
  });
});
