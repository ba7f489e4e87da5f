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

/** Most bytes of one chunk of `copyRowsUtf8`'s output (a larger row gets a chunk of its own size). */
const CHUNK_BYTES = 1 << 20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const UPPER_N = 0x4e;
/** Fields up to this long are written character by character when ASCII; longer ones by `Buffer.write`, cheaper for them. */
const SHORT_FIELD = 24;

/**
 * The same lines as `copyRows` (the batch's COPY data), written as UTF-8 straight into a few large Buffers (no text of
 * the whole batch is built and encoded afterwards): what `copyIn` sends, chunk by chunk.
 */
export function copyRowsUtf8(columns: readonly ColumnModel[], rows: readonly Row[]): Buffer[] {
  const count = columns.length;
  const fields = columns.map((column) => column.field);
  const formats = columns.map(formatterOf);
  const plain = columns.map((column) => PLAIN_KINDS.has(column.type.kind));
  const chunks: Buffer[] = [];
  let chunk = Buffer.allocUnsafe(rows.length === 0 ? 0 : CHUNK_BYTES);
  let at = 0;
  /** Room for `bytes` more in the chunk: else the chunk is finished and a new one started. */
  const reserve = (bytes: number) => {
    if (at + bytes <= chunk.length) return;
    if (at > 0) chunks.push(chunk.subarray(0, at));
    chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    at = 0;
  };
  for (const row of rows) {
    for (let i = 0; i < count; i++) {
      const text = (formats[i] as ValueFormatter)(row[fields[i] as string]);
      if (text === null) {
        reserve(3);
        chunk[at++] = BACKSLASH;
        chunk[at++] = UPPER_N;
      } else {
        // A UTF-16 unit takes at most 3 UTF-8 bytes (a surrogate pair 4 for its 2 units), and an
        // escaped ASCII character 2.
        reserve(text.length * 3 + 1);
        const ascii = text.length <= SHORT_FIELD ? writeAscii(chunk, at, text, !plain[i]) : -1;
        at = ascii >= 0 ? ascii : at + chunk.write(plain[i] ? text : copyField(text), at);
      }
      chunk[at++] = i === count - 1 ? NEWLINE : TAB;
    }
  }
  if (at > 0) chunks.push(chunk.subarray(0, at));
  return chunks;
}

/**
 * Writes `text` at `at` when it is all ASCII (escaping the COPY specials when `escapes`), one
 * character at a time: for a short field that is cheaper than a `Buffer.write` call.
 * Returns where it ended, or -1 (with `chunk` partly overwritten) at the first non-ASCII character.
 */
function writeAscii(chunk: Buffer, at: number, text: string, escapes: boolean): number {
  let end = at;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    if (escapes && code <= BACKSLASH) {
      const escaped = COPY_ESCAPED_AS[code];
      if (escaped !== undefined) {
        chunk[end++] = BACKSLASH;
        chunk[end++] = escaped;
        continue;
      }
    }
    chunk[end++] = code;
  }
  return end;
}

/** The letter after the backslash that escapes a COPY special (by its code; undefined for any other). */
export const COPY_ESCAPED_AS: readonly (number | undefined)[] = (() => {
  const table: (number | undefined)[] = new Array(BACKSLASH + 1).fill(undefined);
  table[BACKSLASH] = BACKSLASH;
  table[NEWLINE] = 0x6e; // n
  table[0x0d] = 0x72; // r
  table[TAB] = 0x74; // t
  return table;
})();
