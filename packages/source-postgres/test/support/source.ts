/**
 * Helpers for tests that run the PostgreSQL source in this process against the local stack:
 * a config for a scratch database, the running connector, and waiting for its topics.
 */
import { createLogger, type Envelope, type Logger } from "@tributary/core";
import type pg from "pg";
import { deleteTopics, topicsOf, waitForTopics } from "../../../../test/support/kafka.js";
import type { RecordCollector, RecordedEvent } from "../../../../test/support/RecordCollector.js";
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
export function startConnector(config: PostgresSourceConfig, logger: Logger = testLogger): RunningConnector {
  const controller = new AbortController();
  const done = new PostgresSourceConnector(config, logger).run(controller.signal);
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

/** What a test opened against a scratch source database; any part may be missing when its setup failed. */
export interface SourceTestParts {
  readonly connector?: RunningConnector | undefined;
  readonly collector?: RecordCollector | undefined;
  readonly sql?: pg.Client | undefined;
  readonly config?: PostgresSourceConfig | undefined;
  readonly db?: { drop(): Promise<void> } | undefined;
}

/** Stops the connector, closes the collector and the connection, then cleans up as `cleanUpSource`. */
export async function closeSourceTest({
  connector,
  collector,
  sql,
  config,
  db,
}: SourceTestParts): Promise<void> {
  await connector?.stop();
  await collector?.close();
  await sql?.end();
  if (config === undefined) await db?.drop();
  else await cleanUpSource(config, db);
}

/** Resolves once the slot of the source named `name` is active, i.e. the connector streams. */
export async function waitForStreaming(sql: pg.Client, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rowCount } = await sql.query(
      "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active",
      [`tributary_${name}`],
    );
    if (rowCount !== 0) return;
    if (Date.now() > deadline) throw new Error("the connector did not start streaming");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export { topicsOf, waitForTopics };
