import { removeBenchObjects } from "./lib/bench-objects.js";
import { alternatedBuilds, useBuild } from "./lib/builds.js";
import { ConnectorProcess } from "./lib/connector-process.js";
import { benchTopic } from "./lib/connectors.js";
import { countOptions } from "./lib/count-options.js";
import { openAdmin } from "./lib/kafka-offsets.js";
import { connect, dropDatabase, TARGET_PORT } from "./lib/postgres.js";
import { runNames } from "./lib/prefix.js";
import { sinkOnlySnapshot, sourceOnlySnapshot } from "./lib/snapshot-bench.js";
import { sinkOnlyStreaming, sourceOnlyStreaming, writeBacklog } from "./lib/streaming-bench.js";
import { sourceWithRows } from "./lib/workload.js";

/**
 * `tsx --conditions=source bench/sink-streaming.ts [--rows N] [--transactions N] [--runs K]`:
 * the sink alone applying the streaming backlog of `npm run bench` K times, each into a copy of
 * a target that already holds the snapshot. Prints events/s, the sink's CPU seconds and peak
 * RSS per run. With BENCH_CLI_B set to another build's bin.js, runs alternate between this
 * checkout's build and that one (the baseline), so both see the same machine.
 */
const { rows, transactions, runs } = countOptions(
  { rows: 1_000_000, transactions: 30_000, runs: 2 },
  "bench/sink-streaming.ts [--rows N] [--transactions N] [--runs K]",
);
const PREFIX = "trbsinkstream_";
const { name } = runNames(PREFIX);
const step = (text: string) => process.stderr.write(`sink-streaming: ${text}\n`);
const builds = alternatedBuilds();

await removeBenchObjects(PREFIX);
const admin = openAdmin();
const sourceDb = name("src");
step(`loading ${rows} rows`);
const { sql } = await sourceWithRows(sourceDb, rows);
try {
  step("source alone: snapshot into Kafka");
  await sourceOnlySnapshot(admin, name("p"), sourceDb, rows);
  const topic = benchTopic(name("p"), "rows");
  step("sink alone: applying the snapshot (the target every run starts from)");
  await sinkOnlySnapshot(name("s"), topic, name("t0"), rows);
  step(`writing a backlog of ${transactions} transactions of 10 rows`);
  const backlog = await writeBacklog(sql, sourceDb, name("decode"), transactions, rows);
  step("source alone: catching up the backlog into Kafka");
  await sourceOnlyStreaming(sql, admin, name("p"), backlog);
  const target = await connect("postgres", TARGET_PORT);
  try {
    for (let index = 1; index <= runs; index++) {
      for (const build of builds) {
        useBuild(build);
        const database = name(`t${index}${build.cli === undefined ? "m" : "b"}`);
        await target.query(`CREATE DATABASE ${database} TEMPLATE ${name("t0")}`);
        const figures = await sinkOnlyStreaming(admin, name("s"), topic, database);
        process.stdout.write(
          `${build.label} run ${index}: ${figures.events} events in ${figures.seconds.toFixed(2)} s ` +
            `(${Math.round(figures.eventsPerSec)} events/s), sink ${figures.sink.cpuSeconds.toFixed(2)} CPU-s, ` +
            `peak RSS ${figures.sink.peakRssMb.toFixed(0)} MB\n`,
        );
        await dropDatabase(database, TARGET_PORT);
      }
    }
  } finally {
    await target.end();
  }
} finally {
  await sql.end();
  await admin.close();
  await ConnectorProcess.killAll();
  await removeBenchObjects(PREFIX);
}
