/**
 * A run of snapshot reads of a keyed table → its bulk copy written straight from the rows' Avro
 * bytes (snapshot-rows.ts), when that gives what `reduceBatch` and `planApply` give for the
 * decoded rows with a direct copy: one upsert of every column of each key's last row (in the
 * order of those last rows), copied into the table with the staging merge to fall back on: in
 * COPY's binary format where the target and the columns' types allow it (avro-copy-binary.ts),
 * else in text (avro-copy-text.ts). Any run this cannot prove that for is left to them (undefined).
 */

import type { Row } from "@tributary/core";
import { type ApplyAction, directOrStagedCopy } from "../apply-plan.js";
import { hasKey, keyIdentity } from "../batch-reduction.js";
import { binaryTargets, copyAvroRowsBinary } from "../sql/avro-copy-binary.js";
import { type AvroRowLayout, copyAvroRowsUtf8, layoutMatches } from "../sql/avro-copy-text.js";
import type { Dialect } from "../sql/dialect.js";
import type { TableModel } from "../table-model.js";
import type { SinkRecord } from "./EventDecoder.js";
import type { SnapshotRow } from "./snapshot-rows.js";

export interface SnapshotCopyOptions {
  /** As `planApply`'s: a smaller upsert goes through statements. */
  readonly copyThreshold: number;
  /** As `planApply`'s. */
  readonly stagingPrefix: string;
}

export function planSnapshotCopy(
  records: readonly SinkRecord[],
  table: TableModel,
  dialect: Dialect,
  options: SnapshotCopyOptions,
): ApplyAction[] | undefined {
  const keyFields = table.keyFields;
  if (!dialect.enforcesKeys || keyFields.length === 0) return undefined;
  const only = keyFields.length === 1 ? (keyFields[0] as string) : undefined;
  // With a one-field numeric key, the rows in order are the last row of each key as long as no
  // key repeats: while the keys ascend (one snapshot worker reads in key order), or else when
  // their sorted copy has no two equal (workers' chunks interleave). Either way no map is built.
  const rows: SnapshotRow[] = [];
  let numeric = only !== undefined;
  let ascending = true;
  let previous: number | bigint | undefined;
  let layout: SnapshotRow["layout"] | undefined;
  for (const record of records) {
    const value = record.value;
    if (value === null) continue;
    const row = record.snapshotRow;
    const key = record.key;
    if (row === undefined || row.envelope !== value || row.key !== key || key === null) return undefined;
    if (layout !== undefined && row.layout !== layout) return undefined;
    layout = row.layout;
    // reduceBatch takes the key from the row image when the Kafka key lacks a key field.
    if (!hasKey(key, keyFields)) return undefined;
    if (numeric) {
      const keyValue = key[only as string];
      if (!isPlainNumber(keyValue) || (previous !== undefined && typeof keyValue !== typeof previous)) {
        numeric = false;
      } else {
        if (previous !== undefined && !(keyValue > previous)) ascending = false;
        previous = keyValue;
      }
    }
    rows.push(row);
  }
  const last =
    numeric && (ascending || distinctNumbers(rows, only as string))
      ? rows
      : lastOfEachKey(rows, keyFields, only);
  if (layout === undefined || last.length < options.copyThreshold || !layoutMatches(layout, table.columns)) {
    return undefined;
  }
  const staging = `${options.stagingPrefix}_1`;
  const binary = dialect.binaryCopy && !textOnly.has(layout) ? binaryTargets(layout, table.columns) : null;
  const data = binary === null ? undefined : copyAvroRowsBinary(layout, binary, last);
  if (data !== undefined) return [directOrStagedCopy(table, dialect, data, last.length, staging, "binary")];
  if (binary !== null) textOnly.add(layout);
  return [
    directOrStagedCopy(table, dialect, copyAvroRowsUtf8(layout, table.columns, last), last.length, staging),
  ];
}

/**
 * Row layouts (one per writer schema) with a value that had to go as text: their rows go as
 * text from then on, rather than be written twice whenever such values recur.
 */
const textOnly = new WeakSet<AvroRowLayout>();

/** The last row of each key, in the order of those last rows (as in reduceBatch). */
function lastOfEachKey(
  rows: readonly SnapshotRow[],
  keyFields: readonly string[],
  only: string | undefined,
): SnapshotRow[] {
  const last = new Map<unknown, SnapshotRow>();
  for (const row of rows) {
    const identity = identityOf(row.key as Row, keyFields, only);
    last.delete(identity);
    last.set(identity, row);
  }
  return [...last.values()];
}

/** Whether the rows' one-field keys (all numbers, or all bigints: `isPlainNumber`) are all different. */
function distinctNumbers(rows: readonly SnapshotRow[], field: string): boolean {
  const first = (rows[0]?.key as Row | undefined)?.[field];
  const sorted = typeof first === "bigint" ? new BigInt64Array(rows.length) : new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) sorted[i] = ((rows[i] as SnapshotRow).key as Row)[field] as never;
  sorted.sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return false;
  return true;
}

/** A number other than -0 and NaN, or a bigint of 64 bits (what `distinctNumbers` sorts exactly). */
function isPlainNumber(value: unknown): value is number | bigint {
  if (typeof value === "bigint") return BigInt.asIntN(64, value) === value;
  return typeof value === "number" && !Number.isNaN(value) && !Object.is(value, -0);
}

function identityOf(key: Row, keyFields: readonly string[], only: string | undefined): unknown {
  return only === undefined ? keyIdentity(key, keyFields) : singleKeyIdentity(key[only], key, keyFields);
}

/**
 * A Map key equal for two one-field keys exactly when their `keyIdentity` is: a bigint, or a
 * number other than -0 (which keyIdentity tells from 0), is its own key without building the
 * identity text; never equal to another type's value, nor to an identity text (a string).
 */
function singleKeyIdentity(value: unknown, key: Row, keyFields: readonly string[]): unknown {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && !Object.is(value, -0)) return value;
  return keyIdentity(key, keyFields);
}
