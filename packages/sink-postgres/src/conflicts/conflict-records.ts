/**
 * Detected conflicts → rows of `tributary_conflicts` (pure): keys and row images as JSON objects
 * of target column names (numbers and booleans as JSON scalars, every other value in the text
 * form the target reads), and the source position as the operator knows it.
 */
import { type Envelope, type Row, toJsonValue } from "@tributary/core";
import type { BatchRecord } from "../batch-reduction.js";
import { bindValue } from "../sql/bind.js";
import type { ConflictRow } from "../sql/conflict-statements.js";
import type { TableModel } from "../table-model.js";
import type { DetectedConflict } from "./conflict-resolution.js";

const JSON_SCALARS = new Set(["boolean", "int", "long", "float", "double"]);

/** `row` (Avro field → value) as a JSON object of target column names; fields in `skip` and fields the table lacks are left out. */
export function rowJson(model: TableModel, row: Row, skip: readonly string[] = []): string {
  const json: Record<string, unknown> = {};
  for (const column of model.columns) {
    if (!(column.field in row) || skip.includes(column.field)) continue;
    const value = row[column.field] ?? null;
    json[column.name] =
      value === null
        ? null
        : JSON_SCALARS.has(column.type.kind)
          ? toJsonValue(value)
          : bindValue(column, row);
  }
  return JSON.stringify(json);
}

/** PostgreSQL LSN as `X/Y`; else the MySQL GTID, or `file:pos`; null when the event names none. */
export function sourcePosition(source: Envelope["source"]): string | null {
  if (source.lsn !== null) {
    const hex = (value: bigint) => value.toString(16).toUpperCase();
    return `${hex(source.lsn >> 32n)}/${hex(source.lsn & 0xffff_ffffn)}`;
  }
  if (source.gtid !== null) return source.gtid;
  if (source.file !== null) return source.pos === null ? source.file : `${source.file}:${source.pos}`;
  return null;
}

export function conflictRow(model: TableModel, conflict: DetectedConflict<BatchRecord>): ConflictRow {
  const envelope = conflict.record.value as Envelope;
  return {
    key: rowJson(model, conflict.key),
    kind: conflict.kind,
    resolution: conflict.resolution,
    op: envelope.op,
    origin: envelope.origin,
    incoming: envelope.after === null ? null : rowJson(model, envelope.after, envelope.unchanged),
    position: sourcePosition(envelope.source),
    transaction: envelope.source.txId,
    sourceCommitTsMs: conflict.incomingTsMs,
    offset: conflict.record.offset,
    targetCommitTsUs: conflict.targetCommitTsUs,
  };
}
