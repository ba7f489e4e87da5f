import { Counter, Gauge, type Registry } from "prom-client";

/** The source's Prometheus metrics, registered on the connector's registry. */
export class SourceMetrics {
  readonly events: Counter<"table" | "op">;
  readonly eventBytes: Counter<"table">;
  readonly snapshotRows: Counter<"table">;
  readonly snapshotChunks: Counter<"table">;
  readonly snapshotTablesDone: Gauge;
  readonly snapshotTablesTotal: Gauge;
  readonly confirmedLsn: Gauge;
  readonly lastCommitLagMs: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.events = new Counter({
      name: "tributary_source_events_total",
      help: "Change events published, by table and operation",
      labelNames: ["table", "op"],
      registers,
    });
    this.eventBytes = new Counter({
      name: "tributary_source_event_bytes_total",
      help: "Encoded bytes of published events (key + value)",
      labelNames: ["table"],
      registers,
    });
    this.snapshotRows = new Counter({
      name: "tributary_source_snapshot_rows_total",
      help: "Rows read by the snapshot",
      labelNames: ["table"],
      registers,
    });
    this.snapshotChunks = new Counter({
      name: "tributary_source_snapshot_chunks_total",
      help: "Key-range chunks the snapshot finished",
      labelNames: ["table"],
      registers,
    });
    this.snapshotTablesDone = new Gauge({
      name: "tributary_source_snapshot_tables_done",
      help: "Tables the snapshot finished",
      registers,
    });
    this.snapshotTablesTotal = new Gauge({
      name: "tributary_source_snapshot_tables_total",
      help: "Tables the snapshot reads",
      registers,
    });
    this.confirmedLsn = new Gauge({
      name: "tributary_source_confirmed_lsn",
      help: "Highest LSN confirmed to the replication slot (as a number)",
      registers,
    });
    this.lastCommitLagMs = new Gauge({
      name: "tributary_source_commit_to_publish_ms",
      help: "Milliseconds from the commit of the last published transaction to Kafka's acknowledgement",
      registers,
    });
  }
}
