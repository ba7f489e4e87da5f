/**
 * Helpers for tests that run the PostgreSQL source in this process against the local stack:
 * a config for a scratch database, the running connector, and waiting for its topics.
 */
import { createLogger, type Envelope } from "@tributary/core";
import { deleteTopics, topicsOf, waitForTopics } from "../../../../test/support/kafka.js";
import type { RecordedEvent } from "../../../../test/support/RecordCollector.js";
import {
  type PostgresSourceConfig,
  PostgresSourceConnector,
  postgresSourceConfigSchema,
  releaseSource,
} from "../../src/index.js";

export const testLogger = createLogger({ level: process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "warn" });

/**
 * A config for `database` named `prefix` (so topics are `<prefix>.<schema>.<table>`), capturing
 * `shop.*` but `shop.secret` and `shop.orders.note`; `overrides` replace whole top-level fields.
 */
export function sourceConfig(
  database: string,
  prefix: string,
  overrides: Record<string, unknown> = {},
): PostgresSourceConfig {
  return postgresSourceConfigSchema.parse({
    connector: "postgres-source",
    name: prefix,
    postgres: { host: "127.0.0.1", port: 5432, user: "postgres", database },
    kafka: { brokers: ["127.0.0.1:9092"] },
    tables: { include: ["shop.*"], exclude: ["shop.secret"], excludeColumns: ["shop.orders.note"] },
    snapshot: { workers: 2, chunkRows: 1000, fetchRows: 500 },
    heartbeat: { intervalMs: 300 },
    streaming: { flushIntervalMs: 20 },
    http: { enabled: false },
    ...overrides,
  });
}

export interface RunningConnector {
  /** Aborts the connector and waits until it has stopped. */
  stop(): Promise<void>;
  /** Resolves with `waiting`, or rejects as soon as the connector stops on its own. */
  until<T>(waiting: Promise<T>): Promise<T>;
  /** Settles when the connector's run ends, by itself or after `stop()`. */
  readonly done: Promise<void>;
}

/** Runs the connector in this process until `stop()`. */
export function startConnector(config: PostgresSourceConfig): RunningConnector {
  const controller = new AbortController();
  const done = new PostgresSourceConnector(config, testLogger).run(controller.signal);
  done.catch(() => undefined);
  const stoppedEarly = done.then(() => {
    if (!controller.signal.aborted) throw new Error("the connector stopped by itself");
    return new Promise<never>(() => undefined);
  });
  stoppedEarly.catch(() => undefined);
  return {
    done,
    until: (waiting) => Promise.race([waiting, stoppedEarly]),
    async stop() {
      controller.abort();
      await done;
    },
  };
}

export function envelopeAt(events: RecordedEvent[], index: number): Envelope {
  const envelope = events[index]?.value;
  if (!envelope) throw new Error(`no event (or a tombstone) at ${index}`);
  return envelope;
}

/**
 * What a test leaves behind: the slot, publication and helper objects of `config` (released with
 * force), the database (dropped with FORCE) and every topic under the config's prefix.
 */
export async function cleanUpSource(
  config: PostgresSourceConfig,
  db: { drop(): Promise<void> } | undefined,
): Promise<void> {
  try {
    await releaseSource(config, { force: true });
  } finally {
    await db?.drop();
    await deleteTopics(await topicsOf(config.topicPrefix));
  }
}

export { topicsOf, waitForTopics };
