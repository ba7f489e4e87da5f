import { cpus, totalmem } from "node:os";
import type { ProcessUse } from "./connectors.js";
import type { CopyBaseline } from "./copy-baseline.js";
import type { LatencyFigures } from "./latency-bench.js";
import type { SnapshotFigures } from "./snapshot-bench.js";
import type { StreamingFigures } from "./streaming-bench.js";

export interface Measured {
  /** 1-minute load averages at the start and the end of the run: other work on the machine shows here. */
  loadAverage: { atStart: number; atEnd: number };
  sizes: { rows: number; seconds: number; transactions: number; latencyEventsPerSec: number };
  rowBytes: number;
  copy: CopyBaseline;
  sourceSnapshot: SnapshotFigures & { source: ProcessUse };
  sinkSnapshot: SnapshotFigures & { sink: ProcessUse };
  endToEndSnapshot: SnapshotFigures & { source: ProcessUse; sink: ProcessUse };
  sourceStreaming: StreamingFigures & { source: ProcessUse };
  sinkStreaming: StreamingFigures & { sink: ProcessUse };
  endToEndStreaming: StreamingFigures & { source: ProcessUse; sink: ProcessUse };
  decode: StreamingFigures;
  latency: LatencyFigures;
}

/** The targets issue 5 reports against. */
export const TARGETS = {
  snapshotRatioToCopy: 0.25,
  streamingEventsPerSec: 20_000,
  latencyP99Ms: 500,
  rssMb: 300,
};

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

export function buildResults(m: Measured) {
  const mb = (rows: number, seconds: number) => (rows * m.rowBytes) / seconds / 1e6;
  const e2e = m.endToEndSnapshot;
  const e2eCpu = e2e.source.cpuSeconds + e2e.sink.cpuSeconds;
  const sourceProcesses = [m.sourceSnapshot, m.sourceStreaming, e2e, m.endToEndStreaming, m.latency];
  const sinkProcesses = [m.sinkSnapshot, m.sinkStreaming, e2e, m.endToEndStreaming, m.latency];
  const rss = {
    sourceMb: round(Math.max(...sourceProcesses.map((p) => p.source.peakRssMb)), 1),
    sinkMb: round(Math.max(...sinkProcesses.map((p) => p.sink.peakRssMb)), 1),
  };
  const cpu = (use: ProcessUse) => round(use.cpuSeconds, 1);
  const usage = (use: ProcessUse) => ({ peakRssMb: round(use.peakRssMb, 1), cpuSeconds: cpu(use) });
  return {
    measuredAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      memoryGb: round(totalmem() / 2 ** 30, 1),
      loadAverageAtStart: round(m.loadAverage.atStart, 1),
      loadAverageAtEnd: round(m.loadAverage.atEnd, 1),
    },
    sizes: { ...m.sizes, rowBytes: m.rowBytes },
    snapshot: {
      rows: e2e.rows,
      seconds: round(e2e.seconds, 2),
      rowsPerSec: round(e2e.rowsPerSec),
      mbPerSec: round(mb(e2e.rows, e2e.seconds), 1),
      copyBaselineRowsPerSec: round(m.copy.rowsPerSec),
      copyBaselineMbPerSec: round(mb(m.copy.rows, m.copy.seconds), 1),
      copyBaselineSeconds: round(m.copy.seconds, 2),
      ratioToCopy: round(e2e.rowsPerSec / m.copy.rowsPerSec, 3),
      rowsPerConnectorCpuSec: round(e2e.rows / e2eCpu),
      sourceCpuSeconds: cpu(e2e.source),
      sinkCpuSeconds: cpu(e2e.sink),
    },
    streaming: {
      events: m.endToEndStreaming.events,
      seconds: round(m.endToEndStreaming.seconds, 2),
      eventsPerSec: round(m.endToEndStreaming.eventsPerSec),
      ratioToDecode: round(m.endToEndStreaming.eventsPerSec / m.decode.eventsPerSec, 3),
      sourceCpuSeconds: cpu(m.endToEndStreaming.source),
      sinkCpuSeconds: cpu(m.endToEndStreaming.sink),
    },
    latency: {
      p50Ms: round(m.latency.p50Ms, 1),
      p95Ms: round(m.latency.p95Ms, 1),
      p99Ms: round(m.latency.p99Ms, 1),
      maxMs: round(m.latency.maxMs, 1),
      rateEventsPerSec: round(m.latency.rateEventsPerSec),
      requestedEventsPerSec: m.latency.requestedEventsPerSec,
      events: m.latency.events,
      eventsNotApplied: m.latency.missing,
      seconds: round(m.latency.seconds, 1),
      generatorMaxBehindMs: round(m.latency.generatorMaxBehindMs, 1),
      sourceCpuSeconds: cpu(m.latency.source),
      sinkCpuSeconds: cpu(m.latency.sink),
    },
    rss,
    /** Peak RSS (MB) and CPU seconds of each connector process, by phase. */
    processes: {
      sourceAloneSnapshot: { source: usage(m.sourceSnapshot.source) },
      sinkAloneSnapshot: { sink: usage(m.sinkSnapshot.sink) },
      endToEndSnapshot: { source: usage(e2e.source), sink: usage(e2e.sink) },
      sourceAloneStreaming: { source: usage(m.sourceStreaming.source) },
      sinkAloneStreaming: { sink: usage(m.sinkStreaming.sink) },
      endToEndStreaming: { source: usage(m.endToEndStreaming.source), sink: usage(m.endToEndStreaming.sink) },
      latency: { source: usage(m.latency.source), sink: usage(m.latency.sink) },
    },
    decodeBaselineEventsPerSec: round(m.decode.eventsPerSec),
    /** Issue 3: the PostgreSQL source alone (snapshot into Kafka; catch-up of the backlog into Kafka). */
    source: {
      snapshot: {
        rowsPerSec: round(m.sourceSnapshot.rowsPerSec),
        mbPerSec: round(mb(m.sourceSnapshot.rows, m.sourceSnapshot.seconds), 1),
        seconds: round(m.sourceSnapshot.seconds, 2),
        rowBytes: m.rowBytes,
        ratioToCopy: round(m.sourceSnapshot.rowsPerSec / m.copy.rowsPerSec, 3),
        cpuSeconds: cpu(m.sourceSnapshot.source),
        rowsPerConnectorCpuSec: round(m.sourceSnapshot.rows / m.sourceSnapshot.source.cpuSeconds),
      },
      streaming: {
        eventsPerSec: round(m.sourceStreaming.eventsPerSec),
        events: m.sourceStreaming.events,
        seconds: round(m.sourceStreaming.seconds, 2),
        ratioToDecode: round(m.sourceStreaming.eventsPerSec / m.decode.eventsPerSec, 3),
        cpuSeconds: cpu(m.sourceStreaming.source),
      },
      rssMb: rss.sourceMb,
    },
    /** Issue 4: the PostgreSQL sink alone, applying topics already in Kafka. */
    sink: {
      snapshot: {
        rowsPerSec: round(m.sinkSnapshot.rowsPerSec),
        mbPerSec: round(mb(m.sinkSnapshot.rows, m.sinkSnapshot.seconds), 1),
        seconds: round(m.sinkSnapshot.seconds, 2),
        ratioToCopy: round(m.sinkSnapshot.rowsPerSec / m.copy.rowsPerSec, 3),
        cpuSeconds: cpu(m.sinkSnapshot.sink),
        rowsPerConnectorCpuSec: round(m.sinkSnapshot.rows / m.sinkSnapshot.sink.cpuSeconds),
      },
      streaming: {
        eventsPerSec: round(m.sinkStreaming.eventsPerSec),
        events: m.sinkStreaming.events,
        seconds: round(m.sinkStreaming.seconds, 2),
        cpuSeconds: cpu(m.sinkStreaming.sink),
      },
      rssMb: rss.sinkMb,
    },
    decodeBaseline: {
      events: m.decode.events,
      seconds: round(m.decode.seconds, 2),
      eventsPerSec: round(m.decode.eventsPerSec),
    },
  };
}

export type Results = ReturnType<typeof buildResults>;

type Row = [figure: string, value: number, unit: string, baseline?: number, target?: string, met?: boolean];

export function formatTable(r: Results): string {
  const rows: Row[] = [
    [
      "end-to-end snapshot",
      r.snapshot.rowsPerSec,
      "rows/s",
      r.snapshot.copyBaselineRowsPerSec,
      "≥ 0.25 × COPY",
      r.snapshot.ratioToCopy >= TARGETS.snapshotRatioToCopy,
    ],
    ["end-to-end snapshot", r.snapshot.mbPerSec, "MB/s", r.snapshot.copyBaselineMbPerSec],
    [
      "  source share (source alone → Kafka)",
      r.source.snapshot.rowsPerSec,
      "rows/s",
      r.snapshot.copyBaselineRowsPerSec,
    ],
    [
      "  sink share (sink alone, topics in Kafka)",
      r.sink.snapshot.rowsPerSec,
      "rows/s",
      r.snapshot.copyBaselineRowsPerSec,
    ],
    ["end-to-end snapshot per connector CPU s", r.snapshot.rowsPerConnectorCpuSec, "rows/CPU s"],
    [
      "end-to-end streaming",
      r.streaming.eventsPerSec,
      "events/s",
      r.decodeBaselineEventsPerSec,
      "≥ 20000",
      r.streaming.eventsPerSec >= TARGETS.streamingEventsPerSec,
    ],
    [
      "  source alone (backlog → Kafka)",
      r.source.streaming.eventsPerSec,
      "events/s",
      r.decodeBaselineEventsPerSec,
    ],
    [
      "  sink alone (backlog in Kafka)",
      r.sink.streaming.eventsPerSec,
      "events/s",
      r.decodeBaselineEventsPerSec,
    ],
    [`commit-to-apply p50 at ${r.latency.rateEventsPerSec} ev/s`, r.latency.p50Ms, "ms"],
    [`commit-to-apply p95 at ${r.latency.rateEventsPerSec} ev/s`, r.latency.p95Ms, "ms"],
    [
      `commit-to-apply p99 at ${r.latency.rateEventsPerSec} ev/s`,
      r.latency.p99Ms,
      "ms",
      undefined,
      "≤ 500",
      r.latency.p99Ms <= TARGETS.latencyP99Ms,
    ],
    [
      "source peak RSS (all its runs)",
      r.rss.sourceMb,
      "MB",
      undefined,
      "≤ 300",
      r.rss.sourceMb <= TARGETS.rssMb,
    ],
    ["sink peak RSS (all its runs)", r.rss.sinkMb, "MB", undefined, "≤ 300", r.rss.sinkMb <= TARGETS.rssMb],
    ["source CPU, end-to-end snapshot", r.snapshot.sourceCpuSeconds, "CPU s"],
    ["sink CPU, end-to-end snapshot", r.snapshot.sinkCpuSeconds, "CPU s"],
    ["source CPU, end-to-end streaming", r.streaming.sourceCpuSeconds, "CPU s"],
    ["sink CPU, end-to-end streaming", r.streaming.sinkCpuSeconds, "CPU s"],
    ["source CPU, latency run", r.latency.sourceCpuSeconds, "CPU s"],
    ["sink CPU, latency run", r.latency.sinkCpuSeconds, "CPU s"],
  ];
  const cells = [
    ["figure", "value", "unit", "baseline", "ratio", "target", "met?"],
    ...rows.map(([figure, value, unit, baseline, target, met]) => [
      figure,
      String(value),
      unit,
      baseline === undefined ? "" : String(baseline),
      baseline === undefined ? "" : (value / baseline).toFixed(2),
      target ?? "",
      met === undefined ? "" : met ? "yes" : "NO",
    ]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const lines = cells.map((row) =>
    row
      .map((cell, i) => (i === 1 || i === 3 || i === 4 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  return `${lines.join("\n")}\n\n${NOTES(r)}`;
}

const NOTES = (r: Results) =>
  [
    `Sizes: ${r.sizes.rows} rows of ${r.sizes.rowBytes} bytes; backlog of ${r.sizes.transactions} transactions of 10 row changes; latency at ${r.sizes.latencyEventsPerSec} events/s for ${r.sizes.seconds} s.`,
    `Machine: ${r.machine.cpus} CPUs, 1-minute load average ${r.machine.loadAverageAtStart} at the start and ${r.machine.loadAverageAtEnd} at the end.`,
    "Each connector runs as its own process (packages/cli/dist); RSS is VmHWM, CPU is utime+stime from /proc.",
    "Snapshot: end to end = from starting source and sink together until the target records every row applied;",
    "  source share = the source alone into Kafka (its own 'snapshot done' time); sink share = a sink alone",
    "  applying the source-only run's topic, from its start. Baseline: psql COPY TO STDOUT | psql COPY FROM STDIN, 5432 → 5433.",
    "Streaming: a backlog written while every connector is stopped (pgbench, 4 clients: 5 inserts, ~4 updates, 1 delete",
    "  per transaction), then drained: from the first applied (or published) event to the last. Baseline: pg_recvlogical",
    "  with test_decoding reading the same WAL to /dev/null.",
    `Latency: ${r.latency.events} events in paced 10-row transactions; source commit time (pg_xact_commit_timestamp) to the`,
    "  commit of the target transaction that applied each event (clock_timestamp() in a deferred ENABLE ALWAYS trigger,",
    `  firing at that commit); both clusters share this machine's clock. Events never applied: ${r.latency.eventsNotApplied}.`,
  ].join("\n");
