import {
  createMetricsRegistry,
  isTributaryError,
  type Logger,
  runSessions,
  startMetricsServer,
  TributaryError,
} from "@tributary/core";
import type { Registry } from "prom-client";
import type { PostgresSinkConfig } from "./config.js";
import { SinkMetrics } from "./SinkMetrics.js";
import { runSinkSession, type SinkPhase } from "./SinkSession.js";
import { postgresSinkDialect, type SinkDialect } from "./target/sink-dialect.js";

/**
 * Runs a PostgreSQL-family sink: sessions with fresh connections, retried with backoff while
 * the failure is retriable — a lost target or Kafka connection for `retry.connectionMinutes`,
 * other retriable failures for `retry.otherMinutes`; authentication and privilege errors are
 * not retried — and serves /metrics and /healthz meanwhile. Aborting the signal stops it after
 * the transaction in progress, with the Kafka offsets of what the target holds committed.
 */
export class PostgresSinkConnector {
  private phase: SinkPhase = "starting";
  private lastError: string | undefined;
  private readonly metrics: SinkMetrics;

  constructor(
    private readonly config: PostgresSinkConfig,
    private readonly logger: Logger,
    /** Where the metrics are registered (default: a registry of their own, with the process metrics). */
    private readonly registry: Registry = createMetricsRegistry({ connector: config.name }),
    /** The target's dialect; PolarDB's and AnalyticDB's come from their own packages. */
    private readonly sinkDialect: SinkDialect = postgresSinkDialect,
  ) {
    if (sinkDialect.connector !== config.connector) {
      throw new TributaryError(
        "TRB_CFG_INVALID",
        `the config names connector: ${config.connector}, but the sink was started with the ${sinkDialect.connector} ` +
          "dialect; start it through the `tributary sink` command, or with the connector class of the package for " +
          `${config.connector}`,
        { details: { connector: config.connector, dialect: sinkDialect.connector } },
      );
    }
    this.metrics = new SinkMetrics(registry);
  }

  async run(signal: AbortSignal): Promise<void> {
    const server = await startMetricsServer(this.config.http, {
      registry: this.registry,
      logger: this.logger,
      health: () => ({
        healthy: this.lastError === undefined,
        details: { phase: this.phase, ...(this.lastError ? { lastError: this.lastError } : {}) },
      }),
    });
    try {
      await runSessions({
        session: () =>
          runSinkSession({
            config: this.config,
            sinkDialect: this.sinkDialect,
            logger: this.logger,
            metrics: this.metrics,
            signal,
            onPhase: (phase) => {
              this.phase = phase;
              if (phase === "applying") this.lastError = undefined;
            },
          }),
        retry: this.config.retry,
        signal,
        logger: this.logger,
        what: "sink session",
        onFailure: (error) => {
          this.lastError = isTributaryError(error) ? error.message : String(error);
        },
      });
    } finally {
      this.phase = "stopped";
      await server?.stop();
    }
  }
}
