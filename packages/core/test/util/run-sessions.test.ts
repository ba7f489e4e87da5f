import { describe, expect, it } from "vitest";
import { createLogger, runSessions, type SessionEnd, TributaryError } from "../../src/index.js";

const logger = createLogger({ level: "silent" });
const retry = { connectionMinutes: 10, otherMinutes: 1 };

/** A clock that moves only when the loop waits or a session says it ran for a while. */
function fakeClock() {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    wait: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
  };
}

const lost = () => new TributaryError("TRB_SINK_TARGET_UNREACHABLE", "gone", { retriable: true });
const flaky = () => new TributaryError("TRB_KAFKA", "rebalancing", { retriable: true });

describe("runSessions", () => {
  it("retries failed sessions with growing delays and stops when one is done", async () => {
    const clock = fakeClock();
    const outcomes: (Error | SessionEnd)[] = [lost(), lost(), flaky(), "again", lost(), "done"];
    const failures: unknown[] = [];
    await runSessions({
      session: async () => {
        const next = outcomes.shift();
        if (next instanceof Error) throw next;
        return next ?? "done";
      },
      retry,
      signal: new AbortController().signal,
      logger,
      what: "test session",
      onFailure: (error) => failures.push(error),
      ...clock,
    });
    expect(outcomes).toEqual([]);
    expect(failures).toHaveLength(4);
    // A session that ended by itself ("again") resets the streak.
    expect(clock.waits).toEqual([500, 1000, 2000, 500]);
  });

  it("throws a permanent failure at once", async () => {
    const denied = Object.assign(new Error("permission denied"), { code: "42501", severity: "ERROR" });
    let calls = 0;
    const error = await runSessions({
      session: async () => {
        calls++;
        throw denied;
      },
      retry,
      signal: new AbortController().signal,
      logger,
      what: "test session",
      ...fakeClock(),
    }).catch((e: unknown) => e);
    expect(error).toBe(denied);
    expect(calls).toBe(1);
  });

  it.each([
    ["a lost connection", lost, 10],
    ["another retriable failure", flaky, 1],
  ])("gives up on %s after its deadline in minutes", async (_, failure, minutes) => {
    const clock = fakeClock();
    const error = await runSessions({
      session: async () => {
        throw failure();
      },
      retry,
      signal: new AbortController().signal,
      logger,
      what: "test session",
      ...clock,
    }).catch((e: unknown) => e);
    expect((error as TributaryError).code).toBe("TRB_RETRY_DEADLINE");
    const waited = clock.waits.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThan(minutes * 60_000);
    expect(waited).toBeLessThan(minutes * 60_000 + 31_000);
  });

  it("starts a new deadline after a session that ran healthily for a while", async () => {
    const clock = fakeClock();
    let calls = 0;
    await runSessions({
      session: async () => {
        calls++;
        if (calls === 30) return "done";
        // Every fifth session runs two minutes before failing: longer than the 1 min deadline in total.
        if (calls % 5 === 0) clock.advance(120_000);
        throw flaky();
      },
      retry,
      signal: new AbortController().signal,
      logger,
      what: "test session",
      healthyRunMs: 60_000,
      ...clock,
    });
    expect(calls).toBe(30);
  });

  it("backoff-never-reset: starts the delays over after a session that ran healthily", async () => {
    const clock = fakeClock();
    let calls = 0;
    await runSessions({
      session: async () => {
        calls++;
        if (calls === 6) return "done";
        if (calls === 4) clock.advance(120_000);
        throw flaky();
      },
      retry,
      signal: new AbortController().signal,
      logger,
      what: "test session",
      healthyRunMs: 60_000,
      ...clock,
    });
    expect(clock.waits).toEqual([500, 1_000, 2_000, 500, 1_000]);
  });

  it("returns when the signal aborts, even from a failing session", async () => {
    const controller = new AbortController();
    await runSessions({
      session: async () => {
        controller.abort();
        throw lost();
      },
      retry,
      signal: controller.signal,
      logger,
      what: "test session",
      ...fakeClock(),
    });
  });
});
