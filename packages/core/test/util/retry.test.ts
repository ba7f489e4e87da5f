import { describe, expect, it } from "vitest";
import { classifyError, retry, TributaryError } from "../../src/index.js";

function fakeClock() {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    wait: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
  };
}

const transient = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

describe("retry", () => {
  it("retries retriable failures with growing, capped delays until success", async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 6) throw transient();
        return "done";
      },
      { deadlineMs: 60_000, initialDelayMs: 100, maxDelayMs: 1_000, random: () => 1, ...clock },
    );
    expect(result).toBe("done");
    expect(clock.waits).toEqual([100, 200, 400, 800, 1000]);
  });

  it("does not retry a permanent error", async () => {
    let calls = 0;
    const denied = Object.assign(new Error("permission denied"), { code: "42501", severity: "ERROR" });
    await expect(
      retry(
        async () => {
          calls++;
          throw denied;
        },
        { deadlineMs: 60_000, ...fakeClock() },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it("gives up at the deadline with a coded error keeping the cause", async () => {
    const clock = fakeClock();
    const error = await retry(
      async () => {
        throw transient();
      },
      { deadlineMs: 5_000, initialDelayMs: 1_000, maxDelayMs: 1_000, random: () => 1, ...clock },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe("TRB_RETRY_DEADLINE");
    expect(((error as TributaryError).cause as Error).message).toBe("connect ECONNREFUSED");
    expect(clock.now()).toBe(5_000);
  });
});

describe("classifyError", () => {
  const pg = (code: string) => Object.assign(new Error("pg"), { code, severity: "FATAL" });
  it.each([
    [pg("08006"), "retriable"],
    [pg("57P01"), "retriable"],
    [pg("40001"), "retriable"],
    [pg("53300"), "retriable"],
    [pg("28P01"), "permanent"],
    [pg("28000"), "permanent"],
    [pg("42501"), "permanent"],
    [pg("42P01"), "permanent"],
    [transient(), "retriable"],
    [Object.assign(new Error("kafka"), { retriable: true }), "retriable"],
    [new TributaryError("TRB_KAFKA", "x", { retriable: false }), "permanent"],
    [new Error("plain"), "unknown"],
    [new TributaryError("TRB_KAFKA", "wrapper", { retriable: true, cause: pg("28P01") }), "retriable"],
    [new Error("wrapper", { cause: pg("28P01") }), "permanent"],
  ] as const)("%s → %s", (error, verdict) => {
    expect(classifyError(error)).toBe(verdict);
  });
});
