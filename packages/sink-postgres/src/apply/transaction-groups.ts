/**
 * A partition's decoded records → the target transactions that apply them (pure).
 *
 * Loop prevention (DESIGN.md section 6): events whose origin is the sink's own are dropped, but
 * their offsets still advance. Each applied transaction is marked with one origin, so events of
 * different origins go into consecutive transactions, each recording the offset after its last
 * record. Inside a transaction, a run of consecutive events under one writer schema is reduced
 * and planned at once (batch-reduction.ts, apply-plan.ts); a new writer schema starts a new run.
 */
import type { Fingerprint } from "@tributary/core";
import type { BatchRecord } from "../batch-reduction.js";

export interface DecodedRecord extends BatchRecord {
  /** Fingerprint of the value's writer schema; null for a tombstone. */
  readonly schema: Fingerprint | null;
}

export interface TransactionGroup<R extends DecodedRecord = DecodedRecord> {
  /** The origin the transaction is marked with; null when it applies nothing (it only records the offset). */
  readonly origin: string | null;
  /** The events to apply, in partition order (no tombstones, none of the sink's own origin). */
  readonly records: readonly R[];
  /** The partition's position once the transaction commits: the offset after its last record. */
  readonly nextOffset: bigint;
  /** Events left out because their origin is the sink's own. */
  readonly dropped: number;
}

export interface SchemaRun<R extends DecodedRecord = DecodedRecord> {
  readonly schema: Fingerprint;
  readonly records: readonly R[];
}

interface OpenGroup<R> {
  origin: string | null;
  records: R[];
  dropped: number;
}

/**
 * The transactions of `records` (one partition, in offset order). Tombstones and dropped events
 * join whichever transaction is open, so every offset is recorded by exactly one of them.
 */
export function groupByOrigin<R extends DecodedRecord>(
  records: readonly R[],
  ownOrigin: string,
): TransactionGroup<R>[] {
  const groups: TransactionGroup<R>[] = [];
  let open: OpenGroup<R> | undefined;
  for (const record of records) {
    const origin = record.value?.origin;
    if (origin === undefined || origin === ownOrigin) {
      open ??= { origin: null, records: [], dropped: 0 };
      if (origin !== undefined) open.dropped++;
      continue;
    }
    if (open !== undefined && open.origin !== null && open.origin !== origin) {
      groups.push({ ...open, nextOffset: record.offset });
      open = undefined;
    }
    open ??= { origin, records: [], dropped: 0 };
    open.origin = origin;
    open.records.push(record);
  }
  const last = records.at(-1);
  if (open !== undefined && last !== undefined) groups.push({ ...open, nextOffset: last.offset + 1n });
  return groups;
}

/** Runs of consecutive records under one writer schema; tombstones (no schema) are left out. */
export function splitBySchema<R extends DecodedRecord>(records: readonly R[]): SchemaRun<R>[] {
  const runs: { schema: Fingerprint; records: R[] }[] = [];
  for (const record of records) {
    if (record.schema === null) continue;
    const current = runs.at(-1);
    if (current !== undefined && current.schema === record.schema) {
      current.records.push(record);
    } else {
      runs.push({ schema: record.schema, records: [record] });
    }
  }
  return runs;
}
