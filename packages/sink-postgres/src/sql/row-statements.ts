/**
 * DML of the PostgreSQL family over bulk parameters: a statement binds one `text[]` per column
 * (every row's value as text) and unnests them, casting each column to its target type, so N
 * rows cost one statement and as many parameters as columns. The dialects differ only in what
 * `RowSqlOptions` says.
 */
import type { Row } from "@tributary/core";
import type { ColumnModel, TableModel } from "../table-model.js";
import { bindColumn, bindValue } from "./bind.js";
import type { CopyFormat } from "./dialect.js";
import { assignmentCastType } from "./postgres-types.js";
import { qualifiedName, quoteIdentifier, type SqlStatement, statement } from "./sql-text.js";

export interface RowSqlOptions {
  /** The target type of a column (its catalog type when known, else the dialect's created type). */
  readonly typeOf: (column: ColumnModel) => string;
  /** Columns that locate one physical row: `tableoid, ctid` (PostgreSQL), `gp_segment_id, ctid` (Greenplum). */
  readonly rowLocator: readonly string[];
}

export function tableName(table: TableModel): string {
  return qualifiedName(table.schema, table.table);
}

function columnList(columns: readonly ColumnModel[], prefix = ""): string {
  return columns.map((column) => `${prefix}${quoteIdentifier(column.name)}`).join(", ");
}

/** The columns `unchanged` (Avro field names) leaves out; key columns always stay. */
export function changedColumns(table: TableModel, unchanged: readonly string[]): ColumnModel[] {
  if (unchanged.length === 0) return [...table.columns];
  const skip = new Set(unchanged);
  return table.columns.filter((column) => column.keyPosition !== null || !skip.has(column.field));
}

/** `unnest($1::text[], …) AS alias("c1", …)` over `columns`, parameters from `first`, and the parameter values. */
function unnestRows(
  columns: readonly ColumnModel[],
  rows: readonly Row[],
  alias: string,
  first = 1,
): { from: string; values: string[] } {
  const parameters = columns.map((_, i) => `$${first + i}::text[]`).join(", ");
  return {
    from: `unnest(${parameters}) AS ${alias}(${columnList(columns)})`,
    values: columns.map((column) => bindColumn(column, rows)),
  };
}

/** `alias."c"::type` for assignment to the column (lengths checked by the assignment, see assignmentCastType). */
function assigned(column: ColumnModel, alias: string, options: RowSqlOptions): string {
  return `${alias}.${quoteIdentifier(column.name)}::${assignmentCastType(options.typeOf(column))}`;
}

function keyMatch(
  table: TableModel,
  left: string,
  right: string,
  options: RowSqlOptions,
  cast: boolean,
): string {
  return table.key
    .map((column) => {
      const name = quoteIdentifier(column.name);
      return `${left}.${name} = ${right}.${name}${cast ? `::${options.typeOf(column)}` : ""}`;
    })
    .join(" AND ");
}

/** `ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c, …` for every non-key column of `columns` (DO NOTHING when none). */
export function onConflictUpdate(table: TableModel, columns: readonly ColumnModel[]): string {
  const set = columns.filter((column) => column.keyPosition === null);
  const action =
    set.length === 0
      ? "DO NOTHING"
      : `DO UPDATE SET ${set
          .map((column) => `${quoteIdentifier(column.name)} = EXCLUDED.${quoteIdentifier(column.name)}`)
          .join(", ")}`;
  return `ON CONFLICT (${columnList(table.key)}) ${action}`;
}

/** INSERT of full rows from bound arrays; `conflict` is appended (empty for a plain insert). */
export function insertRows(
  table: TableModel,
  rows: readonly Row[],
  options: RowSqlOptions,
  conflict: string,
): SqlStatement {
  const columns = table.columns;
  const { from, values } = unnestRows(columns, rows, "u");
  const select = columns.map((column) => assigned(column, "u", options)).join(", ");
  const suffix = conflict === "" ? "" : `\n${conflict}`;
  return statement(
    `INSERT INTO ${tableName(table)} (${columnList(columns)})\nSELECT ${select}\nFROM ${from}${suffix}`,
    values,
  );
}

/**
 * UPDATE of existing rows by key, setting only the columns the rows carry (those not in
 * `unchanged`). Used for rows with unchanged TOAST columns: an upsert would need their values
 * for its insert half (a NOT NULL column fails even when the row exists), and inserting a row
 * without them would invent values. A missing row is not updated: the statement's row count
 * says how many were found. Null when every non-key column is unchanged (nothing to write).
 */
export function updateRowsByKey(
  table: TableModel,
  rows: readonly Row[],
  unchanged: readonly string[],
  options: RowSqlOptions,
): SqlStatement | null {
  const columns = changedColumns(table, unchanged);
  const set = columns.filter((column) => column.keyPosition === null);
  if (set.length === 0) return null;
  const { from, values } = unnestRows(columns, rows, "u");
  const assignments = set
    .map((column) => `${quoteIdentifier(column.name)} = ${assigned(column, "u", options)}`)
    .join(", ");
  return statement(
    `UPDATE ${tableName(table)} AS t SET ${assignments}\nFROM ${from}\nWHERE ${keyMatch(table, "t", "u", options, true)}`,
    values,
  );
}

/** DELETE of the rows of `keys` (rows of the key fields). */
export function deleteRowsByKey(
  table: TableModel,
  keys: readonly Row[],
  options: RowSqlOptions,
): SqlStatement {
  const { from, values } = unnestRows(table.key, keys, "k");
  return statement(
    `DELETE FROM ${tableName(table)} AS t\nUSING ${from}\nWHERE ${keyMatch(table, "t", "k", options, true)}`,
    values,
  );
}

/**
 * `(locator) = (SELECT locator FROM t WHERE every column equals before LIMIT 1)`: one row whose
 * columns equal the image. Columns are compared as the text of their target type, which every
 * type has (json, point or xml have no equality) and which tells -0 from 0.
 */
function oneRowMatching(
  table: TableModel,
  before: Row,
  options: RowSqlOptions,
  first: number,
): { where: string; values: (string | null)[] } {
  const values: (string | null)[] = [];
  const conditions = table.columns.map((column) => {
    values.push(bindValue(column, before));
    const parameter = `$${first + values.length - 1}::${options.typeOf(column)}`;
    return `t.${quoteIdentifier(column.name)}::text IS NOT DISTINCT FROM ${parameter}::text`;
  });
  const locator = options.rowLocator.join(", ");
  const located = options.rowLocator.map((name) => `t.${name}`).join(", ");
  return {
    where:
      `(${locator}) = (SELECT ${located} FROM ${tableName(table)} AS t\n` +
      `  WHERE ${conditions.join("\n    AND ")}\n  LIMIT 1)`,
    values,
  };
}

/** Table without a key: delete one row equal to `before`. */
export function deleteOneRow(table: TableModel, before: Row, options: RowSqlOptions): SqlStatement {
  const { where, values } = oneRowMatching(table, before, options, 1);
  return statement(`DELETE FROM ${tableName(table)}\nWHERE ${where}`, values);
}

/** Table without a key: update one row equal to `before` to `after`, leaving `unchanged` columns; null when nothing changes. */
export function updateOneRow(
  table: TableModel,
  before: Row,
  after: Row,
  unchanged: readonly string[],
  options: RowSqlOptions,
): SqlStatement | null {
  const skip = new Set(unchanged);
  const set = table.columns.filter((column) => !skip.has(column.field));
  if (set.length === 0) return null;
  const values: (string | null)[] = [];
  const assignments = set.map((column) => {
    values.push(bindValue(column, after));
    return `${quoteIdentifier(column.name)} = $${values.length}::${assignmentCastType(options.typeOf(column))}`;
  });
  const located = oneRowMatching(table, before, options, values.length + 1);
  return statement(`UPDATE ${tableName(table)} SET ${assignments.join(", ")}\nWHERE ${located.where}`, [
    ...values,
    ...located.values,
  ]);
}

/** `TRUNCATE TABLE t`. */
export function truncateTable(table: TableModel): SqlStatement {
  return statement(`TRUNCATE TABLE ${tableName(table)}`);
}

/**
 * A temporary staging table with the target's types for `columns` (no constraints: a group with
 * unchanged columns stages only the others), dropped at commit. `suffix` is appended (Greenplum's
 * distribution clause).
 */
export function createStagingTable(
  table: TableModel,
  staging: string,
  columns: readonly ColumnModel[],
  suffix = "",
): SqlStatement {
  return statement(
    `CREATE TEMPORARY TABLE ${quoteIdentifier(staging)} ON COMMIT DROP AS\n` +
      `SELECT ${columnList(columns)} FROM ${tableName(table)} WITH NO DATA${suffix}`,
  );
}

/** `COPY staging (columns) FROM STDIN`, in text format (see copy-text.ts for the data) unless told. */
export function copyIntoStaging(
  staging: string,
  columns: readonly ColumnModel[],
  format: CopyFormat = "text",
): string {
  return `COPY ${quoteIdentifier(staging)} (${columnList(columns)}) FROM STDIN${formatOption(format)}`;
}

/** `COPY table (every column) FROM STDIN`, in text format unless told. */
export function copyIntoTable(table: TableModel, format: CopyFormat = "text"): string {
  return `COPY ${tableName(table)} (${columnList(table.columns)}) FROM STDIN${formatOption(format)}`;
}

const formatOption = (format: CopyFormat) => (format === "text" ? "" : ` WITH (FORMAT ${format})`);

/** INSERT … SELECT from the staging table, `conflict` appended (empty for a plain insert). */
export function insertFromStaging(table: TableModel, staging: string, conflict: string): SqlStatement {
  const suffix = conflict === "" ? "" : `\n${conflict}`;
  return statement(
    `INSERT INTO ${tableName(table)} (${columnList(table.columns)})\n` +
      `SELECT ${columnList(table.columns, "s.")} FROM ${quoteIdentifier(staging)} AS s${suffix}`,
  );
}

/** UPDATE from the staging table of the columns not in `unchanged`; null when no non-key column is left. */
export function updateFromStaging(
  table: TableModel,
  staging: string,
  unchanged: readonly string[],
  options: RowSqlOptions,
): SqlStatement | null {
  const set = changedColumns(table, unchanged).filter((column) => column.keyPosition === null);
  if (set.length === 0) return null;
  const assignments = set.map(
    (column) => `${quoteIdentifier(column.name)} = s.${quoteIdentifier(column.name)}`,
  );
  return statement(
    `UPDATE ${tableName(table)} AS t SET ${assignments.join(", ")}\n` +
      `FROM ${quoteIdentifier(staging)} AS s\nWHERE ${keyMatch(table, "t", "s", options, false)}`,
  );
}

/** DELETE of the rows whose keys the staging table holds. */
export function deleteFromStaging(table: TableModel, staging: string, options: RowSqlOptions): SqlStatement {
  return statement(
    `DELETE FROM ${tableName(table)} AS t\nUSING ${quoteIdentifier(staging)} AS s\n` +
      `WHERE ${keyMatch(table, "t", "s", options, false)}`,
  );
}
