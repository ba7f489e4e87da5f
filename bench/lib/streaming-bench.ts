import type { KafkaTopicAdmin } from "@tributary/core";
import type pg from "pg";
import { benchTopic, type ProcessUse, startSink, startSource, use } from "./connectors.js";
import { topicRecords } from "./kafka-offsets.js";
import { appliedOffset, connect, currentLsn, run, TARGET_PORT } from "./postgres.js";
import { watchProgress } from "./progress.js";
import { writeTransactions } from "./workload.js";

export interface StreamingFigures {
  events: number;
  seconds: number;
  eventsPerSec: number;
}

/** The WAL of a backlog: written while every connector is stopped, up to `endLsn`. */
export interface Backlog {
  database: string;
  endLsn: string;
  decodeSlot: string;
}

/**
 * Writes `transactions` 10-row transactions while every connector is stopped, after creating a
 * test_decoding slot that the decode baseline reads the same WAL from.
 */
export async function writeBacklog(
  sql: pg.Client,
  database: string,
  decodeSlot: string,
  transactions: number,
  rows: number,
): Promise<Backlog> {
  await sql.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [decodeSlot]);
  await writeTransactions(database, transactions, rows);
  return { database, endLsn: await currentLsn(sql), decodeSlot };
}

/** The source's slot has confirmed the backlog: every event of it is acknowledged by Kafka. */
async function confirmed(sql: pg.Client, sourceName: string, lsn: string): Promise<boolean> {
  const { rows } = await sql.query<{ done: boolean }>(
    "SELECT confirmed_flush_lsn >= $2::pg_lsn AS done FROM pg_replication_slots WHERE slot_name = $1",
    [`tributary_${sourceName}`, lsn],
  );
  return rows[0]?.done === true;
}

/** The source alone catching up the backlog into Kafka, from its first published event to its last. */
export async function sourceOnlyStreaming(
  sql: pg.Client,
  admin: KafkaTopicAdmin,
  name: string,
  backlog: Backlog,
): Promise<StreamingFigures & { source: ProcessUse }> {
  const topic = benchTopic(name, "rows");
  const before = await topicRecords(admin, topic);
  const source = startSource(name, backlog.database);
  let lastCount = before;
  let lastChangeAt = performance.now();
  const progress = await watchProgress(
    "the source",
    async () => {
      const count = await topicRecords(admin, topic);
      if (count !== lastCount) {
        lastCount = count;
        lastChangeAt = performance.now();
      }
      return count;
    },
    async () => ((await confirmed(sql, name, backlog.endLsn)) ? lastCount : undefined),
    { failed: source.exited },
  );
  const usage = use(source);
  await source.stop();
  const events = lastCount - before;
  const seconds = (lastChangeAt - progress.firstMovedAt) / 1000;
  return { events, seconds, eventsPerSec: events / seconds, source: usage };
}

/** The sink alone applying the backlog's events already in `topic`, from its first applied batch to its last. */
export async function sinkOnlyStreaming(
  admin: KafkaTopicAdmin,
  sinkName: string,
  topic: string,
  database: string,
): Promise<StreamingFigures & { sink: ProcessUse }> {
  const target = await connect(database, TARGET_PORT);
  try {
    const from = await appliedOffset(target, sinkName, topic);
    const goal = await topicRecords(admin, topic);
    const sink = startSink(sinkName, [topic], database);
    const progress = await watchProgress("the sink", () => appliedOffset(target, sinkName, topic), goal, {
      failed: sink.exited,
    });
    const usage = use(sink);
    await sink.stop();
    const events = goal - from;
    const seconds = (progress.reachedAt - progress.firstMovedAt) / 1000;
    return { events, seconds, eventsPerSec: events / seconds, sink: usage };
  } finally {
    await target.end();
  }
}

/**
 * Source and sink started together on the backlog: from the first event applied to the target
 * until the target has applied all the source published (known once its slot confirms the end).
 */
export async function endToEndStreaming(
  sql: pg.Client,
  admin: KafkaTopicAdmin,
  names: { source: string; sink: string },
  targetDatabase: string,
  backlog: Backlog,
): Promise<StreamingFigures & { source: ProcessUse; sink: ProcessUse }> {
  const topic = benchTopic(names.source, "rows");
  const target = await connect(targetDatabase, TARGET_PORT);
  try {
    const from = await appliedOffset(target, names.sink, topic);
    const source = startSource(names.source, backlog.database);
    const sink = startSink(names.sink, [topic], targetDatabase);
    let goal: number | undefined;
    const progress = await watchProgress(
      "source → sink",
      () => appliedOffset(target, names.sink, topic),
      async () => {
        if (goal === undefined && (await confirmed(sql, names.source, backlog.endLsn)))
          goal = await topicRecords(admin, topic);
        return goal;
      },
      { failed: Promise.race([source.exited, sink.exited]) },
    );
    const usage = { source: use(source), sink: use(sink) };
    await Promise.all([source.stop(), sink.stop()]);
    const events = (goal ?? from) - from;
    const seconds = (progress.reachedAt - progress.firstMovedAt) / 1000;
    return { events, seconds, eventsPerSec: events / seconds, ...usage };
  } finally {
    await target.end();
  }
}

/** pg_recvlogical with test_decoding reading the backlog's WAL to /dev/null: the raw decoding rate. */
export async function decodeBaseline(backlog: Backlog, events: number): Promise<StreamingFigures> {
  const started = performance.now();
  await run("pg_recvlogical", [
    "-h",
    "127.0.0.1",
    "-U",
    "postgres",
    "-d",
    backlog.database,
    "-S",
    backlog.decodeSlot,
    "--start",
    "-E",
    backlog.endLsn,
    "-f",
    "/dev/null",
  ]);
  const seconds = (performance.now() - started) / 1000;
  return { events, seconds, eventsPerSec: events / seconds };
}
