import { isRetriable } from "../errors/retriable.js";
import { TributaryError } from "../errors/TributaryError.js";
import { sleep } from "./sleep.js";

export interface RetryOptions {
  /** Give up once this many milliseconds have passed since the first attempt. */
  deadlineMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Defaults to the cause-chain classification of `isRetriable`. */
  shouldRetry?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  /** For tests: the clock and the wait. */
  now?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, a permanent error occurs, or the deadline passes.
 * Delays grow exponentially with full jitter, capped at `maxDelayMs`.
 */
export async function retry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const wait = options.wait ?? sleep;
  const random = options.random ?? Math.random;
  const shouldRetry = options.shouldRetry ?? isRetriable;
  const initial = options.initialDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 30_000;
  const started = now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!shouldRetry(error) || options.signal?.aborted) throw error;
      const remaining = started + options.deadlineMs - now();
      if (remaining <= 0) {
        throw new TributaryError(
          "TRB_RETRY_DEADLINE",
          `gave up after ${n} attempts over ${Math.round((now() - started) / 1000)} s: ${String(error)}`,
          { cause: error, details: { attempts: n } },
        );
      }
      const ceiling = Math.min(cap, initial * 2 ** Math.min(n - 1, 30));
      const delay = Math.min(remaining, Math.max(1, Math.round(random() * ceiling)));
      options.onRetry?.(error, n, delay);
      await wait(delay, options.signal);
    }
  }
}
