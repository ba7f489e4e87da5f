import type { KafkaTopicAdmin } from "@tributary/core";
import { benchTopic, type ProcessUse, startSink, startSource, use } from "./connectors.js";
import { topicRecords } from "./kafka-offsets.js";
import { appliedOffset, connect, freshDatabase, TARGET_PORT } from "./postgres.js";
import { watchProgress } from "./progress.js";

export interface SnapshotFigures {
  rows: number;
  seconds: number;
  rowsPerSec: number;
}

/** The source alone: its snapshot of `rows` rows into Kafka, timed by the connector itself. */
export async function sourceOnlySnapshot(
  admin: KafkaTopicAdmin,
  name: string,
  database: string,
  rows: number,
): Promise<SnapshotFigures & { source: ProcessUse }> {
  const source = startSource(name, database);
  const done = await source.waitFor("the snapshot", (line) => line.msg === "snapshot done");
  const usage = use(source);
  await source.waitFor("streaming", (line) => line.msg === "streaming");
  await source.stop();
  const published = await topicRecords(admin, benchTopic(name, "rows"));
  if (published !== rows) throw new Error(`the source published ${published} of ${rows} snapshot rows`);
  const seconds = Number(done.seconds);
  return { rows, seconds, rowsPerSec: rows / seconds, source: usage };
}

/**
 * The sink alone: applying the `rows` records already in `topic` to an empty target database,
 * from its process start until the target records all of them as applied.
 */
export async function sinkOnlySnapshot(
  sinkName: string,
  topic: string,
  database: string,
  rows: number,
): Promise<SnapshotFigures & { sink: ProcessUse }> {
  await freshDatabase(database, TARGET_PORT);
  const target = await connect(database, TARGET_PORT);
  try {
    const sink = startSink(sinkName, [topic], database);
    const progress = await watchProgress("the sink", () => appliedOffset(target, sinkName, topic), rows, {
      failed: sink.exited,
    });
    const usage = use(sink);
    await sink.stop();
    const seconds = (progress.reachedAt - sink.startedAt) / 1000;
    return { rows, seconds, rowsPerSec: rows / seconds, sink: usage };
  } finally {
    await target.end();
  }
}

/**
 * Source and sink started together on a fresh slot and an empty target: from their start until
 * the target holds every row (its recorded offset, then checked with count(*)).
 */
export async function endToEndSnapshot(
  names: { source: string; sink: string },
  sourceDatabase: string,
  targetDatabase: string,
  rows: number,
): Promise<SnapshotFigures & { source: ProcessUse; sink: ProcessUse }> {
  await freshDatabase(targetDatabase, TARGET_PORT);
  const target = await connect(targetDatabase, TARGET_PORT);
  const topic = benchTopic(names.source, "rows");
  try {
    const source = startSource(names.source, sourceDatabase);
    const sink = startSink(names.sink, [topic], targetDatabase);
    const failed = Promise.race([source.exited, sink.exited]);
    const progress = await watchProgress(
      "source → sink",
      () => appliedOffset(target, names.sink, topic),
      rows,
      {
        failed,
      },
    );
    const usage = { source: use(source), sink: use(sink) };
    await source.waitFor("streaming", (line) => line.msg === "streaming");
    await Promise.all([source.stop(), sink.stop()]);
    const { rows: counted } = await target.query<{ n: string }>("SELECT count(*)::text AS n FROM bench.rows");
    if (Number(counted[0]?.n) !== rows) throw new Error(`the target holds ${counted[0]?.n} of ${rows} rows`);
    const seconds = (progress.reachedAt - Math.min(source.startedAt, sink.startedAt)) / 1000;
    return { rows, seconds, rowsPerSec: rows / seconds, ...usage };
  } finally {
    await target.end();
  }
}
