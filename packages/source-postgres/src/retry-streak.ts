/** A session that ran this long before failing starts a new failure streak (and deadline). */
export const HEALTHY_RUN_MS = 60_000;

/** Consecutive failed sessions: since when, and how many. */
export interface FailureStreak {
  sinceMs: number;
  failures: number;
}

/**
 * The streak after a session that started at `startedMs` failed at `nowMs`: the same streak one
 * longer, or a new one when the session had run healthily (or there was none). The backoff and the
 * retry deadline both count from the streak, so a blip a day after the last one is retried at
 * once again instead of after the longest backoff.
 */
export function nextStreak(
  streak: FailureStreak | undefined,
  startedMs: number,
  nowMs: number,
): FailureStreak {
  if (streak === undefined || nowMs - startedMs > HEALTHY_RUN_MS) return { sinceMs: nowMs, failures: 1 };
  return { sinceMs: streak.sinceMs, failures: streak.failures + 1 };
}

/** 0.5 s, 1 s, 2 s … up to 30 s before the next attempt of a streak. */
export function retryDelayMs(failures: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(Math.max(failures, 1) - 1, 6));
}
