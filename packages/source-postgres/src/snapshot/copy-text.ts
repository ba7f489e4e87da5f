/**
 * PostgreSQL's COPY text format (`COPY … TO STDOUT`, default options): one line per row, fields
 * separated by a tab, `\N` for NULL, and backslash escapes for backslash and the control
 * characters (`\b \f \n \r \t \v`; octal `\NNN` and `\xHH` are also read, as COPY FROM does).
 */
import { TributaryError } from "@tributary/core";

export const TAB = 9;
export const NEWLINE = 10;
export const BACKSLASH = 92;
const N = 78;

/** Node's UTF-8 decoder without `Buffer#toString`'s argument handling (untyped, present since Node 0.x). */
interface Utf8Sliceable {
  utf8Slice(start: number, end: number): string;
}

export function utf8Text(buffer: Buffer, start: number, end: number): string {
  return (buffer as unknown as Utf8Sliceable).utf8Slice(start, end);
}

/** True when bytes `start` to `end` are `\N`, COPY's NULL. */
export function isCopyNull(line: Buffer, start: number, end: number): boolean {
  return end - start === 2 && line[start] === BACKSLASH && line[start + 1] === N;
}

/** The text of a field that holds backslash escapes. */
export function unescapeField(line: Buffer, start: number, end: number): string {
  const bytes = Buffer.allocUnsafe(end - start);
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = line[i] as number;
    if (byte !== BACKSLASH || i + 1 === end) {
      bytes[length++] = byte;
      continue;
    }
    const next = line[++i] as number;
    if (next >= 48 && next <= 55) {
      let value = next - 48;
      for (
        let digits = 1;
        digits < 3 && i + 1 < end && (line[i + 1] as number) >= 48 && (line[i + 1] as number) <= 55;
        digits++
      ) {
        value = value * 8 + ((line[++i] as number) - 48);
      }
      bytes[length++] = value & 0xff;
    } else if (next === 120 && i + 1 < end && isHex(line[i + 1] as number)) {
      let value = hexValue(line[++i] as number);
      if (i + 1 < end && isHex(line[i + 1] as number)) value = value * 16 + hexValue(line[++i] as number);
      bytes[length++] = value;
    } else {
      bytes[length++] = ESCAPES[next] ?? next;
    }
  }
  return utf8Text(bytes, 0, length);
}

const ESCAPES: Readonly<Record<number, number>> = {
  98: 8, // \b
  102: 12, // \f
  110: 10, // \n
  114: 13, // \r
  116: 9, // \t
  118: 11, // \v
};

function isHex(byte: number): boolean {
  return (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 70) || (byte >= 97 && byte <= 102);
}

function hexValue(byte: number): number {
  return byte <= 57 ? byte - 48 : byte <= 70 ? byte - 55 : byte - 87;
}

/** The end of the field that starts at `start`: the next tab or newline (the line's end without one). */
export function fieldEnd(line: Buffer, start: number): number {
  const length = line.length;
  let i = start;
  while (i < length) {
    const byte = line[i] as number;
    if (byte === TAB || byte === NEWLINE) return i;
    i++;
  }
  return i;
}

/** The `columns` text values of a COPY text line, null for NULL. */
export function copyLineValues(line: Buffer, columns: number): (string | null)[] {
  const values: (string | null)[] = [];
  let start = 0;
  for (let i = 0; i < columns; i++) {
    const end = fieldEnd(line, start);
    const separator = line[end];
    const last = i === columns - 1;
    if (separator !== (last ? NEWLINE : TAB)) {
      throw new TributaryError(
        "TRB_PG_PROTOCOL",
        `a COPY row has ${last ? "more" : "fewer"} than the ${columns} columns the snapshot selected`,
      );
    }
    if (isCopyNull(line, start, end)) values.push(null);
    else if (line.indexOf(BACKSLASH, start) >= 0 && line.indexOf(BACKSLASH, start) < end)
      values.push(unescapeField(line, start, end));
    else values.push(utf8Text(line, start, end));
    start = end + 1;
  }
  return values;
}
