import {
  classifyError,
  createMetricsRegistry,
  isTributaryError,
  type Logger,
  MetricsServer,
  sleep,
  TributaryError,
} from "@tributary/core";
import type { PostgresSourceConfig } from "./config.js";
import { type FailureStreak, nextStreak, retryDelayMs } from "./retry-streak.js";
import { SourceMetrics } from "./SourceMetrics.js";
import { runSourceSession, type SourcePhase } from "./SourceSession.js";

const CONNECTION_CODES = new Set(["TRB_PG_UNREACHABLE", "TRB_KAFKA_UNREACHABLE"]);
const CONNECTION_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"]);

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
    const server = this.config.http.enabled
      ? new MetricsServer({
          host: this.config.http.host,
          port: this.config.http.port,
          registry,
          logger: this.logger,
          health: () => ({
            healthy: this.lastError === undefined,
            details: { phase: this.phase, ...(this.lastError ? { lastError: this.lastError } : {}) },
          }),
        })
      : undefined;
    await server?.start();
    try {
      await this.runSessions(signal, metrics);
    } finally {
      this.phase = "stopped";
      await server?.stop();
    }
  }

  private async runSessions(signal: AbortSignal, metrics: SourceMetrics): Promise<void> {
    let streak: FailureStreak | undefined;
    for (;;) {
      const started = Date.now();
      try {
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
        return;
      } catch (error) {
        if (signal.aborted) return;
        const now = Date.now();
        streak = nextStreak(streak, started, now);
        const failingSince = streak.sinceMs;
        this.lastError = String(isTributaryError(error) ? error.message : error);
        const deadlineMs = this.deadlineFor(error);
        if (classifyError(error) !== "retriable") throw error;
        if (now - failingSince > deadlineMs) {
          throw new TributaryError(
            "TRB_RETRY_DEADLINE",
            `gave up after retrying for ${Math.round((now - failingSince) / 60_000)} min: ${this.lastError}`,
            { cause: error },
          );
        }
        const delay = retryDelayMs(streak.failures);
        this.logger.warn(
          { err: error, attempt: streak.failures, retryInMs: delay },
          "source session failed; retrying",
        );
        await sleep(delay, signal);
        if (signal.aborted) return;
      }
    }
  }

  private deadlineFor(error: unknown): number {
    const minutes = isConnectionLoss(error)
      ? this.config.retry.connectionMinutes
      : this.config.retry.otherMinutes;
    return minutes * 60_000;
  }
}

function isConnectionLoss(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (isTributaryError(current) && CONNECTION_CODES.has(current.code)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (CONNECTION_ERRNO.has(code) || code.startsWith("08"))) return true;
  }
  return false;
}
