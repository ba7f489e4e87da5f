import { parseArgs } from "node:util";
import { ConnectorProcess } from "./lib/connector-process.js";
import { deleteKafkaObjects, openAdmin } from "./lib/kafka-offsets.js";
import { dropBenchObjects, SOURCE_PORT } from "./lib/postgres.js";
import { benchPrefix, runNames } from "./lib/prefix.js";
import { sourceOnlySnapshot } from "./lib/snapshot-bench.js";
import { sourceOnlyStreaming, writeBacklog } from "./lib/streaming-bench.js";
import { sourceWithRows } from "./lib/workload.js";

/**
 * `npm run bench:source [-- --rows N --transactions N]`: only the source's two phases of
 * `npm run bench` (snapshot into Kafka, catching up a backlog of 10-row transactions), with the
 * source's CPU seconds and peak RSS: a quick loop for work on the source alone. Set
 * BENCH_SOURCE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to profile it.
 */
const { values } = parseArgs({
  options: { rows: { type: "string", default: "200000" }, transactions: { type: "string", default: "7500" } },
});
const rows = Number(values.rows);
const transactions = Number(values.transactions);
if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(transactions) || transactions < 100) {
  process.stderr.write("usage: npm run bench:source -- [--rows N>=1000] [--transactions N>=100]\n");
  process.exit(2);
}

const prefix = benchPrefix();
const { runName } = runNames(prefix);
const step = (text: string) => process.stderr.write(`bench: ${text}\n`);
const admin = openAdmin();
const database = `${runName}_src`;
step(`loading ${rows} rows`);
const { sql } = await sourceWithRows(database, rows);
try {
  step("source alone: snapshot into Kafka");
  const snapshot = await sourceOnlySnapshot(admin, `${runName}_p1`, database, rows);
  step(`writing a backlog of ${transactions} transactions of 10 rows`);
  const backlog = await writeBacklog(sql, database, `${runName}_decode`, transactions, rows);
  step("source alone: catching up the backlog into Kafka");
  const streaming = await sourceOnlyStreaming(sql, admin, `${runName}_p1`, backlog);
  const figures = {
    snapshot: {
      rows,
      rowsPerSec: Math.round(snapshot.rowsPerSec),
      cpuSeconds: snapshot.source.cpuSeconds,
      rowsPerCpuSecond: Math.round(rows / snapshot.source.cpuSeconds),
      peakRssMb: Math.round(snapshot.source.peakRssMb),
    },
    streaming: {
      events: streaming.events,
      eventsPerSec: Math.round(streaming.eventsPerSec),
      cpuSeconds: streaming.source.cpuSeconds,
      eventsPerCpuSecond: Math.round(streaming.events / streaming.source.cpuSeconds),
      peakRssMb: Math.round(streaming.source.peakRssMb),
    },
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await ConnectorProcess.killAll();
  await sql.end();
  await admin.close();
  step("cleaning up");
  await dropBenchObjects(runName, SOURCE_PORT);
  await deleteKafkaObjects(runName);
}
