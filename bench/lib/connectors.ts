import { tableTopic } from "@tributary/core";
import { ConnectorProcess } from "./connector-process.js";
import { BROKERS } from "./kafka-offsets.js";
import { SOURCE_PORT, TARGET_PORT } from "./postgres.js";

/** `tributary source` capturing schema `bench` of `database`, its topics under `name`. */
export function startSource(name: string, database: string): ConnectorProcess {
  return new ConnectorProcess("source", {
    connector: "postgres-source",
    name,
    postgres: { host: "127.0.0.1", port: SOURCE_PORT, user: "postgres", database },
    kafka: { brokers: BROKERS },
    tables: { include: ["bench.*"] },
    topics: { tombstones: false },
    snapshot: { workers: 2, chunkRows: 100_000 },
    heartbeat: { intervalMs: 1_000 },
    http: { enabled: false },
    log: { level: "info" },
  });
}

/**
 * `tributary sink` (consumer group `name`) applying `topics` to `database` on the target cluster.
 * BENCH_SINK_CONFIG, a JSON object, replaces top-level sections of its config for an experiment,
 * e.g. '{"batch":{"maxEvents":4000}}'.
 */
export function startSink(name: string, topics: string[], database: string): ConnectorProcess {
  return new ConnectorProcess("sink", {
    connector: "postgres-sink",
    name,
    kafka: { brokers: BROKERS },
    topics: { names: topics },
    target: { host: "127.0.0.1", port: TARGET_PORT, user: "postgres", database },
    http: { enabled: false },
    log: { level: "info" },
    ...configOverride("BENCH_SINK_CONFIG"),
  });
}

function configOverride(variable: string): Record<string, unknown> {
  const text = process.env[variable];
  if (text === undefined || text === "") return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${variable} must be a JSON object of config sections, got ${text}`);
  return parsed as Record<string, unknown>;
}

export function benchTopic(sourceName: string, table: string): string {
  return tableTopic(sourceName, "bench", table);
}

/** Peak RSS and CPU seconds of one connector process over one phase. */
export interface ProcessUse {
  peakRssMb: number;
  cpuSeconds: number;
}

export function use(process: ConnectorProcess): ProcessUse {
  const { peakRssMb, cpuSeconds } = process.stats();
  return { peakRssMb, cpuSeconds };
}
