/**
 * Conflict detection over one table's events of a batch (pure): which events to apply, and
 * which conflicts were found, given which of the batch's keys the target holds.
 *
 * Every change is judged as if the events were applied one at a time, whatever the batch
 * boundaries: a key's first change in the batch against the target's state before the batch
 * (one bulk look-up), every later change against the state the changes before it left. So the
 * result does not depend on how the events were batched, and the events kept go through batch
 * reduction as usual (batch-reduction.ts), which never sees a dropped one.
 *
 * - insert (`c`, `r`) of a key the target holds: `insert_exists`;
 * - update (`u`) of a missing row: `update_missing` (applied, it becomes an insert; an update
 *   with unchanged TOAST columns cannot be inserted, since their values are unknown: skipped);
 * - delete (`d`) of a missing row: `delete_missing`, skipped under every policy (there is
 *   nothing to delete, and both sides agree the row is gone) but recorded;
 * - under a row filter (`mayBeMissing`), a missing row is expected, not a conflict: an update
 *   of it is applied as an insert (it moved into the filter) and a delete of it is skipped;
 * - an update that changes the key is an update of its old key (`update_missing` when that row
 *   is missing: `ignore` then drops the whole update, other policies insert the row under its new
 *   key) followed by an insert of its new key (`insert_exists` when a row has it: the policy
 *   decides whether the new row overwrites it);
 * - a truncate empties the table: the changes after it conflict with nothing before it.
 *
 * `newer` compares the incoming source commit time (for a snapshot read, which has none, the
 * time it was read) with the commit time of the target row's last change: strictly later
 * applies it; an unknown target time (a row older than commit timestamp tracking) counts as
 * older, an unknown incoming time as not newer. A row written earlier in the same batch is
 * older than any later change of the batch (they come from one ordered stream).
 */
import type { Envelope, Row } from "@tributary/core";
import { type BatchRecord, hasKey, keyIdentity, keyOf, pickKey } from "../batch-reduction.js";
import type { ConflictPolicy } from "./conflict-config.js";

export type ConflictKind = "insert_exists" | "update_missing" | "delete_missing";
export type ConflictResolution = "applied" | "skipped" | "failed";

/** What the target holds of a key before the batch. */
export interface ExistingRow {
  /** Commit time of the row's last change on the target, in microseconds since 1970; null when unknown. */
  readonly commitTsUs: bigint | null;
}

export interface DetectedConflict<R extends BatchRecord = BatchRecord> {
  /** The incoming event (as received; for a key change, the whole update). */
  readonly record: R;
  readonly key: Row;
  readonly kind: ConflictKind;
  readonly resolution: ConflictResolution;
  /** The incoming change's source time compared by `newer`, in ms; null when unknown. */
  readonly incomingTsMs: bigint | null;
  /** Commit time of the target's row (as it was before the batch), in µs; null when missing or unknown. */
  readonly targetCommitTsUs: bigint | null;
}

export interface ConflictOutcome<R extends BatchRecord = BatchRecord> {
  /** The events to apply, in order (half of a key-changing update when only that half applies). */
  readonly records: readonly R[];
  /** Every conflict found, in event order; with `fail`, up to and including the failed one. */
  readonly conflicts: readonly DetectedConflict<R>[];
  /** The conflict the `fail` policy stops at. */
  readonly failure: DetectedConflict<R> | undefined;
}

interface Change {
  readonly key: Row;
  readonly identity: string;
  /** The target row the change needs: present for an update or delete, absent for an insert. */
  readonly needs: "present" | "absent";
  readonly kind: ConflictKind;
  /** Whether the row exists once the change is applied. */
  readonly leaves: "present" | "absent";
}

interface KeyState {
  readonly present: boolean;
  /** The row is the target's own from before the batch (not written by an earlier change of this batch). */
  readonly original: boolean;
}

/** The distinct keys whose target state the batch's events depend on (those before its first truncate). */
export function keysToLookUp(records: readonly BatchRecord[], keyFields: readonly string[]): Row[] {
  const keys = new Map<string, Row>();
  for (const record of records) {
    if (record.value === null) continue;
    if (record.value.op === "t") break;
    for (const change of changesOf(record, record.value, keyFields)) {
      if (!keys.has(change.identity)) keys.set(change.identity, change.key);
    }
  }
  return [...keys.values()];
}

/**
 * The events to apply and the conflicts among `records` (one keyed table, Kafka order), given
 * `existing`: the rows the target holds, by `keyIdentity` of their key.
 */
export function resolveConflicts<R extends BatchRecord>(
  records: readonly R[],
  keyFields: readonly string[],
  existing: ReadonlyMap<string, ExistingRow>,
  policy: ConflictPolicy,
): ConflictOutcome<R> {
  const states = new Map<string, KeyState>();
  let truncated = false;
  const kept: R[] = [];
  const conflicts: DetectedConflict<R>[] = [];
  const stateOf = (identity: string): KeyState =>
    states.get(identity) ??
    (truncated ? { present: false, original: false } : { present: existing.has(identity), original: true });

  /** Judges one change: true when it applies; records its conflict, if any. */
  const judge = (record: R, envelope: Envelope, change: Change): ConflictResolution => {
    const state = stateOf(change.identity);
    let resolution: ConflictResolution = "applied";
    const missing = state.present !== (change.needs === "present");
    if (missing && record.mayBeMissing === true && envelope.unchanged.length === 0) {
      if (change.kind === "delete_missing") return "skipped";
      if (change.kind === "update_missing") {
        states.set(change.identity, { present: change.leaves === "present", original: false });
        return "applied";
      }
    }
    if (missing) {
      const incomingTsMs = envelope.source.commitTsMs ?? (envelope.op === "r" ? envelope.ts_ms : null);
      const targetCommitTsUs = state.original ? (existing.get(change.identity)?.commitTsUs ?? null) : null;
      resolution = resolutionOf(change.kind, policy, {
        incomingTsMs,
        targetCommitTsUs,
        writtenInBatch: state.present && !state.original,
        unchanged: envelope.unchanged.length > 0,
      });
      conflicts.push({
        record,
        key: change.key,
        kind: change.kind,
        resolution,
        incomingTsMs,
        targetCommitTsUs,
      });
    }
    if (resolution === "applied") {
      states.set(change.identity, { present: change.leaves === "present", original: false });
    }
    return resolution;
  };

  for (const record of records) {
    const envelope = record.value;
    if (envelope === null) {
      kept.push(record);
      continue;
    }
    if (envelope.op === "t") {
      states.clear();
      truncated = true;
      kept.push(record);
      continue;
    }
    const [first, second] = changesOf(record, envelope, keyFields);
    if (first === undefined) {
      kept.push(record); // an unknown op: batch reduction names it
      continue;
    }
    const firstResolution = judge(record, envelope, first);
    if (firstResolution === "failed") return { records: kept, conflicts, failure: conflicts.at(-1) };
    if (second === undefined) {
      if (firstResolution === "applied") kept.push(record);
      continue;
    }
    // A key change: dropping its old-key half (an update of a missing row) drops the whole update.
    if (firstResolution === "skipped") continue;
    const secondResolution = judge(record, envelope, second);
    if (secondResolution === "failed") return { records: kept, conflicts, failure: conflicts.at(-1) };
    kept.push(secondResolution === "applied" ? record : deleteHalf(record, envelope));
  }
  return { records: kept, conflicts, failure: undefined };
}

export interface ConflictTimes {
  readonly incomingTsMs: bigint | null;
  readonly targetCommitTsUs: bigint | null;
  /** The row in the way was written by an earlier change of this batch. */
  readonly writtenInBatch: boolean;
  /** The incoming change leaves some columns unchanged (their values are unknown). */
  readonly unchanged: boolean;
}

/** What `policy` does with a conflict of `kind`. */
export function resolutionOf(
  kind: ConflictKind,
  policy: ConflictPolicy,
  times: ConflictTimes,
): ConflictResolution {
  if (kind === "delete_missing") return "skipped";
  if (policy === "fail") return "failed";
  if (policy === "ignore") return "skipped";
  if (kind === "update_missing") return times.unchanged ? "skipped" : "applied";
  if (policy === "overwrite" || times.writtenInBatch) return "applied";
  if (times.incomingTsMs === null) return "skipped";
  if (times.targetCommitTsUs === null) return "applied";
  return times.incomingTsMs > floorDiv(times.targetCommitTsUs, 1000n) ? "applied" : "skipped";
}

function floorDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value % divisor < 0n ? quotient - 1n : quotient;
}

/** The one change of an event, or the two of a key-changing update (old key, then new key). */
function changesOf(record: BatchRecord, envelope: Envelope, keyFields: readonly string[]): Change[] {
  const change = (
    key: Row,
    needs: Change["needs"],
    kind: ConflictKind,
    leaves: Change["leaves"],
  ): Change => ({
    key,
    identity: keyIdentity(key, keyFields),
    needs,
    kind,
    leaves,
  });
  switch (envelope.op) {
    case "d":
      return [
        change(
          keyOf(keyFields, record.key, envelope.before, record, "delete"),
          "present",
          "delete_missing",
          "absent",
        ),
      ];
    case "c":
    case "r":
      return [
        change(
          keyOf(keyFields, record.key, envelope.after, record, "upsert"),
          "absent",
          "insert_exists",
          "present",
        ),
      ];
    case "u": {
      const key = keyOf(keyFields, record.key, envelope.after, record, "update");
      const updated = change(key, "present", "update_missing", "present");
      if (envelope.before === null || !hasKey(envelope.before, keyFields)) return [updated];
      const oldKey = pickKey(envelope.before, keyFields);
      if (keyIdentity(oldKey, keyFields) === updated.identity) return [updated];
      return [
        change(oldKey, "present", "update_missing", "absent"),
        change(key, "absent", "insert_exists", "present"),
      ];
    }
    default:
      return [];
  }
}

/** The delete of a key-changing update's old key alone (its new row is not written). */
function deleteHalf<R extends BatchRecord>(record: R, envelope: Envelope): R {
  return { ...record, key: null, value: { ...envelope, op: "d", after: null, unchanged: [] } };
}
