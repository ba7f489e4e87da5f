import type { RetryConfig } from "../config/common-schema.js";
import { classifyError, isConnectionLoss } from "../errors/retriable.js";
import { TributaryError } from "../errors/TributaryError.js";
import type { Logger } from "../observability/logger.js";
import { sleep } from "./sleep.js";

/** How a session ended without failing: `done` stops the loop, `again` starts a new session at once. */
export type SessionEnd = "done" | "again";

export interface RunSessionsOptions {
  /** One run with fresh connections, until the signal aborts, it is done, or it fails. */
  session: () => Promise<SessionEnd>;
  retry: RetryConfig;
  signal: AbortSignal;
  logger: Logger;
  /** Names the session in log lines, e.g. "sink session". */
  what: string;
  /** Called with each failure before it is retried or thrown. */
  onFailure?: (error: unknown) => void;
  /** A session that ran this long before failing starts a new failure streak (and deadline). */
  healthyRunMs?: number;
  /** For tests: the clock and the wait. */
  now?: () => number;
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The connector's outer loop: runs sessions one after another, each with fresh connections,
 * retrying a failed one with backoff while the failure is retriable — lost connections for
 * `retry.connectionMinutes`, other failures for `retry.otherMinutes`, counted from the first
 * failure of a streak. A permanent failure (authentication, privilege) is thrown at once.
 * Resolves when a session is done or the signal aborts.
 */
export async function runSessions(options: RunSessionsOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const wait = options.wait ?? sleep;
  const healthyRunMs = options.healthyRunMs ?? 60_000;
  const { signal } = options;
  let failingSince: number | undefined;
  let failures = 0;
  while (!signal.aborted) {
    const started = now();
    try {
      if ((await options.session()) === "done") return;
      failures = 0;
      failingSince = undefined;
    } catch (error) {
      if (signal.aborted) return;
      options.onFailure?.(error);
      const failedAt = now();
      if (failingSince === undefined || failedAt - started > healthyRunMs) {
        failingSince = failedAt;
        failures = 0;
      }
      failures++;
      if (classifyError(error) !== "retriable") throw error;
      const minutes = isConnectionLoss(error) ? options.retry.connectionMinutes : options.retry.otherMinutes;
      if (failedAt - failingSince > minutes * 60_000) {
        throw new TributaryError(
          "TRB_RETRY_DEADLINE",
          `gave up after retrying for ${Math.round((failedAt - failingSince) / 60_000)} min: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6));
      options.logger.warn(
        { err: error, attempt: failures, retryInMs: delay },
        `${options.what} failed; retrying`,
      );
      await wait(delay, signal);
    }
  }
}
