import { describe, expect, it } from "vitest";
import type { Lsn } from "../../src/replication/lsn.js";
import { ConfirmGate } from "../../src/streaming/ConfirmGate.js";

function gateWith(options: { limit?: bigint; failRecord?: boolean } = {}) {
  const log: string[] = [];
  let clock = 0;
  const gate = new ConfirmGate({
    limit: (options.limit ?? 100n) as Lsn,
    minRecordIntervalMs: 1000,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
      log.push(`sleep ${ms}`);
    },
    recordLimit: async (limit) => {
      if (options.failRecord) throw new Error("kafka is down");
      log.push(`record ${limit}`);
    },
    confirm: async (lsn) => {
      log.push(`confirm ${lsn}`);
    },
  });
  return { gate, log, tick: (ms: number) => (clock += ms) };
}

describe("ConfirmGate", () => {
  it("records a new limit before it confirms past the old one", async () => {
    const { gate, log } = gateWith();
    gate.durable(150n as Lsn);
    await gate.settle();
    expect(log).toEqual(["record 150", "confirm 150"]);
    expect(gate.recordedLimit).toBe(150n);
  });

  it("confirms up to the recorded limit without recording again", async () => {
    const { gate, log } = gateWith({ limit: 300n });
    gate.durable(200n as Lsn);
    await gate.settle();
    expect(log).toEqual(["confirm 200"]);
  });

  it("records at most once per interval, coalescing what became durable meanwhile", async () => {
    const { gate, log, tick } = gateWith();
    gate.durable(150n as Lsn);
    await gate.settle();
    tick(200);
    gate.durable(160n as Lsn);
    gate.durable(170n as Lsn);
    await gate.settle();
    expect(log).toEqual(["record 150", "confirm 150", "sleep 800", "record 170", "confirm 170"]);
  });

  it("fails, confirming nothing, when the limit cannot be recorded", async () => {
    const { gate, log } = gateWith({ failRecord: true });
    gate.durable(150n as Lsn);
    await expect(gate.failed).rejects.toThrow("kafka is down");
    await expect(gate.settle()).rejects.toThrow("kafka is down");
    expect(log).toEqual([]);
  });
});
