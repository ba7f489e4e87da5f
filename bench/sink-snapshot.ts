import { spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type pg from "pg";
import { copyIn } from "../packages/sink-postgres/src/target/copy-in.js";
import { removeBenchObjects } from "./lib/bench-objects.js";
import { ConnectorProcess } from "./lib/connector-process.js";
import { benchTopic, startSink, use } from "./lib/connectors.js";
import { openAdmin, topicRecords } from "./lib/kafka-offsets.js";
import {
  appliedOffset,
  connect,
  dropDatabase,
  freshDatabase,
  SOURCE_PORT,
  TARGET_PORT,
} from "./lib/postgres.js";
import { readProcessStats } from "./lib/process-stats.js";
import { watchProgress } from "./lib/progress.js";
import { sourceOnlySnapshot } from "./lib/snapshot-bench.js";
import { BENCH_TABLE_SQL, loadRows } from "./lib/workload.js";

/**
 * `tsx --conditions=source bench/sink-snapshot.ts [--rows N] [--runs K]`: the sink alone applying
 * a snapshot topic K times (each into an empty target database), beside the floor of a plain
 * `COPY … FROM STDIN` of the same rows into an empty table with the same key. Prints wall time,
 * the sink's CPU seconds and peak RSS, and the CPU seconds of the target backend that applied
 * them, so CPU per row can be compared while other work shares the machine.
 *
 * The source database and the snapshot topic stay (named by --rows) so that a later run reuses
 * them; BENCH_SINK_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>" writes the sink's CPU profiles
 * (see connector-process.ts).
 * Remove what it leaves with --clean.
 */
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    runs: { type: "string", default: "1" },
    clean: { type: "boolean", default: false },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const PREFIX = "trbsinkbench_";
const base = `${PREFIX}${rows}`;
const step = (text: string) => process.stderr.write(`sink-snapshot: ${text}\n`);

/** CPU seconds of a process on this machine (a PostgreSQL backend: the clusters run locally). */
const cpuOf = (pid: number) => readProcessStats(pid).cpuSeconds;

async function backendPid(client: pg.Client): Promise<number> {
  const { rows: found } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  return Number(found[0]?.pid);
}

/** The target backend serving the sink (its application name is `tributary-sink-<name>`). */
async function sinkBackend(admin: pg.Client, sink: string): Promise<number | undefined> {
  const { rows: found } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
    [`tributary-sink-${sink}`],
  );
  return found[0]?.pid;
}

async function ensureTopic(): Promise<string> {
  const admin = openAdmin();
  try {
    const topic = benchTopic(`${base}_p`, "rows");
    const held = await topicRecords(admin, topic).catch(() => 0);
    if (held === rows) return topic;
    const sourceDb = `${base}_src`;
    await freshDatabase(sourceDb);
    const sql = await connect(sourceDb);
    try {
      step(`loading ${rows} rows`);
      await loadRows(sql, rows);
    } finally {
      await sql.end();
    }
    step("source alone: snapshot into Kafka");
    await sourceOnlySnapshot(admin, `${base}_p`, sourceDb, rows);
    return topic;
  } finally {
    await admin.close();
  }
}

async function copyFloor(): Promise<void> {
  const file = join(tmpdir(), `${base}.copy`);
  const out = spawn(
    "psql",
    ["-X", "-q", "-h", "127.0.0.1", "-p", String(SOURCE_PORT), "-U", "postgres"].concat([
      "-d",
      `${base}_src`,
      "-c",
      "COPY bench.rows TO STDOUT",
    ]),
  );
  const written = new Promise<void>((resolve) =>
    out.stdout.pipe(createWriteStream(file)).on("finish", resolve),
  );
  await Promise.all([written, new Promise<void>((resolve) => out.on("exit", () => resolve()))]);
  const data = readFileSync(file, "utf8");
  const database = `${base}_copy`;
  await freshDatabase(database, TARGET_PORT);
  const client = await connect(database, TARGET_PORT);
  try {
    await client.query(BENCH_TABLE_SQL);
    const pid = await backendPid(client);
    const cpuBefore = cpuOf(pid);
    const started = performance.now();
    await client.query("BEGIN");
    const copied = await copyIn(client, "COPY bench.rows FROM STDIN", data);
    await client.query("COMMIT");
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuOf(pid) - cpuBefore;
    process.stdout.write(
      `COPY floor: ${copied} rows in ${seconds.toFixed(2)} s wall (${Math.round(copied / seconds)} rows/s), ` +
        `target backend ${cpu.toFixed(2)} CPU-s (${Math.round(copied / cpu)} rows per target CPU-s)\n`,
    );
  } finally {
    await client.end();
    await dropDatabase(database, TARGET_PORT);
  }
}

async function sinkRun(topic: string, index: number): Promise<void> {
  const sinkName = `${base}_s${Date.now().toString(36)}`;
  const database = `${base}_t${index}`;
  await freshDatabase(database, TARGET_PORT);
  const target = await connect(database, TARGET_PORT);
  const admin = await connect("postgres", TARGET_PORT);
  try {
    const sink = startSink(sinkName, [topic], database);
    let backend: number | undefined;
    let backendCpu = 0;
    const progress = await watchProgress(
      "the sink",
      async () => {
        backend ??= await sinkBackend(admin, sinkName);
        if (backend !== undefined) backendCpu = cpuOf(backend);
        return appliedOffset(target, sinkName, topic);
      },
      rows,
      { failed: sink.exited },
    ).catch((error: unknown) => {
      process.stderr.write(`${sink.tail()}\n`);
      throw error;
    });
    const usage = use(sink);
    await sink.stop();
    const seconds = (progress.reachedAt - sink.startedAt) / 1000;
    process.stdout.write(
      `sink run ${index}: ${rows} rows in ${seconds.toFixed(2)} s wall (${Math.round(rows / seconds)} rows/s), ` +
        `sink ${usage.cpuSeconds.toFixed(2)} CPU-s (${Math.round(rows / usage.cpuSeconds)} rows per sink CPU-s), ` +
        `peak RSS ${usage.peakRssMb.toFixed(0)} MB, target backend ${backendCpu.toFixed(2)} CPU-s ` +
        `(${Math.round(rows / backendCpu)} rows per target CPU-s)\n`,
    );
  } finally {
    await target.end();
    await admin.end();
    await dropDatabase(database, TARGET_PORT);
  }
}

async function clean(): Promise<void> {
  await removeBenchObjects(PREFIX);
}

try {
  if (values.clean) {
    await clean();
  } else {
    const topic = await ensureTopic();
    step("COPY floor");
    await copyFloor();
    for (let index = 1; index <= runs; index++) {
      step(`sink alone, run ${index}`);
      await sinkRun(topic, index);
    }
  }
} finally {
  await ConnectorProcess.killAll();
}
