import type { Envelope, Row } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { type BatchRecord, keyIdentity, reduceBatch } from "../../src/batch-reduction.js";
import type { ConflictPolicy } from "../../src/conflicts/conflict-config.js";
import {
  type ConflictKind,
  type ConflictResolution,
  type ExistingRow,
  keysToLookUp,
  resolutionOf,
  resolveConflicts,
} from "../../src/conflicts/conflict-resolution.js";
import { envelope } from "../support/models.js";

let offset = 0n;
/** `commitMs`: the event's source commit time. */
function record(key: Row | null, value: Envelope | null, commitMs: bigint | null = 1_000n): BatchRecord {
  offset += 1n;
  if (value !== null) value.source.commitTsMs = commitMs;
  return { key, value, offset };
}

const KEY = ["id"];
const row = (id: number, name = `n${id}`): Row => ({ id, name });
const c = (id: number, name?: string, commitMs?: bigint | null) =>
  record({ id }, envelope("c", null, row(id, name)), commitMs);
const u = (id: number, name?: string) => record({ id }, envelope("u", null, row(id, name)));
const uToast = (id: number) => record({ id }, envelope("u", null, { id, name: null }, ["name"]));
const d = (id: number) => record({ id }, envelope("d", { id, name: null }, null));
const t = () => record(null, envelope("t", null, null));
const keyChange = (from: number, to: number) => record({ id: to }, envelope("u", row(from), row(to)));
const snapshot = (id: number, readAtMs: bigint) => {
  const value = envelope("r", null, row(id));
  value.ts_ms = readAtMs;
  return record({ id }, value, null);
};

/** Target rows by id, each with the commit time of its last change in ms (null: unknown). */
function target(rows: Record<number, bigint | null>): Map<string, ExistingRow> {
  return new Map(
    Object.entries(rows).map(([id, ms]) => [
      keyIdentity({ id: Number(id) }, KEY),
      { commitTsUs: ms === null ? null : ms * 1000n + 999n },
    ]),
  );
}

type Summary = [number, ConflictKind, ConflictResolution];

function run(records: BatchRecord[], existing: Map<string, ExistingRow>, policy: ConflictPolicy) {
  const outcome = resolveConflicts(records, KEY, existing, policy);
  return {
    offsets: outcome.records.map((r) => records.indexOf(r)),
    conflicts: outcome.conflicts.map((x): Summary => [x.key.id as number, x.kind, x.resolution]),
    failed: outcome.failure === undefined ? undefined : records.indexOf(outcome.failure.record),
    outcome,
  };
}

describe("resolveConflicts: under a row filter a missing row is expected", () => {
  const filtered = (made: BatchRecord): BatchRecord => ({ ...made, mayBeMissing: true });

  it("a delete of a missing row is skipped, and no conflict", () => {
    expect(run([filtered(d(1))], target({}), "fail")).toMatchObject({
      offsets: [],
      conflicts: [],
      failed: undefined,
    });
  });

  it("an update of a missing row moved into the filter: applied as an insert, even under ignore", () => {
    expect(run([filtered(u(1))], target({}), "ignore")).toMatchObject({ offsets: [0], conflicts: [] });
  });

  it("an update leaving TOAST columns unchanged still cannot be inserted: recorded and skipped", () => {
    expect(run([filtered(uToast(1))], target({}), "overwrite")).toMatchObject({
      offsets: [],
      conflicts: [[1, "update_missing", "skipped"]],
    });
  });

  it("rows the target holds are updated and deleted as usual", () => {
    expect(run([filtered(u(1)), filtered(d(2))], target({ 1: 5n, 2: 5n }), "fail")).toMatchObject({
      offsets: [0, 1],
      conflicts: [],
    });
  });

  it("an insert of an existing key is still a conflict", () => {
    expect(run([filtered(c(1))], target({ 1: 5n }), "ignore")).toMatchObject({
      conflicts: [[1, "insert_exists", "skipped"]],
    });
  });
});

describe("resolveConflicts: one change per key against the target before the batch", () => {
  const none = target({});
  const held = target({ 1: 500n });
  it.each<[string, () => BatchRecord, Map<string, ExistingRow>, ConflictPolicy, Summary[], boolean]>([
    ["insert of a new key", () => c(1), none, "fail", [], true],
    ["update of a held row", () => u(1), held, "fail", [], true],
    ["delete of a held row", () => d(1), held, "fail", [], true],
    ["insert of a held key, ignore", () => c(1), held, "ignore", [[1, "insert_exists", "skipped"]], false],
    [
      "insert of a held key, overwrite",
      () => c(1),
      held,
      "overwrite",
      [[1, "insert_exists", "applied"]],
      true,
    ],
    [
      "insert of a held key, newer (incoming later)",
      () => c(1),
      held,
      "newer",
      [[1, "insert_exists", "applied"]],
      true,
    ],
    [
      "update of a missing row, ignore",
      () => u(1),
      none,
      "ignore",
      [[1, "update_missing", "skipped"]],
      false,
    ],
    [
      "update of a missing row, overwrite: insert",
      () => u(1),
      none,
      "overwrite",
      [[1, "update_missing", "applied"]],
      true,
    ],
    [
      "update of a missing row, newer: insert",
      () => u(1),
      none,
      "newer",
      [[1, "update_missing", "applied"]],
      true,
    ],
    [
      "update with unchanged columns of a missing row cannot insert",
      () => uToast(1),
      none,
      "overwrite",
      [[1, "update_missing", "skipped"]],
      false,
    ],
    [
      "delete of a missing row, ignore",
      () => d(1),
      none,
      "ignore",
      [[1, "delete_missing", "skipped"]],
      false,
    ],
    [
      "delete of a missing row, overwrite",
      () => d(1),
      none,
      "overwrite",
      [[1, "delete_missing", "skipped"]],
      false,
    ],
    [
      "delete of a missing row, fail: recorded, never stops",
      () => d(1),
      none,
      "fail",
      [[1, "delete_missing", "skipped"]],
      false,
    ],
  ])("%s", (_, make, existing, policy, conflicts, applied) => {
    const records = [make()];
    const result = run(records, existing, policy);
    expect(result.conflicts).toEqual(conflicts);
    expect(result.offsets).toEqual(applied ? [0] : []);
    expect(result.failed).toBeUndefined();
  });

  it.each<[string, () => BatchRecord, Map<string, ExistingRow>, ConflictKind]>([
    ["insert of a held key", () => c(1), held, "insert_exists"],
    ["update of a missing row", () => u(1), none, "update_missing"],
  ])("fail stops at %s, keeping only the events before it", (_, make, existing, kind) => {
    const records = [c(7), make(), c(8)];
    const result = run(records, existing, "fail");
    expect(result.failed).toBe(1);
    expect(result.conflicts).toEqual([[1, kind, "failed"]]);
    expect(result.offsets).toEqual([0]);
  });
});

describe("resolveConflicts: later changes of a key are judged against the state the earlier ones left", () => {
  it.each<[string, BatchRecord[], Record<number, bigint | null>, ConflictPolicy, Summary[], number[]]>([
    ["insert then update of a new key: no conflict", [c(1), u(1)], {}, "fail", [], [0, 1]],
    [
      "insert then delete of a held key: the delete still applies",
      [c(1), d(1)],
      { 1: 0n },
      "ignore",
      [[1, "insert_exists", "skipped"]],
      [1],
    ],
    [
      "insert of a held key kept, the later update applies",
      [c(1), u(1, "x")],
      { 1: 0n },
      "ignore",
      [[1, "insert_exists", "skipped"]],
      [1],
    ],
    [
      "a skipped update leaves the row missing: the next update conflicts too",
      [u(1), u(1, "x")],
      {},
      "ignore",
      [
        [1, "update_missing", "skipped"],
        [1, "update_missing", "skipped"],
      ],
      [],
    ],
    [
      "an applied update of a missing row makes it exist",
      [u(1), u(1, "x"), d(1)],
      {},
      "overwrite",
      [[1, "update_missing", "applied"]],
      [0, 1, 2],
    ],
    [
      "a delete of a missing row, then an insert",
      [d(1), c(1)],
      {},
      "fail",
      [[1, "delete_missing", "skipped"]],
      [1],
    ],
    [
      "delete, insert, insert again: the second insert meets the batch's own row",
      [d(1), c(1), c(1, "y")],
      { 1: 0n },
      "ignore",
      [[1, "insert_exists", "skipped"]],
      [0, 1],
    ],
    [
      "after a truncate nothing conflicts with the rows before it",
      [t(), c(1), d(2)],
      { 1: 0n, 2: 0n },
      "fail",
      [[2, "delete_missing", "skipped"]],
      [0, 1],
    ],
    [
      "keys are independent",
      [c(1), c(2), d(3)],
      { 2: 0n },
      "overwrite",
      [
        [2, "insert_exists", "applied"],
        [3, "delete_missing", "skipped"],
      ],
      [0, 1],
    ],
  ])("%s", (_, records, rows, policy, conflicts, applied) => {
    const result = run(records, target(rows), policy);
    expect(result.conflicts).toEqual(conflicts);
    expect(result.offsets).toEqual(applied);
  });

  it("the kept events reduce to what applying every event one at a time would leave", () => {
    const records = [c(1, "theirs"), u(1, "later"), u(2, "x"), c(3)];
    const result = run(records, target({ 1: 0n }), "ignore");
    expect(reduceBatch(result.outcome.records, KEY)).toEqual([
      { kind: "upsert", rows: [row(1, "later"), row(3)], unchanged: [] },
    ]);
  });
});

describe("resolveConflicts: a key change is an update of the old key and an insert of the new one", () => {
  it("applies as one update when the old row exists and the new key is free", () => {
    const records = [keyChange(1, 2)];
    const result = run(records, target({ 1: 0n }), "fail");
    expect(result.conflicts).toEqual([]);
    expect(result.outcome.records).toEqual(records);
  });

  it("ignore drops the whole update when the old row is missing", () => {
    const result = run([keyChange(1, 2)], target({}), "ignore");
    expect(result.conflicts).toEqual([[1, "update_missing", "skipped"]]);
    expect(result.offsets).toEqual([]);
  });

  it("overwrite inserts the row under its new key when the old row is missing", () => {
    const records = [keyChange(1, 2)];
    const result = run(records, target({}), "overwrite");
    expect(result.conflicts).toEqual([[1, "update_missing", "applied"]]);
    expect(reduceBatch(result.outcome.records, KEY)).toEqual([
      { kind: "delete", keys: [{ id: 1 }] },
      { kind: "upsert", rows: [row(2)], unchanged: [] },
    ]);
  });

  it("ignore keeps a row that holds the new key, deleting only the old one", () => {
    const result = run([keyChange(1, 2)], target({ 1: 0n, 2: 0n }), "ignore");
    expect(result.conflicts).toEqual([[2, "insert_exists", "skipped"]]);
    expect(reduceBatch(result.outcome.records, KEY)).toEqual([{ kind: "delete", keys: [{ id: 1 }] }]);
  });

  it("fail stops at a row that holds the new key", () => {
    const result = run([keyChange(1, 2)], target({ 1: 0n, 2: 0n }), "fail");
    expect(result.failed).toBe(0);
    expect(result.conflicts).toEqual([[2, "insert_exists", "failed"]]);
  });
});

describe("resolveConflicts: newer", () => {
  it.each<[string, bigint | null, bigint | null, ConflictResolution]>([
    ["incoming committed after the target row: applied", 2_000n, 1_999n, "applied"],
    ["incoming committed before the target row: kept", 1_000n, 1_500n, "skipped"],
    ["same millisecond: the target row is kept", 1_500n, 1_500n, "skipped"],
    ["target time unknown (row older than tracking): applied", 1_000n, null, "applied"],
    ["incoming time unknown: kept", null, 1_000n, "skipped"],
  ])("%s", (_, incomingMs, targetMs, resolution) => {
    const result = run([c(1, "x", incomingMs)], target({ 1: targetMs }), "newer");
    expect(result.conflicts).toEqual([[1, "insert_exists", resolution]]);
    expect(result.outcome.conflicts[0]?.incomingTsMs).toBe(incomingMs);
    expect(result.outcome.conflicts[0]?.targetCommitTsUs).toBe(
      targetMs === null ? null : targetMs * 1000n + 999n,
    );
  });

  it("a snapshot read, which has no commit time, compares the time it was read", () => {
    expect(run([snapshot(1, 3_000n)], target({ 1: 2_000n }), "newer").conflicts).toEqual([
      [1, "insert_exists", "applied"],
    ]);
    expect(run([snapshot(1, 1_000n)], target({ 1: 2_000n }), "newer").conflicts).toEqual([
      [1, "insert_exists", "skipped"],
    ]);
  });

  it("a row written earlier in the batch is older than any later change of the batch", () => {
    expect(
      resolutionOf("insert_exists", "newer", {
        incomingTsMs: 1n,
        targetCommitTsUs: null,
        writtenInBatch: true,
        unchanged: false,
      }),
    ).toBe("applied");
  });
});

describe("keysToLookUp", () => {
  it("lists each key once, old keys of key changes too, and none after a truncate", () => {
    const keys = keysToLookUp([c(1), u(1), keyChange(2, 3), d(4), t(), c(5)], KEY);
    expect(keys).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
  });

  it("takes the key from the Kafka key, or else from the row image", () => {
    const fromImage = record(null, envelope("c", null, row(9)));
    expect(keysToLookUp([fromImage], KEY)).toEqual([{ id: 9 }]);
  });
});
