/**
 * The statement methods a dialect of the PostgreSQL family shares, from what tells the dialects
 * apart: the created type of a column (for DDL, and for casts where the target's own type is not
 * known), how a physical row is located, and how rows are upserted.
 */
import type { ColumnModel, TableModel } from "../table-model.js";
import type { Dialect } from "./dialect.js";
import { enumLabelStatements, type TypeOptions } from "./postgres-types.js";
import {
  copyIntoStaging,
  copyIntoTable,
  createStagingTable,
  deleteFromStaging,
  deleteOneRow,
  deleteRowsByKey,
  insertFromStaging,
  insertRows,
  onConflictUpdate,
  type RowSqlOptions,
  truncateTable,
  updateFromStaging,
  updateOneRow,
  updateRowsByKey,
} from "./row-statements.js";
import type { SqlStatement } from "./sql-text.js";
import { addColumnStatements, createTableStatements } from "./table-ddl.js";

export interface FamilyTraits {
  readonly name: Dialect["name"];
  readonly columnType: (column: ColumnModel, table: TableModel, options?: TypeOptions) => string;
  /** Columns that locate one physical row. */
  readonly rowLocator: readonly string[];
  /** `on-conflict`: INSERT … ON CONFLICT DO UPDATE; `delete-insert`: DELETE of the keys, then INSERT. */
  readonly upsert: "on-conflict" | "delete-insert";
  /** Appended to CREATE TABLE and to the staging table's CREATE (distribution); empty for none. */
  readonly tableSuffix: (table: TableModel) => string;
  readonly addColumnIfNotExists: boolean;
  /** See `Dialect.binaryCopy` (false when absent). */
  readonly binaryCopy?: boolean;
}

function present(statement: SqlStatement | null): SqlStatement[] {
  return statement === null ? [] : [statement];
}

/** A dialect of the PostgreSQL family with `traits`. */
export function familyDialect(traits: FamilyTraits): Dialect {
  const options = (table: TableModel): RowSqlOptions => ({
    typeOf: (column) => column.targetType ?? traits.columnType(column, table),
    rowLocator: traits.rowLocator,
  });
  const ddl = (table: TableModel, typeOptions: TypeOptions = {}) => ({
    typeOf: (column: ColumnModel) => traits.columnType(column, table, typeOptions),
    tableSuffix: traits.tableSuffix(table),
    addColumnIfNotExists: traits.addColumnIfNotExists,
  });
  return {
    name: traits.name,
    enforcesKeys: traits.upsert === "on-conflict",
    binaryCopy: traits.binaryCopy ?? false,
    columnType: traits.columnType,
    createTable: (table, typeOptions) => createTableStatements(table, ddl(table, typeOptions)),
    addColumns: (table, columns, typeOptions) => addColumnStatements(table, columns, ddl(table, typeOptions)),
    enumLabels: (table) => enumLabelStatements(table.columns),
    truncate: (table) => [truncateTable(table)],
    upsert: (table, rows, unchanged) => {
      if (rows.length === 0) return [];
      if (unchanged.length > 0) return present(updateRowsByKey(table, rows, unchanged, options(table)));
      return traits.upsert === "on-conflict"
        ? [insertRows(table, rows, options(table), onConflictUpdate(table, table.columns))]
        : [deleteRowsByKey(table, rows, options(table)), insertRows(table, rows, options(table), "")];
    },
    deleteKeys: (table, keys) => (keys.length === 0 ? [] : [deleteRowsByKey(table, keys, options(table))]),
    insert: (table, rows) => (rows.length === 0 ? [] : [insertRows(table, rows, options(table), "")]),
    updateRow: (table, before, after, unchanged) =>
      present(updateOneRow(table, before, after, unchanged, options(table))),
    deleteRow: (table, before) => [deleteOneRow(table, before, options(table))],
    createStaging: (table, staging, columns) =>
      createStagingTable(table, staging, columns, traits.tableSuffix(table)),
    copyIntoStaging,
    copyIntoTable,
    upsertFromStaging: (table, staging, unchanged) => {
      if (unchanged.length > 0) return present(updateFromStaging(table, staging, unchanged, options(table)));
      return traits.upsert === "on-conflict"
        ? [insertFromStaging(table, staging, onConflictUpdate(table, table.columns))]
        : [deleteFromStaging(table, staging, options(table)), insertFromStaging(table, staging, "")];
    },
    deleteFromStaging: (table, staging) => [deleteFromStaging(table, staging, options(table))],
  };
}
