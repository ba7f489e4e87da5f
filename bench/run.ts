import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchSource } from "./lib/source-bench.js";

/**
 * `npm run bench [-- --rows N --transactions N]`: measures on the local stack and prints a
 * table plus bench/results/latest.json. Today it measures the PostgreSQL source; the sink and
 * end-to-end figures join it with the sink connectors.
 */
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    transactions: { type: "string", default: "30000" },
  },
});
const rows = Number(values.rows);
const transactions = Number(values.transactions);
if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(transactions) || transactions < 100) {
  process.stderr.write("usage: npm run bench -- [--rows N>=1000] [--transactions N>=100]\n");
  process.exit(2);
}

const source = await benchSource(rows, transactions);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const results = {
  measuredAt: new Date().toISOString(),
  machine: {
    cpus: (await import("node:os")).cpus().length,
    memoryGb: round((await import("node:os")).totalmem() / 2 ** 30, 1),
  },
  sizes: { rows, transactions },
  source: {
    snapshot: {
      rowsPerSec: round(source.snapshot.rowsPerSec),
      mbPerSec: round(source.snapshot.mbPerSec, 1),
      seconds: round(source.snapshot.seconds, 2),
      rowBytes: source.snapshot.rowBytes,
      cpuSeconds: round(source.snapshot.cpuSeconds, 1),
      rowsPerConnectorCpuSec: round(source.snapshot.rowsPerCpuSec),
    },
    streaming: {
      eventsPerSec: round(source.streaming.eventsPerSec),
      events: source.streaming.events,
      seconds: round(source.streaming.seconds, 2),
    },
    rssMb: round(source.rssMb, 1),
  },
  decodeBaselineEventsPerSec: round(source.decodeBaseline.eventsPerSec),
};

const table = [
  ["measure", "value", "baseline", "ratio"],
  ["source snapshot rows/s", results.source.snapshot.rowsPerSec, "", ""],
  ["source snapshot MB/s", results.source.snapshot.mbPerSec, "", ""],
  ["source snapshot rows per CPU s", results.source.snapshot.rowsPerConnectorCpuSec, "", ""],
  [
    "source streaming events/s",
    results.source.streaming.eventsPerSec,
    results.decodeBaselineEventsPerSec,
    round(results.source.streaming.eventsPerSec / results.decodeBaselineEventsPerSec, 2),
  ],
  ["source peak RSS MB", results.source.rssMb, "", ""],
];
const widths =
  table[0]?.map((_, column) => Math.max(...table.map((row) => String(row[column]).length))) ?? [];
for (const row of table)
  process.stdout.write(`${row.map((cell, i) => String(cell).padEnd(widths[i] ?? 0)).join("  ")}\n`);

const out = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(`${out}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(
  `\nwritten to bench/results/latest.json (decode baseline: pg_recvlogical with test_decoding over the same WAL)\n`,
);
