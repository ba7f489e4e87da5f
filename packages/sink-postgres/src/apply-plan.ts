/**
 * A table's reduced steps (batch-reduction.ts) → what to run on the target, in order: statements,
 * and COPY for bulk steps of at least `copyThreshold` rows (into a staging table that is then
 * merged, or straight into a table without a key). Snapshot rows (`directCopy`) are first
 * copied straight into a keyed table, with the staging merge to fall back on when that fails
 * (a key the table holds already). The caller runs the actions in the batch's target
 * transaction (with the offsets it records).
 */
import type { Row } from "@tributary/core";
import type { ApplyStep } from "./batch-reduction.js";
import { copyRowsUtf8 } from "./sql/copy-text.js";
import type { CopyFormat, Dialect } from "./sql/dialect.js";
import { changedColumns } from "./sql/row-statements.js";
import type { SqlStatement } from "./sql/sql-text.js";
import type { ColumnModel, TableModel } from "./table-model.js";
import type { CopyData } from "./target/copy-in.js";

export type ApplyAction =
  | { readonly kind: "statement"; readonly statement: SqlStatement }
  /**
   * Run `copy` (`COPY … FROM STDIN`, text format unless it names another) and send `data`. With
   * a `fallback`, run it inside a savepoint, and when it fails roll back to the savepoint and run
   * `fallback` instead (the staging merge of the same rows).
   */
  | {
      readonly kind: "copy";
      readonly copy: string;
      readonly data: CopyData;
      readonly rows: number;
      readonly fallback?: readonly ApplyAction[];
    };

export interface PlanOptions {
  /** Upserts and deletes of at least this many rows go through COPY into a staging table. */
  readonly copyThreshold: number;
  /**
   * Prefix of the staging tables' names (a number is appended per staged step); must differ
   * between the tables applied in one transaction, e.g. `tributary_stage_<n>`.
   */
  readonly stagingPrefix: string;
  /**
   * The steps come from snapshot rows (op `r`) only, which the table most likely lacks: copy a
   * bulk upsert of every column straight into the table first (when the dialect enforces keys).
   */
  readonly directCopy?: boolean;
}

export function planApply(
  steps: readonly ApplyStep[],
  table: TableModel,
  dialect: Dialect,
  options: PlanOptions,
): ApplyAction[] {
  const actions: ApplyAction[] = [];
  const run = (statements: readonly SqlStatement[]) => {
    for (const statement of statements) actions.push({ kind: "statement", statement });
  };
  let staged = 0;
  const stage = (columns: readonly ColumnModel[], rows: readonly Row[], into = actions, data?: CopyData) => {
    staged++;
    const staging = `${options.stagingPrefix}_${staged}`;
    into.push({ kind: "statement", statement: dialect.createStaging(table, staging, columns) });
    into.push({
      kind: "copy",
      copy: dialect.copyIntoStaging(staging, columns),
      data: data ?? copyRowsUtf8(columns, rows),
      rows: rows.length,
    });
    return staging;
  };
  const directOrStaged = (rows: readonly Row[]) => {
    staged++;
    const staging = `${options.stagingPrefix}_${staged}`;
    actions.push(directOrStagedCopy(table, dialect, copyRowsUtf8(table.columns, rows), rows.length, staging));
  };
  for (const step of steps) {
    switch (step.kind) {
      case "truncate":
        run(dialect.truncate(table));
        break;
      case "delete":
        if (step.keys.length >= options.copyThreshold) {
          run(dialect.deleteFromStaging(table, stage(table.key, step.keys)));
        } else {
          run(dialect.deleteKeys(table, step.keys));
        }
        break;
      case "upsert":
        if (
          step.rows.length >= options.copyThreshold &&
          options.directCopy === true &&
          dialect.enforcesKeys &&
          step.unchanged.length === 0
        ) {
          directOrStaged(step.rows);
        } else if (step.rows.length >= options.copyThreshold) {
          const columns = changedColumns(table, step.unchanged);
          if (step.unchanged.length > 0 && columns.every((column) => column.keyPosition !== null)) break;
          run(dialect.upsertFromStaging(table, stage(columns, step.rows), step.unchanged));
        } else {
          run(dialect.upsert(table, step.rows, step.unchanged));
        }
        break;
      case "insert":
        if (step.rows.length >= options.copyThreshold) {
          actions.push({
            kind: "copy",
            copy: dialect.copyIntoTable(table),
            data: copyRowsUtf8(table.columns, step.rows),
            rows: step.rows.length,
          });
        } else {
          run(dialect.insert(table, step.rows));
        }
        break;
      case "update-row":
        run(dialect.updateRow(table, step.before, step.after, step.unchanged));
        break;
      case "delete-row":
        run(dialect.deleteRow(table, step.before));
        break;
    }
  }
  return actions;
}

/**
 * The copy of a bulk upsert of every column (`data`, `rows` rows in COPY's `format`) straight into
 * the table, with the merge through the staging table `staging` to fall back on: the same data serves both.
 */
export function directOrStagedCopy(
  table: TableModel,
  dialect: Dialect,
  data: CopyData,
  rows: number,
  staging: string,
  format: CopyFormat = "text",
): ApplyAction {
  const fallback: ApplyAction[] = [
    { kind: "statement", statement: dialect.createStaging(table, staging, table.columns) },
    { kind: "copy", copy: dialect.copyIntoStaging(staging, table.columns, format), data, rows },
  ];
  for (const statement of dialect.upsertFromStaging(table, staging, []))
    fallback.push({ kind: "statement", statement });
  return { kind: "copy", copy: dialect.copyIntoTable(table, format), data, rows, fallback };
}
