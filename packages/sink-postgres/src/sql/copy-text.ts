/**
 * Rows → the data of `COPY … FROM STDIN` in text format: one line per row, columns separated by
 * a tab, `\N` for NULL, and in each value's text input a backslash, newline, carriage return
 * and tab written as `\\`, `\n`, `\r`, `\t` (so no value can end a line or field early, and
 * no line can read as the `\.` end marker).
 */
import type { Row } from "@tributary/core";
import type { ColumnModel } from "../table-model.js";
import { formatterOf } from "./bind.js";

const COPY_SPECIALS = /[\\\n\r\t]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/** A value's text input as a COPY text field (`\N` for NULL). */
export function copyField(text: string | null): string {
  if (text === null) return "\\N";
  return text.replace(COPY_SPECIALS, (special) => COPY_ESCAPES[special] as string);
}

/** COPY text lines of `rows` for `columns` (in that order), each ending with a newline. */
export function copyRows(columns: readonly ColumnModel[], rows: readonly Row[]): string {
  const formatters = columns.map((column) => ({ field: column.field, format: formatterOf(column) }));
  let data = "";
  for (const row of rows) {
    let line = "";
    for (let i = 0; i < formatters.length; i++) {
      const { field, format } = formatters[i] as (typeof formatters)[number];
      if (i > 0) line += "\t";
      line += copyField(format(row[field]));
    }
    data += `${line}\n`;
  }
  return data;
}
