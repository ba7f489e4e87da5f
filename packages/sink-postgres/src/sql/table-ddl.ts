/**
 * DDL of created and evolved tables for the PostgreSQL family: the table's schema and user types
 * when missing, the table with its columns in order, NOT NULL where the source column is, and
 * the event key as primary key; added columns for a newer writer schema.
 */
import type { ColumnModel, TableModel } from "../table-model.js";
import { ensureSchema, userTypeStatements } from "./postgres-types.js";
import { tableName } from "./row-statements.js";
import { quoteIdentifier, type SqlStatement, statement } from "./sql-text.js";

export interface TableDdlOptions {
  /** The created type of a column. */
  readonly typeOf: (column: ColumnModel) => string;
  /** Appended to CREATE TABLE (Greenplum's `DISTRIBUTED BY (…)`); empty for none. */
  readonly tableSuffix: string;
  /** `ADD COLUMN IF NOT EXISTS` (PostgreSQL 9.6+), so two sinks evolving one table do not collide. */
  readonly addColumnIfNotExists: boolean;
}

/** CREATE TABLE IF NOT EXISTS, after the schema and user types it needs. */
export function createTableStatements(table: TableModel, options: TableDdlOptions): SqlStatement[] {
  const definitions = table.columns.map(
    (column) =>
      `  ${quoteIdentifier(column.name)} ${options.typeOf(column)}${column.notNull ? " NOT NULL" : ""}`,
  );
  if (table.key.length > 0) {
    definitions.push(`  PRIMARY KEY (${table.key.map((column) => quoteIdentifier(column.name)).join(", ")})`);
  }
  return [
    ensureSchema(table.schema),
    ...userTypeStatements(table.columns, table.schema),
    statement(
      `CREATE TABLE IF NOT EXISTS ${tableName(table)} (\n${definitions.join(",\n")}\n)${options.tableSuffix}`,
    ),
  ];
}

/**
 * ALTER TABLE … ADD COLUMN for `columns` (after the user types they need). Added columns are
 * nullable whatever the source says: the target's existing rows have no value for them.
 */
export function addColumnStatements(
  table: TableModel,
  columns: readonly ColumnModel[],
  options: TableDdlOptions,
): SqlStatement[] {
  if (columns.length === 0) return [];
  const ifNotExists = options.addColumnIfNotExists ? " IF NOT EXISTS" : "";
  const clauses = columns.map(
    (column) => `ADD COLUMN${ifNotExists} ${quoteIdentifier(column.name)} ${options.typeOf(column)}`,
  );
  return [
    ...userTypeStatements(columns, table.schema),
    statement(`ALTER TABLE ${tableName(table)}\n  ${clauses.join(",\n  ")}`),
  ];
}
