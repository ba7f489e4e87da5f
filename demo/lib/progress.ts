/**
 * Progress of the demo (pure): the connectors' Prometheus text read into a few figures, and
 * the one-line summary printed about every second.
 */

/** The sum of every sample of `metric` (all label sets), or undefined when it is absent. */
export function metricSum(
  text: string,
  metric: string,
  where?: (labels: string) => boolean,
): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    let labels = "";
    let valueText: string;
    if (rest.startsWith("{")) {
      const close = rest.indexOf("}");
      labels = rest.slice(1, close);
      valueText = rest.slice(close + 1);
    } else if (rest.startsWith(" ")) {
      valueText = rest;
    } else {
      continue; // another metric whose name starts with this one
    }
    if (where && !where(labels)) continue;
    const value = Number(valueText.trim().split(" ")[0]);
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

export interface SourceFigures {
  snapshotRows: number;
  snapshotTablesDone: number;
  snapshotTablesTotal: number;
  /** Change events other than snapshot reads. */
  streamedEvents: number;
}

export interface SinkFigures {
  appliedEvents: number;
  /** Source commit to target commit of the last applied event. */
  latencyMs: number | undefined;
}

export function sourceFigures(text: string): SourceFigures {
  return {
    snapshotRows: metricSum(text, "tributary_source_snapshot_rows_total") ?? 0,
    snapshotTablesDone: metricSum(text, "tributary_source_snapshot_tables_done") ?? 0,
    snapshotTablesTotal: metricSum(text, "tributary_source_snapshot_tables_total") ?? 0,
    streamedEvents:
      metricSum(text, "tributary_source_events_total", (labels) => !/\bop="r"/.test(labels)) ?? 0,
  };
}

export function sinkFigures(text: string): SinkFigures {
  return {
    appliedEvents: metricSum(text, "tributary_sink_events_applied_total") ?? 0,
    latencyMs: metricSum(text, "tributary_sink_commit_to_apply_ms"),
  };
}

export interface ProgressSnapshot {
  elapsedSeconds: number;
  phase: string;
  source: SourceFigures | undefined;
  sink: SinkFigures | undefined;
  changesMade: number;
}

const count = (value: number) => Math.round(value).toLocaleString("en-US");

/** `[ 12s] live changes │ snapshot 6,012 rows (4/4 tables) │ streamed 812 │ applied 6,790 │ latency 41 ms │ made 790`. */
export function formatProgress(progress: ProgressSnapshot): string {
  const { source, sink } = progress;
  const parts = [
    `[${String(Math.round(progress.elapsedSeconds)).padStart(3)}s] ${progress.phase.padEnd(12)}`,
  ];
  parts.push(
    source === undefined || source.snapshotTablesTotal === 0
      ? "snapshot starting"
      : `snapshot ${count(source.snapshotRows)} rows (${source.snapshotTablesDone}/${source.snapshotTablesTotal} tables)`,
  );
  parts.push(source === undefined ? "streamed -" : `streamed ${count(source.streamedEvents)}`);
  parts.push(sink === undefined ? "sink starting" : `applied ${count(sink.appliedEvents)}`);
  const latency = sink?.latencyMs;
  // The gauge reads 0 until the sink applied an event that carries a commit time.
  parts.push(`latency ${latency === undefined || latency === 0 ? "-" : `${count(latency)} ms`}`);
  parts.push(`changes made ${count(progress.changesMade)}`);
  return parts.join(" │ ");
}
