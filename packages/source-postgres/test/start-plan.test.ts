import type { TributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import type { Lsn } from "../src/replication/lsn.js";
import type { SlotInfo } from "../src/slot.js";
import { planStart } from "../src/start-plan.js";
import type { SourceState } from "../src/state/SourceStateStore.js";

const slot = (over: Partial<SlotInfo> = {}): SlotInfo => ({
  name: "tributary_shop",
  active: false,
  activePid: null,
  confirmedFlushLsn: 1000n as Lsn,
  walStatus: "reserved",
  ...over,
});
const state = (over: Partial<SourceState> = {}): SourceState => ({
  slot: "tributary_shop",
  snapshot: "done",
  snapshotLsn: 500n,
  confirmedLsn: 900n,
  confirmLimit: 1000n,
  ...over,
});

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as TributaryError).code;
  }
  return "no error";
}

describe("planStart", () => {
  it.each([
    ["first start", "initial", undefined, undefined, { action: "snapshot", dropSlot: false }],
    [
      "unfinished snapshot",
      "initial",
      slot(),
      state({ snapshot: "running" }),
      { action: "snapshot", dropSlot: true },
    ],
    ["restart after snapshot", "initial", slot(), state(), { action: "stream" }],
    ["never without slot", "never", undefined, undefined, { action: "create-slot" }],
    ["never with slot", "never", slot(), undefined, { action: "stream" }],
    [
      "initial_only first start",
      "initial_only",
      undefined,
      undefined,
      { action: "snapshot", dropSlot: false },
    ],
    ["when_needed, slot gone", "when_needed", undefined, state(), { action: "snapshot", dropSlot: false }],
    [
      "when_needed, slot lost",
      "when_needed",
      slot({ walStatus: "lost" }),
      state(),
      { action: "snapshot", dropSlot: true },
    ],
    ["when_needed, healthy", "when_needed", slot(), state(), { action: "stream" }],
    [
      "slot behind its recorded limit (stopped between record and confirmation)",
      "initial",
      slot({ confirmedFlushLsn: 950n as Lsn }),
      state(),
      { action: "stream" },
    ],
    [
      "a record from before limits were kept",
      "initial",
      slot({ confirmedFlushLsn: 5000n as Lsn }),
      state({ confirmLimit: null }),
      { action: "stream" },
    ],
    [
      "when_needed, slot created again",
      "when_needed",
      slot({ confirmedFlushLsn: 5000n as Lsn }),
      state(),
      { action: "snapshot", dropSlot: true },
    ],
  ] as const)("%s", (_, mode, currentSlot, currentState, expected) => {
    expect(planStart(mode, "tributary_shop", currentSlot, currentState)).toMatchObject(expected);
  });

  it.each([
    ["a slot dropped after streaming", slot, undefined, "TRB_PG_SLOT_MISSING"],
    ["an invalidated slot", () => slot({ walStatus: "lost" }), slot(), "TRB_PG_SLOT_LOST"],
    [
      "a slot created again behind what was confirmed",
      () => slot({ confirmedFlushLsn: 100n as Lsn }),
      slot(),
      "TRB_PG_SLOT_RECREATED",
    ],
    [
      "a slot created again ahead of the recorded confirmation limit",
      () => slot({ confirmedFlushLsn: 1001n as Lsn }),
      slot(),
      "TRB_PG_SLOT_RECREATED",
    ],
  ])("refuses %s instead of streaming past lost changes", (_, makeSlot, present, code) => {
    const current = present === undefined ? undefined : makeSlot();
    expect(codeOf(() => planStart("initial", "tributary_shop", current, state()))).toBe(code);
  });

  it("refuses a slot held by another process, as retriable", () => {
    const error = (() => {
      try {
        planStart("initial", "tributary_shop", slot({ active: true, activePid: 4242 }), state());
      } catch (e) {
        return e as TributaryError;
      }
      throw new Error("expected an error");
    })();
    expect(error.code).toBe("TRB_PG_SLOT_ACTIVE");
    expect(error.retriable).toBe(true);
    expect(error.message).toContain("process 4242");
  });

  it("refuses a re-created slot under snapshot.mode never too", () => {
    const ahead = slot({ confirmedFlushLsn: 2000n as Lsn });
    expect(codeOf(() => planStart("never", "tributary_shop", ahead, state()))).toBe("TRB_PG_SLOT_RECREATED");
  });
});
