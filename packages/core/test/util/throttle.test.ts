import { describe, expect, it } from "vitest";
import { TokenBucketThrottle } from "../../src/index.js";

function simulated(limits: { rowsPerSecond?: number; bytesPerSecond?: number }) {
  let t = 0;
  const throttle = new TokenBucketThrottle(
    limits,
    () => t,
    async (ms) => {
      t += ms;
    },
  );
  return { throttle, elapsed: () => t };
}

describe("TokenBucketThrottle", () => {
  it("passes everything at once when unlimited", async () => {
    const { throttle, elapsed } = simulated({ rowsPerSecond: 0 });
    for (let i = 0; i < 100; i++) await throttle.take(1_000_000, 1e9);
    expect(throttle.unlimited).toBe(true);
    expect(elapsed()).toBe(0);
  });

  it("holds the row rate over time after one second of burst", async () => {
    const { throttle, elapsed } = simulated({ rowsPerSecond: 1000 });
    for (let i = 0; i < 50; i++) await throttle.take(100);
    // 5,000 rows: the first 1,000 are the burst, 4,000 more take 4 s.
    expect(elapsed()).toBeCloseTo(4000, 0);
  });

  it("applies the tighter of rows and bytes", async () => {
    const { throttle, elapsed } = simulated({ rowsPerSecond: 1_000_000, bytesPerSecond: 1000 });
    for (let i = 0; i < 30; i++) await throttle.take(1, 100);
    expect(elapsed()).toBeCloseTo(2000, 0);
  });

  it("lets a request bigger than the bucket through and makes later ones pay for it", async () => {
    const { throttle, elapsed } = simulated({ bytesPerSecond: 1000 });
    await throttle.take(1, 5000);
    expect(elapsed()).toBe(0);
    await throttle.take(1, 1000);
    expect(elapsed()).toBeCloseTo(5000, 0);
  });
});
