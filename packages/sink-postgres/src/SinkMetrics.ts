import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The sink's Prometheus metrics, registered on the connector's registry. */
export class SinkMetrics {
  readonly events: Counter<"table" | "op">;
  readonly droppedByOrigin: Counter<"origin">;
  readonly transactions: Counter;
  readonly applySeconds: Histogram;
  readonly commitToApplyMs: Gauge;
  readonly ddl: Counter<"table" | "kind">;
  readonly filtered: Counter<"table" | "op" | "result">;
  readonly deadLetters: Counter<"topic" | "code">;
  readonly conflicts: Counter<"table" | "kind" | "resolution">;
  readonly copiedRows: Counter<"table">;
  readonly rowsCopiedFromAvro: Counter<"table">;
  readonly ddlSkipped: Counter<"kind">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.events = new Counter({
      name: "tributary_sink_events_applied_total",
      help: "Change events applied to the target, by target table and operation",
      labelNames: ["table", "op"],
      registers,
    });
    this.droppedByOrigin = new Counter({
      name: "tributary_sink_events_dropped_by_origin_total",
      help: "Events not applied because they came from the target itself (their origin is the sink's)",
      labelNames: ["origin"],
      registers,
    });
    this.transactions = new Counter({
      name: "tributary_sink_batches_total",
      help: "Target transactions committed (each applies a batch of one partition and records its offset)",
      registers,
    });
    this.applySeconds = new Histogram({
      name: "tributary_sink_apply_seconds",
      help: "Duration of each applied target transaction, from BEGIN to COMMIT",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.commitToApplyMs = new Gauge({
      name: "tributary_sink_commit_to_apply_ms",
      help: "Milliseconds from the source commit of the last applied event to the commit on the target",
      registers,
    });
    this.ddl = new Counter({
      name: "tributary_sink_ddl_total",
      help: "Target tables created (autoCreate) and evolved (autoEvolve), and source schema changes applied (ddl: apply), by kind",
      labelNames: ["table", "kind"],
      registers,
    });
    this.filtered = new Counter({
      name: "tributary_sink_events_filtered_total",
      help:
        "Events the filters changed, by source table, operation and result: skipped (not applied; its offset " +
        "still recorded), as_delete (an update out of the row filter), as_insert (an update into it, keyless table)",
      labelNames: ["table", "op", "result"],
      registers,
    });
    this.deadLetters = new Counter({
      name: "tributary_sink_dead_letters_total",
      help: "Bad records sent to the dead-letter topic (errors.tolerance: all), by source topic and error code",
      labelNames: ["topic", "code"],
      registers,
    });
    this.conflicts = new Counter({
      name: "tributary_sink_conflicts_total",
      help: "Conflicts detected (conflicts.detect) and committed, by target table, kind and resolution",
      labelNames: ["table", "kind", "resolution"],
      registers,
    });
    this.copiedRows = new Counter({
      name: "tributary_sink_rows_copied_total",
      help: "Rows sent to the target with COPY (large batches: staged and merged, or inserted straight)",
      labelNames: ["table"],
      registers,
    });
    this.rowsCopiedFromAvro = new Counter({
      name: "tributary_sink_rows_copied_from_avro_total",
      help: "Snapshot rows copied into the target straight from their Avro bytes, never decoded (part of rows_copied)",
      labelNames: ["table"],
      registers,
    });
    this.ddlSkipped = new Counter({
      name: "tributary_sink_ddl_skipped_total",
      help: "Parts of source schema changes not applied (ddl: apply), by kind: destructive ones without ddl.drops, user types, indexes, constraints",
      labelNames: ["kind"],
      registers,
    });
  }
}
