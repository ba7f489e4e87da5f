import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { removeBenchObjects } from "./lib/bench-objects.js";
import { ConnectorProcess } from "./lib/connector-process.js";
import { benchTopic } from "./lib/connectors.js";
import { measureCopyBaseline } from "./lib/copy-baseline.js";
import { openAdmin } from "./lib/kafka-offsets.js";
import { measureLatency } from "./lib/latency-bench.js";
import { dropDatabase, settleClusters, TARGET_PORT } from "./lib/postgres.js";
import { benchPrefix, runNames } from "./lib/prefix.js";
import { buildResults, formatTable } from "./lib/report.js";
import { endToEndSnapshot, sinkOnlySnapshot, sourceOnlySnapshot } from "./lib/snapshot-bench.js";
import {
  decodeBaseline,
  endToEndStreaming,
  sinkOnlyStreaming,
  sourceOnlyStreaming,
  writeBacklog,
} from "./lib/streaming-bench.js";
import { sourceWithRows } from "./lib/workload.js";

/**
 * `npm run bench [-- --rows N --seconds S --transactions N --rate E]`: source → Kafka → target
 * on the local stack, each connector alone and both together, beside a COPY and a
 * logical-decoding baseline; prints a table and writes bench/results/latest.json.
 */
const USAGE =
  "usage: npm run bench -- [--rows N>=1000] [--seconds S>=5] [--transactions N>=100 (default S*500)] [--rate EVENTS/S>=100]\n";
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    seconds: { type: "string", default: "60" },
    transactions: { type: "string" },
    rate: { type: "string", default: "5000" },
  },
});
const rows = Number(values.rows);
const seconds = Number(values.seconds);
const transactions = Number(values.transactions ?? seconds * 500);
const rate = Number(values.rate);
if (
  ![rows, seconds, transactions, rate].every(Number.isInteger) ||
  rows < 1000 ||
  seconds < 5 ||
  transactions < 100 ||
  rate < 100
) {
  process.stderr.write(USAGE);
  process.exit(2);
}

/**
 * Every database, slot, origin, topic and group of a run starts with this, so a later run can
 * remove remnants. Set BENCH_PREFIX when several people bench on one stack, so one
 * run's clean-up does not remove another's live objects.
 */
const PREFIX = benchPrefix();
const { runName, name } = runNames(PREFIX);
const step = (text: string) => process.stderr.write(`bench: ${text}\n`);

async function cleanUp(prefix: string): Promise<void> {
  const left = await removeBenchObjects(prefix);
  if (left.length > 0) step(`consumer groups still with members, left for the next run: ${left.join(", ")}`);
}

const loadAtStart = loadavg()[0] ?? Number.NaN;
step("removing what an interrupted run left");
await cleanUp(PREFIX);
const admin = openAdmin();
const sourceDb = name("src");
step(`loading ${rows} rows`);
const { sql, rowBytes } = await sourceWithRows(sourceDb, rows);
try {
  step("baseline: COPY TO STDOUT | COPY FROM STDIN between the clusters");
  await settleClusters();
  const copy = await measureCopyBaseline(sourceDb, name("copy"), rows);

  step("source alone: snapshot into Kafka");
  const sourceSnapshot = await sourceOnlySnapshot(admin, name("p1"), sourceDb, rows);
  step("sink alone: applying the snapshot topic");
  const sinkSnapshot = await sinkOnlySnapshot(name("s1"), benchTopic(name("p1"), "rows"), name("t1"), rows);
  await settleClusters(name("t1"));
  step("source and sink together: snapshot end to end");
  const e2eNames = { source: name("p2"), sink: name("s2") };
  const endToEnd = await endToEndSnapshot(e2eNames, sourceDb, name("t2"), rows);
  await settleClusters(name("t2"));

  step(`writing a backlog of ${transactions} transactions of 10 rows while every connector is stopped`);
  const backlog = await writeBacklog(sql, sourceDb, name("decode"), transactions, rows);
  step("source alone: catching up the backlog into Kafka");
  const sourceStreaming = await sourceOnlyStreaming(sql, admin, name("p1"), backlog);
  step("sink alone: applying the backlog from Kafka");
  const sinkStreaming = await sinkOnlyStreaming(
    admin,
    name("s1"),
    benchTopic(name("p1"), "rows"),
    name("t1"),
  );
  await dropDatabase(name("t1"), TARGET_PORT);
  step("source and sink together: the backlog end to end");
  const endToEndStream = await endToEndStreaming(sql, admin, e2eNames, name("t2"), backlog);
  await dropDatabase(name("t2"), TARGET_PORT);
  step("baseline: pg_recvlogical (test_decoding) over the same WAL");
  const decode = await decodeBaseline(backlog, sourceStreaming.events);

  step(`latency: ${rate} events/s for ${seconds} s`);
  const latency = await measureLatency(
    admin,
    { source: name("lat"), sink: name("slat") },
    { source: name("latsrc"), target: name("lattgt") },
    rate,
    seconds,
  );

  const results = buildResults({
    loadAverage: { atStart: loadAtStart, atEnd: loadavg()[0] ?? Number.NaN },
    sizes: { rows, seconds, transactions, latencyEventsPerSec: rate },
    rowBytes,
    copy,
    sourceSnapshot,
    sinkSnapshot,
    endToEndSnapshot: endToEnd,
    sourceStreaming,
    sinkStreaming,
    endToEndStreaming: endToEndStream,
    decode,
    latency,
  });
  process.stdout.write(`${formatTable(results)}\n`);
  const out = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write("\nwritten to bench/results/latest.json\n");
} finally {
  await ConnectorProcess.killAll();
  await sql.end();
  await admin.close();
  step("cleaning up");
  // A failed clean-up must not hide why the run failed: it is reported, and the next run retries it.
  await cleanUp(runName).catch((error: unknown) => step(`clean-up failed: ${String(error)}`));
}
