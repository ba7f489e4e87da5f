/**
 * What a target of the PostgreSQL family needs from a dialect (type binding, upsert, delete,
 * staging), as SQL text and text parameters. One object per target: `postgresDialect` here,
 * `polardbDialect` and `analyticdbDialect(…)` in their packages. Rows are keyed by Avro field name; `unchanged` lists
 * Avro field names. Statements cast to `column.targetType` when the model has it (see
 * `withTargetTypes`), else to the dialect's `columnType`.
 */
import type { Row } from "@tributary/core";
import type { ColumnModel, TableModel } from "../table-model.js";
import type { TypeOptions } from "./postgres-types.js";
import type { SqlStatement } from "./sql-text.js";

/** The data format of a `COPY … FROM STDIN`. */
export type CopyFormat = "text" | "binary";

export interface Dialect {
  readonly name: "postgres" | "polardb" | "analyticdb";
  /**
   * True when the target enforces the uniqueness of a table's key (its upsert relies on it): rows
   * can then be copied straight into the table, a key it holds already failing the COPY.
   */
  readonly enforcesKeys: boolean;
  /**
   * True when snapshot rows may be copied in COPY's binary format (`avro-copy-binary.ts`), whose
   * encoding of the built-in types is checked against PostgreSQL's own (an integration test);
   * the other targets of the family get text.
   */
  readonly binaryCopy: boolean;
  /** The type of a created or added column. */
  columnType(column: ColumnModel, table: TableModel, options?: TypeOptions): string;
  /** Statements that create the table when missing (its schema and user types first). */
  createTable(table: TableModel, options?: TypeOptions): SqlStatement[];
  /** Statements that add `columns` to the table (autoEvolve). */
  addColumns(table: TableModel, columns: readonly ColumnModel[], options?: TypeOptions): SqlStatement[];
  /** Statements that give the table's enum types every label the source has (run and commit before rows). */
  enumLabels(table: TableModel): SqlStatement[];
  truncate(table: TableModel): SqlStatement[];
  /**
   * Insert or overwrite `rows` (distinct keys), in as few statements as the target allows. With
   * `unchanged` fields the rows update existing rows only, leaving those columns as they are.
   */
  upsert(table: TableModel, rows: readonly Row[], unchanged: readonly string[]): SqlStatement[];
  /** Delete the rows of `keys` (rows of the key fields). */
  deleteKeys(table: TableModel, keys: readonly Row[]): SqlStatement[];
  /** Table without a key: insert `rows`. */
  insert(table: TableModel, rows: readonly Row[]): SqlStatement[];
  /** Table without a key: update one row equal to `before`. */
  updateRow(table: TableModel, before: Row, after: Row, unchanged: readonly string[]): SqlStatement[];
  /** Table without a key: delete one row equal to `before`. */
  deleteRow(table: TableModel, before: Row): SqlStatement[];
  /** A temporary table for `columns` of the table, dropped at commit. */
  createStaging(table: TableModel, staging: string, columns: readonly ColumnModel[]): SqlStatement;
  /** The `COPY … FROM STDIN` (text format unless told) that fills the staging table; its data comes from `copyRows`. */
  copyIntoStaging(staging: string, columns: readonly ColumnModel[], format?: CopyFormat): string;
  /** The `COPY … FROM STDIN` (text format unless told) that inserts rows straight into the table (every column). */
  copyIntoTable(table: TableModel, format?: CopyFormat): string;
  /** Merge the staged rows (every column, or all but `unchanged`) into the table. */
  upsertFromStaging(table: TableModel, staging: string, unchanged: readonly string[]): SqlStatement[];
  /** Delete the rows whose keys are staged. */
  deleteFromStaging(table: TableModel, staging: string): SqlStatement[];
}
