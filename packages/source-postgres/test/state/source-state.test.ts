import { describe, expect, it } from "vitest";
import type { Lsn } from "../../src/replication/lsn.js";
import { decodeSourceState, encodeSourceState, type SourceState } from "../../src/state/SourceStateStore.js";

const streaming: SourceState = {
  slot: "tributary_shop",
  snapshot: "done",
  snapshotLsn: 100n as Lsn,
  confirmedLsn: 250n as Lsn,
  confirmLimit: 300n as Lsn,
};

describe("the source's state record", () => {
  it("reads back the captured tables and the progress of the tables being read", () => {
    const state: SourceState = {
      ...streaming,
      capture: {
        tables: [16384, 16390],
        backfills: [
          { oid: 16390, after: ["42", "b"] },
          { oid: 16400, after: null },
        ],
      },
    };
    expect(decodeSourceState(encodeSourceState(state))).toEqual(state);
  });

  it("reads back a state with no capture recorded (the snapshot still running) as such", () => {
    const state: SourceState = { ...streaming, snapshot: "running", snapshotLsn: null, confirmedLsn: null };
    const decoded = decodeSourceState(encodeSourceState(state));
    expect(decoded).toEqual(state);
    expect("capture" in decoded).toBe(false);
  });

  it("reads a record of a version before confirmLimit and the capture", () => {
    const older = JSON.stringify({
      version: 1,
      slot: "tributary_shop",
      snapshot: "done",
      snapshotLsn: "100",
      confirmedLsn: "250",
      updatedAt: "2026-11-01T00:00:00.000Z",
    });
    expect(decodeSourceState(older)).toEqual({ ...streaming, confirmLimit: null });
  });
});
