import { describe, expect, it } from "vitest";
import { HEALTHY_RUN_MS, nextStreak, retryDelayMs } from "../src/retry-streak.js";

describe("retry streak", () => {
  it("grows while sessions keep failing fast, keeping when the streak began", () => {
    let streak = nextStreak(undefined, 1_000, 1_200);
    expect(streak).toEqual({ sinceMs: 1_200, failures: 1 });
    streak = nextStreak(streak, 1_700, 1_900);
    streak = nextStreak(streak, 2_900, 3_000);
    expect(streak).toEqual({ sinceMs: 1_200, failures: 3 });
  });

  // Regression (backoff-never-reset): the attempt counter lived as long as the connector, so after
  // a handful of failures, even days apart, every later reconnect waited the longest backoff.
  it("backoff-never-reset: starts over after a session that ran healthily", () => {
    let streak: ReturnType<typeof nextStreak> | undefined;
    for (let i = 0; i < 8; i++) streak = nextStreak(streak, i * 1_000, i * 1_000 + 10);
    expect(retryDelayMs(streak?.failures ?? 0)).toBe(30_000);
    const started = 100_000;
    streak = nextStreak(streak, started, started + HEALTHY_RUN_MS + 1);
    expect(streak).toEqual({ sinceMs: started + HEALTHY_RUN_MS + 1, failures: 1 });
    expect(retryDelayMs(streak.failures)).toBe(500);
  });

  it.each([
    [1, 500],
    [2, 1_000],
    [3, 2_000],
    [6, 16_000],
    [7, 30_000],
    [50, 30_000],
  ])("waits %i failures → %i ms", (failures, delay) => {
    expect(retryDelayMs(failures)).toBe(delay);
  });
});
