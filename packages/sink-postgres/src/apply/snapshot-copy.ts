/**
 * A run of snapshot reads of a keyed table → its bulk copy written straight from the rows' Avro
 * bytes (snapshot-rows.ts), when that gives what `reduceBatch` and `planApply` give for the
 * decoded rows with a direct copy: one upsert of every column of each key's last row (in the
 * order of those last rows), copied into the table with the staging merge to fall back on.
 * Any run this cannot prove that for is left to them (undefined).
 */

import type { Row } from "@tributary/core";
import { type ApplyAction, directOrStagedCopy } from "../apply-plan.js";
import { hasKey, keyIdentity } from "../batch-reduction.js";
import { copyAvroRowsUtf8, layoutMatches } from "../sql/avro-copy-text.js";
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
  // While a one-field numeric key only ascends (a snapshot reads in key order), no key repeats:
  // the rows in order are the last row of each key, and need no map.
  const ascending: SnapshotRow[] = [];
  let previous: number | bigint | undefined;
  // Map order is the order of each key's last row, as in reduceBatch.
  let rows: Map<unknown, SnapshotRow> | undefined;
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
    if (rows === undefined) {
      const value = only === undefined ? undefined : key[only];
      if (isAscending(value, previous)) {
        ascending.push(row);
        previous = value;
        continue;
      }
      rows = new Map(ascending.map((earlier) => [identityOf(earlier.key as Row, keyFields, only), earlier]));
    }
    const identity = identityOf(key, keyFields, only);
    rows.delete(identity);
    rows.set(identity, row);
  }
  const last = rows === undefined ? ascending : [...rows.values()];
  if (layout === undefined || last.length < options.copyThreshold || !layoutMatches(layout, table.columns)) {
    return undefined;
  }
  const data = copyAvroRowsUtf8(layout, table.columns, last);
  return [directOrStagedCopy(table, dialect, data, last.length, `${options.stagingPrefix}_1`)];
}

/** Whether `value` is a number (not -0, not NaN) or bigint greater than `previous` (any, when none). */
function isAscending(value: unknown, previous: number | bigint | undefined): value is number | bigint {
  if (typeof value === "bigint") return previous === undefined || value > previous;
  if (typeof value !== "number" || Number.isNaN(value) || Object.is(value, -0)) return false;
  return previous === undefined || value > previous;
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
