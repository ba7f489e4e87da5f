import { describe, expect, it } from "vitest";
import { formatProgress, metricSum, sinkFigures, sourceFigures } from "../../demo/lib/progress.js";
import { pickStep } from "../../demo/lib/workload.js";

const SOURCE_METRICS = `# HELP tributary_source_events_total Change events published, by table and operation
# TYPE tributary_source_events_total counter
tributary_source_events_total{table="shop.orders",op="r",connector="demo"} 1500
tributary_source_events_total{table="shop.orders",op="c",connector="demo"} 12
tributary_source_events_total{table="shop.orders",op="u",connector="demo"} 30
tributary_source_events_total{table="shop.order_items",op="d",connector="demo"} 4
tributary_source_events_total_created{table="shop.orders",op="c"} 1700000000
tributary_source_snapshot_rows_total{table="shop.orders",connector="demo"} 1500
tributary_source_snapshot_rows_total{table="shop.customers",connector="demo"} 500
tributary_source_snapshot_tables_done{connector="demo"} 2
tributary_source_snapshot_tables_total{connector="demo"} 4
`;

const SINK_METRICS = `tributary_sink_events_applied_total{table="shop.orders",op="u"} 25
tributary_sink_events_applied_total{table="shop.orders",op="r"} 1500
tributary_sink_commit_to_apply_ms 42.5
`;

describe("demo progress", () => {
  it("sums a metric over its label sets, not over metrics whose name it prefixes", () => {
    expect(metricSum(SOURCE_METRICS, "tributary_source_events_total")).toBe(1546);
    expect(metricSum(SOURCE_METRICS, "tributary_source_missing_total")).toBeUndefined();
    expect(metricSum(SINK_METRICS, "tributary_sink_commit_to_apply_ms")).toBe(42.5);
  });

  it("reads the source's snapshot and streamed figures, snapshot reads left out of the stream", () => {
    expect(sourceFigures(SOURCE_METRICS)).toEqual({
      snapshotRows: 2000,
      snapshotTablesDone: 2,
      snapshotTablesTotal: 4,
      streamedEvents: 46,
    });
    expect(sinkFigures(SINK_METRICS)).toEqual({ appliedEvents: 1525, latencyMs: 42.5 });
  });

  it("formats one compact line, with dashes for what is not known yet", () => {
    expect(
      formatProgress({
        elapsedSeconds: 12.4,
        phase: "live changes",
        source: sourceFigures(SOURCE_METRICS),
        sink: sinkFigures(SINK_METRICS),
        changesMade: 1234,
      }),
    ).toBe(
      "[ 12s] live changes │ snapshot 2,000 rows (2/4 tables) │ streamed 46 │ applied 1,525 │ latency 43 ms │ changes made 1,234",
    );
    expect(
      formatProgress({
        elapsedSeconds: 1,
        phase: "live changes",
        source: undefined,
        sink: undefined,
        changesMade: 0,
      }),
    ).toBe(
      "[  1s] live changes │ snapshot starting │ streamed - │ sink starting │ latency - │ changes made 0",
    );
    expect(
      formatProgress({
        elapsedSeconds: 5,
        phase: "live changes",
        source: sourceFigures(SOURCE_METRICS),
        sink: { appliedEvents: 0, latencyMs: 0 },
        changesMade: 3,
      }),
    ).toContain("│ applied 0 │ latency - │");
  });

  it("picks workload steps in proportion to their weights", () => {
    const steps = [
      { name: "a", weight: 3 },
      { name: "b", weight: 1 },
    ];
    expect(pickStep(steps, 0).name).toBe("a");
    expect(pickStep(steps, 0.74).name).toBe("a");
    expect(pickStep(steps, 0.75).name).toBe("b");
    expect(pickStep(steps, 0.999).name).toBe("b");
  });
});
