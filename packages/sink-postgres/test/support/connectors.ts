/**
 * Runs connectors in this process for end-to-end tests: the PostgreSQL source (a test-only
 * import by path: the sink package never depends on the source) and the sink, each until
 * `stop()`.
 */
import { createLogger } from "@tributary/core";
import { Registry } from "prom-client";
import { testKafka } from "../../../../test/support/kafka.js";
import {
  type PostgresSourceConfig,
  PostgresSourceConnector,
  postgresSourceConfigSchema,
} from "../../../source-postgres/src/index.js";
import { type PostgresSinkConfig, PostgresSinkConnector, postgresSinkConfigSchema } from "../../src/index.js";

export const testLogger = createLogger({ level: process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "warn" });

export interface Running {
  /** Aborts the connector and waits until it has stopped. */
  stop(): Promise<void>;
  /** Resolves with `waiting`, or rejects as soon as the connector stops on its own. */
  until<T>(waiting: Promise<T>): Promise<T>;
}

function running(run: (signal: AbortSignal) => Promise<void>, what: string): Running {
  const controller = new AbortController();
  const done = run(controller.signal);
  done.catch(() => undefined);
  const stoppedEarly = done.then(() => {
    if (!controller.signal.aborted) throw new Error(`the ${what} stopped by itself`);
    return new Promise<never>(() => undefined);
  });
  stoppedEarly.catch(() => undefined);
  return {
    until: (waiting) => Promise.race([waiting, stoppedEarly]),
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/**
 * The settings of a source capturing schema `shop` of `database` on 5432 under topic prefix
 * `prefix`, as a config file holds them (the CLI tests write them to one).
 */
export function sourceSettings(
  database: string,
  prefix: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    connector: "postgres-source",
    name: prefix,
    postgres: { host: "127.0.0.1", port: 5432, user: "postgres", database },
    kafka: { brokers: testKafka.brokers },
    tables: { include: ["shop.*"] },
    heartbeat: { intervalMs: 500 },
    streaming: { flushIntervalMs: 20 },
    http: { enabled: false },
    ...overrides,
  };
}

/** The source of `sourceSettings`, publishing as `origin`, with a snapshot in chunks on two workers. */
export function sourceConfig(database: string, prefix: string, origin: string): PostgresSourceConfig {
  return postgresSourceConfigSchema.parse(
    sourceSettings(database, prefix, {
      origin,
      snapshot: { workers: 2, chunkRows: 1000, fetchRows: 500 },
    }),
  );
}

/**
 * The settings of a sink named `name` applying every table topic under `prefix` to `database`
 * on 5433, as a config file holds them.
 */
export function sinkSettings(
  name: string,
  prefix: string,
  database: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    connector: "postgres-sink",
    name,
    kafka: { brokers: testKafka.brokers },
    topics: { pattern: `^${prefix.replaceAll(".", "\\.")}\\.` },
    target: { host: "127.0.0.1", port: 5433, user: "postgres", database },
    batch: { maxWaitMs: 20, copyThreshold: 50 },
    http: { enabled: false },
    ...overrides,
  };
}

/** The sink of `sinkSettings`. */
export function sinkConfig(
  name: string,
  prefix: string,
  database: string,
  overrides: Record<string, unknown> = {},
): PostgresSinkConfig {
  return postgresSinkConfigSchema.parse(sinkSettings(name, prefix, database, overrides));
}

export function startSource(config: PostgresSourceConfig): Running {
  const connector = new PostgresSourceConnector(config, testLogger);
  return running((signal) => connector.run(signal), "source");
}

/** A sink started by `startSink`, with the registry of its metrics. */
export type RunningSink = Running & { registry: Registry };

/** The sink (by default the PostgreSQL one; a dialect package's connector class otherwise) and its metrics' registry. */
export function startSink(
  config: PostgresSinkConfig,
  Connector: typeof PostgresSinkConnector = PostgresSinkConnector,
): RunningSink {
  const registry = new Registry();
  const connector = new Connector(config, testLogger, registry);
  return { ...running((signal) => connector.run(signal), "sink"), registry };
}

/** The current value of a counter or gauge, summed over its labels. */
export async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.reduce((sum, sample) => sum + sample.value, 0);
}

export { topicsOf, waitForTopics } from "../../../../test/support/kafka.js";
