/**
 * `npm run demo [-- --seconds N]`: a sample shop database on the local stack's PostgreSQL
 * (5432), the PostgreSQL source and the PostgreSQL sink (into 5433) as two processes, live
 * changes while they run, progress from their /metrics, then every table compared row by row.
 * Exit 0 only when the target equals the source; 1 when it does not or a step failed; 130
 * after Ctrl-C (the connectors are stopped with SIGTERM and waited for first).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compareTable, isEqual, type TableComparison } from "./lib/compare.js";
import { ConnectorProcess } from "./lib/connector-process.js";
import { configYaml, type DemoRun, runName, sinkConfig, sinkName, sourceConfig } from "./lib/demo-configs.js";
import { freePort } from "./lib/free-port.js";
import { formatProgress, sinkFigures, sourceFigures } from "./lib/progress.js";
import { comparisonTable, exploreCommands } from "./lib/report.js";
import { cleanUpRun, loadRunState, saveRunState } from "./lib/run-state.js";
import {
  connect,
  createSampleData,
  recreateDatabase,
  SHOP_SCHEMA,
  SHOP_TABLES,
} from "./lib/sample-database.js";
import { runWorkload, type WorkloadCounts } from "./lib/workload.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    "catch-up-seconds": { type: "string", default: "120" },
    database: { type: "string", default: "tributary_demo" },
    workdir: { type: "string", default: fileURLToPath(new URL("./out/", import.meta.url)) },
    "clean-up": { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const catchUpSeconds = Number(values["catch-up-seconds"]);
if (!(seconds >= 0) || !(catchUpSeconds > 0) || !/^[a-z_][a-z0-9_]{0,62}$/.test(values.database)) {
  process.stderr.write(
    "usage: npm run demo -- [--seconds N] [--catch-up-seconds N] [--database name] [--workdir dir] [--clean-up]\n",
  );
  process.exit(2);
}

const started = Date.now();
const elapsed = () => (Date.now() - started) / 1000;
const say = (line = "") => process.stdout.write(`${line}\n`);
const shown = (path: string) =>
  relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path);

const interrupt = new AbortController();
const connectors: ConnectorProcess[] = [];
let firstInterrupt: number | undefined;
const onSignal = () => {
  if (firstInterrupt === undefined) {
    firstInterrupt = Date.now();
    say("\ninterrupted: stopping the workload and the connectors (Ctrl-C again to kill them)");
    interrupt.abort();
  } else if (Date.now() - firstInterrupt > 1000) {
    // A signal within a second of the first is the same Ctrl-C arriving twice: once from the
    // terminal, once forwarded by npm.
    for (const connector of connectors) connector.killNow();
    process.exit(130);
  }
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// Whatever happens, no connector outlives the demo.
process.on("exit", () => {
  for (const connector of connectors) connector.killNow();
});

class Interrupted extends Error {}
const checkInterrupt = () => {
  if (interrupt.signal.aborted) throw new Interrupted();
};
const pause = (ms: number) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    interrupt.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      done();
    });
  });

async function main(): Promise<number> {
  const workdir = resolve(values.workdir);
  mkdirSync(workdir, { recursive: true });
  const previous = loadRunState(workdir);
  if (previous) {
    say(`cleaning up the previous run ${previous.name} (its topics, consumer group, replication origin)`);
    await cleanUpRun(previous, { databases: false });
  }
  checkInterrupt();

  const run: DemoRun = {
    name: runName(new Date()),
    database: values.database,
    sourcePort: 5432,
    targetPort: 5433,
    brokers: ["127.0.0.1:9092"],
    sourceHttpPort: await freePort(9464),
    sinkHttpPort: await freePort(9465),
  };
  if (run.sinkHttpPort === run.sourceHttpPort) run.sinkHttpPort = await freePort(0);
  saveRunState(workdir, run);

  say(
    `creating database ${run.database} on 127.0.0.1:5432 (source) and an empty one on 127.0.0.1:5433 (target)`,
  );
  await recreateDatabase(run.sourcePort, run.database);
  await recreateDatabase(run.targetPort, run.database);
  const source = await connect(run.sourcePort, run.database);
  const target = await connect(run.targetPort, run.database);
  try {
    const counts = await createSampleData(source);
    say(
      `  sample shop: ${Object.entries(counts)
        .map(([table, rows]) => `${table} ${rows} rows`)
        .join(", ")}`,
    );
    checkInterrupt();

    const files = {
      sourceConfig: join(workdir, "source.yaml"),
      sinkConfig: join(workdir, "sink.yaml"),
      sourceLog: join(workdir, "source.log"),
      sinkLog: join(workdir, "sink.log"),
    };
    writeFileSync(files.sourceConfig, configYaml("source", sourceConfig(run)));
    writeFileSync(files.sinkConfig, configYaml("sink", sinkConfig(run)));
    const sourceProcess = new ConnectorProcess(
      "source",
      files.sourceConfig,
      files.sourceLog,
      run.sourceHttpPort,
    );
    connectors.push(sourceProcess);
    const sinkProcess = new ConnectorProcess("sink", files.sinkConfig, files.sinkLog, run.sinkHttpPort);
    connectors.push(sinkProcess);
    say(
      `started tributary source (pid ${sourceProcess.pid}, config ${shown(files.sourceConfig)}, ` +
        `logs ${shown(files.sourceLog)}, metrics http://127.0.0.1:${run.sourceHttpPort}/metrics)`,
    );
    say(
      `started tributary sink   (pid ${sinkProcess.pid}, config ${shown(files.sinkConfig)}, ` +
        `logs ${shown(files.sinkLog)}, metrics http://127.0.0.1:${run.sinkHttpPort}/metrics)`,
    );

    const workload: WorkloadCounts = { transactions: 0, inserts: 0, updates: 0, deletes: 0 };
    let phase = "starting";
    let stopping = false;
    const printProgress = async () => {
      const [sourceText, sinkText] = await Promise.all([sourceProcess.metrics(), sinkProcess.metrics()]);
      if (stopping) return;
      say(
        formatProgress({
          elapsedSeconds: elapsed(),
          phase,
          source: sourceText === undefined ? undefined : sourceFigures(sourceText),
          sink: sinkText === undefined ? undefined : sinkFigures(sinkText),
          changesMade: workload.inserts + workload.updates + workload.deletes,
        }),
      );
    };
    const ticker = setInterval(() => void printProgress(), 1000);
    const crashed = Promise.race(
      connectors.map((connector) =>
        connector.exited.then(() => {
          throw new Error(
            `the ${connector.role} ${connector.describeExit()} unexpectedly; last lines of ${shown(connector.logFile)}:\n` +
              connector.logTail(),
          );
        }),
      ),
    );
    crashed.catch(() => undefined);

    let comparisons: TableComparison[] = [];
    try {
      phase = "live changes";
      say(`making live inserts, updates and deletes for ${seconds} s while both connectors run`);
      await Promise.race([
        runWorkload(source, { seconds, pauseMs: 40, signal: interrupt.signal, counts: workload }),
        crashed,
      ]);
      checkInterrupt();
      say(
        `workload done: ${workload.transactions} transactions, ${workload.inserts} inserts, ` +
          `${workload.updates} updates, ${workload.deletes} deletes; waiting for the target to catch up`,
      );

      phase = "catching up";
      const deadline = Date.now() + catchUpSeconds * 1000;
      for (;;) {
        comparisons = await Promise.race([compareAll(source, target), crashed]);
        if (comparisons.every(isEqual) || Date.now() > deadline) break;
        await Promise.race([pause(1000), crashed]);
        checkInterrupt();
      }
      phase = comparisons.every(isEqual) ? "caught up" : "gave up";
      await printProgress();
    } finally {
      clearInterval(ticker);
      stopping = true;
      say("stopping the connectors (SIGTERM)");
      await Promise.all(connectors.map((connector) => connector.stop()));
      say(`  ${connectors.map((connector) => `${connector.role} ${connector.describeExit()}`).join(", ")}`);
    }

    say();
    say(comparisonTable(comparisons));
    const equal = comparisons.every(isEqual);
    const rows = comparisons.reduce((sum, table) => sum + table.sourceRows, 0);
    say();
    say(
      equal
        ? `RESULT: target equals source — ${comparisons.length} tables, ${rows} rows identical row by row (${elapsed().toFixed(0)} s)`
        : `RESULT: target differs from source after waiting ${catchUpSeconds} s for it to catch up; see the logs`,
    );
    say();
    if (values["clean-up"]) {
      await cleanUpRun(run, { databases: true });
      say(`cleaned up: databases ${run.database}, topics ${run.name}.*, group ${sinkName(run)}`);
    } else {
      say(
        exploreCommands({
          run,
          sinkName: sinkName(run),
          files: mapValues(files, shown),
          tables: SHOP_TABLES,
        }),
      );
    }
    return equal ? 0 : 1;
  } finally {
    await source.end().catch(() => undefined);
    await target.end().catch(() => undefined);
  }
}

async function compareAll(
  source: Awaited<ReturnType<typeof connect>>,
  target: Awaited<ReturnType<typeof connect>>,
): Promise<TableComparison[]> {
  const results: TableComparison[] = [];
  for (const table of SHOP_TABLES) results.push(await compareTable(source, target, SHOP_SCHEMA, table));
  return results;
}

function mapValues<T extends Record<string, string>>(record: T, map: (value: string) => string): T {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)])) as T;
}

let code: number;
try {
  code = await main();
} catch (error) {
  if (error instanceof Interrupted || interrupt.signal.aborted) {
    code = 130;
  } else {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
}
if (interrupt.signal.aborted) {
  say("stopped.");
  code = 130;
}
process.exit(code);
