import { removeBenchObjects } from "./lib/bench-objects.js";
import { alternatedBuilds, useBuild } from "./lib/builds.js";
import { ConnectorProcess } from "./lib/connector-process.js";
import { measureCopyBaseline } from "./lib/copy-baseline.js";
import { countOptions } from "./lib/count-options.js";
import { dropDatabase, settleClusters, TARGET_PORT } from "./lib/postgres.js";
import { runNames } from "./lib/prefix.js";
import { endToEndSnapshot } from "./lib/snapshot-bench.js";
import { sourceWithRows } from "./lib/workload.js";

/**
 * `tsx --conditions=source bench/snapshot-e2e.ts [--rows N] [--runs K]`: the end-to-end snapshot
 * of `npm run bench` K times, each right after its own COPY baseline, printing rows/s, the ratio
 * to COPY and each connector's CPU seconds and peak RSS. With BENCH_CLI_B set to another build's
 * bin.js, runs alternate between that build (the baseline) and this checkout's, so both see the
 * same machine.
 */
const { rows, runs } = countOptions(
  { rows: 1_000_000, runs: 2 },
  "bench/snapshot-e2e.ts [--rows N] [--runs K]",
);
const PREFIX = "trbe2ebench_";
const { name } = runNames(PREFIX);
const step = (text: string) => process.stderr.write(`snapshot-e2e: ${text}\n`);
const builds = alternatedBuilds();

await removeBenchObjects(PREFIX);
const sourceDb = name("src");
step(`loading ${rows} rows`);
const { sql } = await sourceWithRows(sourceDb, rows);
try {
  for (let index = 1; index <= runs; index++) {
    for (const build of builds) {
      useBuild(build);
      const run = `${index}${build.cli === undefined ? "m" : "b"}`;
      await settleClusters();
      const copy = await measureCopyBaseline(sourceDb, name(`c${run}`), rows);
      const figures = await endToEndSnapshot(
        { source: name(`p${run}`), sink: name(`s${run}`) },
        sourceDb,
        name(`t${run}`),
        rows,
      );
      await dropDatabase(name(`t${run}`), TARGET_PORT);
      await sql.query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
        [`tributary_${name(`p${run}`)}`],
      );
      process.stdout.write(
        `${build.label} run ${index}: ${Math.round(figures.rowsPerSec)} rows/s end to end, ` +
          `COPY ${Math.round(copy.rowsPerSec)} rows/s, ratio ${(figures.rowsPerSec / copy.rowsPerSec).toFixed(3)}; ` +
          `CPU s source ${figures.source.cpuSeconds.toFixed(1)} sink ${figures.sink.cpuSeconds.toFixed(1)}; ` +
          `peak RSS MB source ${figures.source.peakRssMb.toFixed(0)} sink ${figures.sink.peakRssMb.toFixed(0)}\n`,
      );
    }
  }
} finally {
  await sql.end();
  await ConnectorProcess.killAll();
  await removeBenchObjects(PREFIX);
}
