import type { KafkaTopicAdmin } from "@tributary/core";
import { benchTopic, type ProcessUse, startSink, startSource, use } from "./connectors.js";
import { topicRecords } from "./kafka-offsets.js";
import { type AppliedChange, commitToApply, percentile } from "./latency-matching.js";
import { LATENCY_TARGET_SQL, latencySourceSql, pacedTransactions } from "./latency-workload.js";
import { appliedOffset, connect, freshDatabase, TARGET_PORT } from "./postgres.js";
import { watchProgress } from "./progress.js";

export interface LatencyFigures {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  events: number;
  missing: number;
  requestedEventsPerSec: number;
  rateEventsPerSec: number;
  seconds: number;
  generatorMaxBehindMs: number;
  source: ProcessUse;
  sink: ProcessUse;
}

/** Transactions between a row's insert and its update or delete: seconds apart at the paced rate. */
const LAG_SECONDS = 2;

/**
 * Source and sink running on their own tables while the workload writes `eventsPerSec` events
 * a second (10-row transactions) for `seconds`: the commit-to-apply time of every event, from
 * its source commit (pg_xact_commit_timestamp of the transaction's log row) to the commit of
 * the target transaction that applied it (the clock when a deferred ENABLE ALWAYS trigger
 * fires at that commit); both clusters run on this machine's clock.
 */
export async function measureLatency(
  admin: KafkaTopicAdmin,
  names: { source: string; sink: string },
  databases: { source: string; target: string },
  eventsPerSec: number,
  seconds: number,
): Promise<LatencyFigures> {
  const perSecond = eventsPerSec / 10;
  const transactions = Math.round(perSecond * seconds);
  const lag = Math.round(perSecond * LAG_SECONDS);
  await freshDatabase(databases.source);
  await freshDatabase(databases.target, TARGET_PORT);
  const sql = await connect(databases.source);
  const target = await connect(databases.target, TARGET_PORT);
  const topic = benchTopic(names.source, "latency");
  try {
    await sql.query(latencySourceSql(lag));
    await target.query(LATENCY_TARGET_SQL);
    const source = startSource(names.source, databases.source);
    const sink = startSink(names.sink, [topic], databases.target);
    const failed = Promise.race([source.exited, sink.exited]);
    await source.waitFor("streaming", (line) => line.msg === "streaming");
    await watchProgress("the prefilled rows", () => appliedOffset(target, names.sink, topic), 5 * lag, {
      failed,
    });

    const paced = await pacedTransactions(databases.source, transactions, perSecond, lag);
    // The last transaction's last insert is never changed later: once applied, all before it are.
    const lastId = 5 * (transactions - 1) + 4;
    await watchProgress(
      "the last paced transaction",
      async () => (await target.query("SELECT 1 FROM bench.latency WHERE id = $1", [lastId])).rows.length,
      1,
      { failed },
    );
    const usage = { source: use(source), sink: use(sink) };
    await Promise.all([source.stop(), sink.stop()]);
    const published = (await topicRecords(admin, topic)) - 5 * lag;

    const { rows: commits } = await sql.query<{ n: string; ms: number }>(
      "SELECT n::text, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8 AS ms FROM bench_log.tx",
    );
    const { rows: changes } = await target.query<{ id: string; tx: string | null; ms: number }>(
      `SELECT id::text, tx::text, (extract(epoch FROM at) * 1000)::float8 AS ms
         FROM bench_applied.changes WHERE tx IS NULL OR tx >= 0`,
    );
    const commitMs = new Map(commits.map((row) => [Number(row.n), row.ms]));
    const applied: AppliedChange[] = changes.map((row) => ({
      id: Number(row.id),
      tx: row.tx === null ? null : Number(row.tx),
      atMs: row.ms,
    }));
    const { latenciesMs, missing } = commitToApply({ transactions, lag }, commitMs, applied);
    const sorted = latenciesMs.sort((a, b) => a - b);
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const ms of commitMs.values()) {
      first = Math.min(first, ms);
      last = Math.max(last, ms);
    }
    const span = (last - first) / 1000 + 1 / perSecond;
    const events = transactions * 10;
    if (published !== events)
      process.stderr.write(`bench: the source published ${published} latency events of ${events} written\n`);
    return {
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? Number.NaN,
      events,
      missing,
      requestedEventsPerSec: eventsPerSec,
      rateEventsPerSec: events / span,
      seconds: span,
      generatorMaxBehindMs: paced.maxBehindMs,
      ...usage,
    };
  } finally {
    await sql.end();
    await target.end();
  }
}
