import {
  createMetricsRegistry,
  isTributaryError,
  type Logger,
  runSessions,
  startMetricsServer,
} from "@tributary/core";
import type { PostgresSourceConfig } from "./config.js";
import { SourceMetrics } from "./SourceMetrics.js";
import { runSourceSession, type SourcePhase } from "./SourceSession.js";

/**
 * Runs the PostgreSQL source: sessions with fresh connections, retried with backoff while the
 * failure is retriable — lost connections for `retry.connectionMinutes`, other retriable
 * failures for `retry.otherMinutes` — and serves /metrics and /healthz meanwhile.
 */
export class PostgresSourceConnector {
  private phase: SourcePhase = "starting";
  private lastError: string | undefined;

  constructor(
    private readonly config: PostgresSourceConfig,
    private readonly logger: Logger,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    const registry = createMetricsRegistry({ connector: this.config.name });
    const metrics = new SourceMetrics(registry);
    const server = await startMetricsServer(this.config.http, {
      registry: registry,
      logger: this.logger,
      health: () => ({
        healthy: this.lastError === undefined,
        details: { phase: this.phase, ...(this.lastError ? { lastError: this.lastError } : {}) },
      }),
    });
    try {
      await this.runSessions(signal, metrics);
    } finally {
      this.phase = "stopped";
      await server?.stop();
    }
  }

  private async runSessions(signal: AbortSignal, metrics: SourceMetrics): Promise<void> {
    await runSessions({
      session: async () => {
        await runSourceSession({
          config: this.config,
          logger: this.logger,
          metrics,
          signal,
          onPhase: (phase) => {
            this.phase = phase;
            this.lastError = undefined;
          },
        });
        return "done";
      },
      retry: this.config.retry,
      signal,
      logger: this.logger,
      what: "source session",
      onFailure: (error) => {
        this.lastError = String(isTributaryError(error) ? error.message : error);
      },
    });
  }
}
