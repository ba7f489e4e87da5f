/**
 * Rows → the data of `COPY … FROM STDIN` in text format: one line per row, columns separated by
 * a tab, `\N` for NULL, and in each value's text input a backslash, newline, carriage return
 * and tab written as `\\`, `\n`, `\r`, `\t` (so no value can end a line or field early, and
 * no line can read as the `\.` end marker).
 */
import type { ColumnType, Row } from "@tributary/core";
import type { ColumnModel } from "../table-model.js";
import type { ValueFormatter } from "../value-text.js";
import { formatterOf } from "./bind.js";

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIALS = /[\\\n\r\t]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};
const escapeSpecial = (special: string) => COPY_ESCAPES[special] as string;

/**
 * Column types whose text input is written from a number or a boolean here, so it never holds a
 * backslash, newline, carriage return or tab (strings, even decimals and uuids, are checked).
 */
const PLAIN_KINDS: ReadonlySet<ColumnType["kind"]> = new Set([
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "date",
  "time-micros",
  "timestamp-micros",
  "local-timestamp-micros",
]);

/** A value's text input as a COPY text field (`\N` for NULL). */
export function copyField(text: string | null): string {
  if (text === null) return "\\N";
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIALS, escapeSpecial) : text;
}

/** COPY text lines of `rows` for `columns` (in that order), each ending with a newline. */
export function copyRows(columns: readonly ColumnModel[], rows: readonly Row[]): string {
  const count = columns.length;
  const fields = columns.map((column) => column.field);
  const formats = columns.map(formatterOf);
  const plain = columns.map((column) => PLAIN_KINDS.has(column.type.kind));
  let data = "";
  for (const row of rows) {
    for (let i = 0; i < count; i++) {
      const text = (formats[i] as ValueFormatter)(row[fields[i] as string]);
      data += text === null ? "\\N" : plain[i] ? text : copyField(text);
      data += i === count - 1 ? "\n" : "\t";
    }
  }
  return data;
}
