/**
 * The sink's per-table filters (DESIGN.md section 5) applied to one decoded event. The target
 * ends up holding exactly the rows whose latest image passes the table's row filter:
 *
 * - insert / snapshot read: applied when the new image passes;
 * - update, table with a key: the new image decides; one that passes is applied as an upsert
 *   (so a row that moves INTO the filter is inserted), one that fails becomes a delete of the
 *   row's key (so a row that moves OUT of it is removed; when it was never there the delete
 *   changes nothing). The old image is not needed, so the default replica identity suffices;
 * - update, table without a key (REPLICA IDENTITY FULL, both images): old and new pass → the
 *   update; only the new → an insert of it; only the old → a delete of the old row; neither →
 *   skipped;
 * - delete, table with a key: always applied (a row the filter kept out is simply not there);
 * - updates and deletes of a keyed table are marked `mayBeMissing`, so conflict detection takes
 *   a missing row for one the filter kept out, not for a conflict;
 *   without a key: applied when the old image passes;
 * - truncate: only the operation filter applies.
 *
 * The new image of an update sees unchanged (TOASTed) columns with their old value when the
 * event carries an old image, else as null. A row moved into the filter by an update that left
 * TOASTed columns unchanged cannot get their value: give such tables REPLICA IDENTITY FULL.
 */
import type { Envelope, Row, WriterSchema } from "@tributary/core";
import { celRow } from "./cel-row.js";
import type { FilterOperation, FiltersConfig } from "./filter-config.js";
import { compileRowExpression, type RowExpression } from "./row-expression.js";
import { TablePatterns } from "./table-pattern.js";

/** What the filters did with an event. */
export type FilterOutcome = "kept" | "skipped" | "as-delete" | "as-insert";

export interface FilterableRecord {
  readonly key: Row | null;
  readonly value: Envelope | null;
  readonly writer: WriterSchema | null;
}

interface TableRule {
  readonly operations: ReadonlySet<FilterOperation>;
  readonly where: RowExpression | null;
}

const OPERATION_OF: Readonly<Record<string, FilterOperation>> = {
  c: "insert",
  r: "insert",
  u: "update",
  d: "delete",
  t: "truncate",
};

export class EventFilter {
  private readonly rules: TablePatterns<TableRule>;

  constructor(config: FiltersConfig) {
    const rules: Record<string, TableRule> = {};
    for (const [table, filter] of Object.entries(config)) {
      rules[table] = {
        operations: new Set(filter.operations),
        where: filter.where === undefined ? null : compileRowExpression(filter.where),
      };
    }
    this.rules = new TablePatterns(rules);
  }

  /** Whether any table has a filter (when none, events pass untouched). */
  get active(): boolean {
    return this.rules.size > 0;
  }

  /** Whether `operation` is applied to the source table `schema.table` (MariaDB/MySQL: database.table). */
  allows(sourceTable: string, operation: FilterOperation): boolean {
    return this.rules.lookup(sourceTable)?.operations.has(operation) ?? true;
  }

  /**
   * The event as it is to be applied, and what was done to it; `null` in `value` when it is
   * skipped. Throws RowExpressionFailed when the row filter cannot be evaluated on it.
   */
  apply<R extends FilterableRecord>(record: R): { record: R; outcome: FilterOutcome } {
    const envelope = record.value;
    if (envelope === null || record.writer === null) return { record, outcome: "kept" };
    const rule = this.rules.lookup(sourceTableOf(envelope));
    const operation = OPERATION_OF[envelope.op];
    if (rule === undefined || operation === undefined) return { record, outcome: "kept" };
    if (!rule.operations.has(operation)) return skip(record);
    const where = rule.where;
    if (where === null) return { record, outcome: "kept" };
    const writer = record.writer;
    const passes = (image: Row) => where.matches(celRow(writer, image), envelope.op);
    const { before, after } = envelope;
    switch (envelope.op) {
      case "c":
      case "r":
        return after === null || passes(after) ? { record, outcome: "kept" } : skip(record);
      case "d":
        if (record.key !== null) return { record: mayBeMissing(record), outcome: "kept" };
        return before === null || passes(before) ? { record, outcome: "kept" } : skip(record);
      case "u": {
        if (after === null) return { record, outcome: "kept" };
        const newPasses = passes(withUnchanged(after, before, envelope.unchanged));
        if (record.key !== null) {
          return newPasses
            ? { record: mayBeMissing(record), outcome: "kept" }
            : asDelete(record, envelope, deleteKey(record.key, before));
        }
        const oldPasses = before !== null && passes(before);
        if (newPasses && oldPasses) return { record, outcome: "kept" };
        if (newPasses) {
          return {
            record: { ...record, value: { ...envelope, op: "c", before: null } },
            outcome: "as-insert",
          };
        }
        return oldPasses ? asDelete(record, envelope, null) : skip(record);
      }
      default:
        return { record, outcome: "kept" };
    }
  }
}

/** The table key of filters: `schema.table`, or `database.table` for MariaDB/MySQL. */
export function sourceTableOf(envelope: Pick<Envelope, "source">): string {
  return `${envelope.source.schema ?? envelope.source.database}.${envelope.source.table}`;
}

function skip<R extends FilterableRecord>(record: R): { record: R; outcome: FilterOutcome } {
  // A placeholder without a value: its offset is still recorded with the batch, nothing is applied.
  return { record: { ...record, value: null, writer: null, schema: null }, outcome: "skipped" };
}

function asDelete<R extends FilterableRecord>(
  record: R,
  envelope: Envelope,
  key: Row | null,
): { record: R; outcome: FilterOutcome } {
  return {
    record: mayBeMissing({ ...record, key, value: { ...envelope, op: "d", after: null, unchanged: [] } }),
    outcome: "as-delete",
  };
}

/** Marks an update or delete of a keyed table whose row the filter may have kept out of the target. */
function mayBeMissing<R extends FilterableRecord>(record: R): R {
  return { ...record, mayBeMissing: true };
}

/** The key a delete must remove: the OLD key when the update changed it (the old image holds it). */
function deleteKey(key: Row, before: Row | null): Row {
  if (before === null) return key;
  const old: Row = {};
  for (const field of Object.keys(key)) {
    const value = before[field];
    if (value === null || value === undefined) return key;
    old[field] = value;
  }
  return old;
}

function withUnchanged(after: Row, before: Row | null, unchanged: readonly string[]): Row {
  if (unchanged.length === 0) return after;
  const row: Row = { ...after };
  for (const field of unchanged) row[field] = before?.[field] ?? null;
  return row;
}
