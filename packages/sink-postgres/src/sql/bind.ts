/**
 * Row values → statement parameters: each value becomes its text input (`value-text.ts`), and a
 * column's values across many rows one `text[]` parameter.
 */
import type { Row } from "@tributary/core";
import type { ColumnModel } from "../table-model.js";
import { textArrayLiteral, type ValueFormatter, valueFormatter } from "../value-text.js";

const formatters = new WeakMap<ColumnModel, ValueFormatter>();

/** The (cached) formatter of a column's values. */
export function formatterOf(column: ColumnModel): ValueFormatter {
  let formatter = formatters.get(column);
  if (formatter === undefined) {
    formatter = valueFormatter(column.type, { column: column.name, delimiter: column.arrayDelimiter });
    formatters.set(column, formatter);
  }
  return formatter;
}

/** The text of `row`'s value of `column`; null for NULL. */
export function bindValue(column: ColumnModel, row: Row): string | null {
  return formatterOf(column)(row[column.field]);
}

/** One `text[]` literal of `column`'s values in `rows`, in row order. */
export function bindColumn(column: ColumnModel, rows: readonly Row[]): string {
  const format = formatterOf(column);
  return textArrayLiteral(rows.map((row) => format(row[column.field])));
}
