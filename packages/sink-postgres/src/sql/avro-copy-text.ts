/**
 * Row images still in their Avro binary form → the COPY text lines `copyRowsUtf8` writes for the
 * decoded rows, byte for byte, without decoding them into values first: for the columns whose
 * values' text input this writes from the bytes themselves (numbers, strings, dates and times,
 * decimals, bytes). A row record with any other field type has no layout here.
 */
import { type AvroRecordSchema, type AvroSchema, bytesToUnscaled, formatDecimal } from "@tributary/core";
import {
  civilTextOf,
  formatDate,
  formatTime,
  formatTimeOfNumber,
  formatTimestamp,
  formatTimestamptz,
  splitSafeDays,
} from "../datetime-format.js";
import type { ColumnModel } from "../table-model.js";
import { formatFloat } from "../value-text.js";
import { formatterOf } from "./bind.js";
import { COPY_ESCAPED_AS, copyField } from "./copy-text.js";

/** How a field's value (one branch of its union) is written. */
export const Kind = {
  Null: 0,
  Boolean: 1,
  Int: 2,
  Long: 3,
  Float: 4,
  Double: 5,
  /** string and uuid: the text, checked for NUL. */
  String: 6,
  /** A decimal's special value (NaN, ±Infinity): the text as it is. */
  Special: 7,
  Bytes: 8,
  Decimal: 9,
  Date: 10,
  Time: 11,
  Timestamptz: 12,
  Timestamp: 13,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface FieldLayout {
  /** The Avro field name (a column's `field`). */
  readonly name: string;
  /** The kind of each branch of the field's union, by branch index; null for a field that is no union. */
  readonly branches: readonly Kind[] | null;
  /** The kind of a field that is no union. */
  readonly kind: Kind;
  /** A decimal's scale (its branch's, for a union). */
  readonly scale: number;
}

/** A row record whose every field this module writes: how to walk one row's bytes. */
export interface AvroRowLayout {
  readonly fields: readonly FieldLayout[];
}

/** The layout of `row`'s fields, or null when a field has a type this module does not write. */
export function avroRowLayout(row: AvroRecordSchema): AvroRowLayout | null {
  const fields: FieldLayout[] = [];
  for (const field of row.fields) {
    const layout = fieldLayout(field.name, field.type);
    if (layout === null) return null;
    fields.push(layout);
  }
  return { fields };
}

/** Whether the layout's fields are the columns', in order (the model of the row's own writer schema). */
export function layoutMatches(layout: AvroRowLayout, columns: readonly ColumnModel[]): boolean {
  return (
    layout.fields.length === columns.length &&
    layout.fields.every((field, index) => columns[index]?.field === field.name)
  );
}

function fieldLayout(name: string, type: AvroSchema): FieldLayout | null {
  if (!Array.isArray(type)) {
    const plain = branchOf(type);
    return plain === null ? null : { name, branches: null, kind: plain.kind, scale: plain.scale };
  }
  const branches: Kind[] = [];
  let scale = 0;
  for (const branch of type as readonly AvroSchema[]) {
    const plain = branchOf(branch);
    if (plain === null) return null;
    branches.push(plain.kind);
    if (plain.kind === Kind.Decimal) scale = plain.scale;
  }
  return { name, branches, kind: Kind.Null, scale };
}

function branchOf(type: AvroSchema): { kind: Kind; scale: number } | null {
  const plain = (kind: Kind) => ({ kind, scale: 0 });
  if (typeof type === "string") {
    switch (type) {
      case "null":
        return plain(Kind.Null);
      case "boolean":
        return plain(Kind.Boolean);
      case "int":
        return plain(Kind.Int);
      case "long":
        return plain(Kind.Long);
      case "float":
        return plain(Kind.Float);
      case "double":
        return plain(Kind.Double);
      case "string":
        return plain(Kind.String);
      case "bytes":
        return plain(Kind.Bytes);
      default:
        return null;
    }
  }
  if (Array.isArray(type) || typeof type !== "object" || type === null) return null;
  const object = type as { type?: unknown; logicalType?: unknown; precision?: unknown; scale?: unknown };
  switch (`${String(object.type)}/${String(object.logicalType)}`) {
    case "int/date":
      return plain(Kind.Date);
    case "long/time-micros":
      return plain(Kind.Time);
    case "long/timestamp-micros":
      return plain(Kind.Timestamptz);
    case "long/local-timestamp-micros":
      return plain(Kind.Timestamp);
    case "string/uuid":
      return plain(Kind.String);
    case "string/tributary-numeric-special":
      return plain(Kind.Special);
    case "bytes/decimal": {
      const scale = object.scale ?? 0;
      if (typeof object.precision !== "number" || typeof scale !== "number") return null;
      return { kind: Kind.Decimal, scale };
    }
    default:
      return null;
  }
}

/** Where a row's Avro body starts, in a buffer that holds it. */
export interface AvroRowBytes {
  readonly bytes: Buffer;
  readonly start: number;
}

/**
 * The position after the row that starts at `start`, or -1 when the bytes are not a row of the
 * layout (a union branch it does not have, a length past the end).
 */
export function skipAvroRow(layout: AvroRowLayout, bytes: Buffer, start: number): number {
  const reader = new AvroCursor(bytes, start);
  for (const field of layout.fields) {
    let kind = field.kind;
    if (field.branches !== null) {
      const branch = field.branches[reader.readSmall()];
      // Also past the end, where the index reads as NaN.
      if (branch === undefined) return -1;
      kind = branch;
    }
    switch (kind) {
      case Kind.Null:
        break;
      case Kind.Boolean:
        reader.pos++;
        break;
      case Kind.Int:
      case Kind.Long:
      case Kind.Date:
      case Kind.Time:
      case Kind.Timestamptz:
      case Kind.Timestamp:
        reader.skipVarint();
        break;
      case Kind.Float:
        reader.pos += 4;
        break;
      case Kind.Double:
        reader.pos += 8;
        break;
      default: {
        const length = reader.readSmall();
        if (!(length >= 0)) return -1;
        reader.pos += length;
      }
    }
    if (!(reader.pos <= bytes.length)) return -1;
  }
  return reader.pos;
}

/** Most bytes of one chunk of the output (a larger row gets a chunk of its own size); as `copyRowsUtf8`. */
export const CHUNK_BYTES = 1 << 20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const UPPER_N = 0x4e;
const LOWER_X = 0x78;
const LETTER_T = 0x74;
const LETTER_F = 0x66;
const NUL = 0x00;
const LONGEST_SAFE_VARINT = 8;
const SPACE = 0x20;
const PLUS = 0x2b;
const POINT = 0x2e;
const DIGIT_0 = 0x30;
const COLON = 0x3a;
const UPPER_B = 0x42;
const UPPER_C = 0x43;
/**
 * Texts up to this many bytes are copied byte by byte; longer ones are scanned, then copied at
 * once. Measured on ASCII texts: byte by byte took 74-759 ns for 32-512 bytes against 169-873 ns
 * for scan and copy (whose copy also makes a view object per text), and 2,020 against 1,351 ns
 * for 1,024 bytes.
 */
export const SHORT_TEXT = 512;
const MINUS = 0x2d;

/**
 * The COPY text lines of `rows` (each a row of `layout`, checked by `skipAvroRow`), for `columns`
 * (`layoutMatches`): the Buffers `copyRowsUtf8` returns for the same rows decoded.
 */
export function copyAvroRowsUtf8(
  layout: AvroRowLayout,
  columns: readonly ColumnModel[],
  rows: readonly AvroRowBytes[],
): Buffer[] {
  const output = new CopyChunks(rows.length === 0 ? 0 : CHUNK_BYTES);
  const fields = layout.fields;
  const count = fields.length;
  const reader = new AvroCursor(Buffer.alloc(0), 0);
  for (const row of rows) {
    reader.bytes = row.bytes;
    reader.pos = row.start;
    for (let i = 0; i < count; i++) {
      const field = fields[i] as FieldLayout;
      const kind = field.branches === null ? field.kind : (field.branches[reader.readSmall()] as Kind);
      writeValue(output, reader, kind, field.scale, columns[i] as ColumnModel);
      output.byte(i === count - 1 ? NEWLINE : TAB);
    }
  }
  return output.finish();
}

function writeValue(output: CopyChunks, reader: AvroCursor, kind: Kind, scale: number, column: ColumnModel) {
  switch (kind) {
    case Kind.Null:
      output.reserve(3);
      output.chunk[output.at++] = BACKSLASH;
      output.chunk[output.at++] = UPPER_N;
      return;
    case Kind.Boolean:
      output.reserve(2);
      output.chunk[output.at++] = reader.bytes[reader.pos++] === 0 ? LETTER_F : LETTER_T;
      return;
    case Kind.Int:
      output.integer(reader.readSmall());
      return;
    case Kind.Long: {
      const value = reader.readLong();
      if (typeof value === "number") output.integer(value);
      else output.ascii(value.toString());
      return;
    }
    case Kind.Float:
      output.ascii(formatFloat(reader.bytes.readFloatLE(reader.pos)));
      reader.pos += 4;
      return;
    case Kind.Double:
      output.ascii(formatFloat(reader.bytes.readDoubleLE(reader.pos)));
      reader.pos += 8;
      return;
    case Kind.Date:
      output.ascii(formatDate(reader.readSmall()));
      return;
    case Kind.Time: {
      const value = reader.readLong();
      output.ascii(typeof value === "number" ? formatTimeOfNumber(value) : formatTime(value));
      return;
    }
    case Kind.Timestamptz: {
      const value = reader.readLong();
      if (typeof value === "number") output.timestamp(value, true);
      else output.ascii(formatTimestamptz(value));
      return;
    }
    case Kind.Timestamp: {
      const value = reader.readLong();
      if (typeof value === "number") output.timestamp(value, false);
      else output.ascii(formatTimestamp(value));
      return;
    }
    case Kind.Decimal: {
      const length = reader.readSmall();
      const start = reader.pos;
      reader.pos += length;
      if (length > 6) {
        output.ascii(formatDecimal(bytesToUnscaled(reader.bytes.subarray(start, start + length)), scale));
      } else {
        output.decimal(shortUnscaled(reader.bytes, start, length), scale);
      }
      return;
    }
    case Kind.Bytes: {
      // `\x` and the hex digits, with COPY's escape of the backslash.
      const length = reader.readSmall();
      output.reserve(length * 2 + 4);
      output.chunk[output.at++] = BACKSLASH;
      output.chunk[output.at++] = BACKSLASH;
      output.chunk[output.at++] = LOWER_X;
      output.at += output.chunk.write(
        reader.bytes.toString("hex", reader.pos, reader.pos + length),
        output.at,
        "latin1",
      );
      reader.pos += length;
      return;
    }
    case Kind.String:
    case Kind.Special: {
      const length = reader.readSmall();
      const start = reader.pos;
      reader.pos += length;
      output.text(reader.bytes, start, reader.pos, kind === Kind.String ? column : null);
      return;
    }
  }
}

/** The unscaled value of a decimal of at most 6 bytes (two's complement, big-endian): exact as a number. */
export function shortUnscaled(bytes: Buffer, start: number, length: number): number {
  let value = length > 0 && ((bytes[start] as number) & 0x80) !== 0 ? -1 : 0;
  for (let i = start; i < start + length; i++) value = value * 256 + (bytes[i] as number);
  return value;
}

/** A read position in Avro binary bytes (reading past the end gives NaN or garbage and a position past it). */
export class AvroCursor {
  constructor(
    public bytes: Buffer,
    public pos: number,
  ) {}

  /** A zig-zag varint that fits 32 bits (a union index, a length, an int). */
  readSmall(): number {
    const bytes = this.bytes;
    let byte = bytes[this.pos++] as number;
    let zigzag = byte & 0x7f;
    let scale = 128;
    while (byte & 0x80) {
      byte = bytes[this.pos++] as number;
      zigzag += (byte & 0x7f) * scale;
      scale *= 128;
    }
    return zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2;
  }

  /** A zig-zag varint long: a number when it is a safe integer, else a bigint (as core's long reader). */
  readLong(): number | bigint {
    const bytes = this.bytes;
    let pos = this.pos;
    let byte = bytes[pos++] as number;
    let zigzag = byte & 0x7f;
    let scale = 128;
    for (let count = 1; byte & 0x80; count++) {
      if (count === LONGEST_SAFE_VARINT) return this.readBigLong();
      byte = bytes[pos++] as number;
      zigzag += (byte & 0x7f) * scale;
      scale *= 128;
    }
    if (zigzag > Number.MAX_SAFE_INTEGER) return this.readBigLong();
    this.pos = pos;
    return zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2;
  }

  /** A varint long beyond the safe integers, exactly. */
  private readBigLong(): bigint {
    const bytes = this.bytes;
    let zigzag = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = bytes[this.pos++] as number;
      zigzag |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    return BigInt.asIntN(64, (zigzag >> 1n) ^ -(zigzag & 1n));
  }

  /** Past the end, `pos` ends past the length. */
  skipVarint(): void {
    const bytes = this.bytes;
    let byte: number | undefined;
    do {
      byte = bytes[this.pos++];
    } while (byte !== undefined && byte & 0x80);
  }
}

/** 1 for the bytes a text is not copied as it is with: COPY's specials, NUL, and those of non-ASCII characters. */
const NOT_COPIED_AS_IS = (() => {
  const table = new Uint8Array(256);
  for (const code of [NUL, TAB, NEWLINE, 0x0d, BACKSLASH]) table[code] = 1;
  table.fill(1, 0x80);
  return table;
})();

/** The output: a few large Buffers, filled one after the other (as `copyRowsUtf8`). */
export class CopyChunks {
  private readonly chunks: Buffer[] = [];
  chunk: Buffer;
  at = 0;

  constructor(first: number) {
    this.chunk = Buffer.allocUnsafe(first);
  }

  /** Room for `bytes` more in the chunk: else the chunk is finished and a new one started. */
  reserve(bytes: number): void {
    if (this.at + bytes <= this.chunk.length) return;
    if (this.at > 0) this.chunks.push(this.chunk.subarray(0, this.at));
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    this.at = 0;
  }

  byte(value: number): void {
    this.chunk[this.at++] = value;
  }

  /** A text of ASCII characters none of which COPY escapes (numbers, dates, times). */
  ascii(text: string): void {
    this.reserve(text.length + 1);
    const chunk = this.chunk;
    let at = this.at;
    for (let i = 0; i < text.length; i++) chunk[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** `String(value)` of a safe integer, written digit by digit. */
  integer(value: number): void {
    this.decimal(value, 0);
  }

  /** `formatDecimal` of a safe-integer unscaled `value`, written digit by digit. */
  decimal(value: number, scale: number): void {
    this.reserve(scale + 20);
    const chunk = this.chunk;
    let at = this.at;
    let rest = value;
    if (rest < 0) {
      chunk[at++] = MINUS;
      rest = -rest;
    }
    // At least one digit before the point.
    const digits = Math.max(digitCount(rest), scale + 1);
    const end = at + digits + (scale > 0 ? 1 : 0);
    let position = end;
    for (let i = 0; i < digits; i++) {
      if (i === scale && scale > 0) chunk[--position] = POINT;
      chunk[--position] = DIGIT_0 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.at = end;
  }

  /**
   * `formatTimestamptz` (`zone`) or `formatTimestamp` of a safe-integer count of microseconds,
   * written digit by digit: `YYYY-MM-DD HH:MM:SS`, `.` and the microseconds without trailing
   * zeros when not zero, `+00` with `zone`, ` BC` before 1 AD.
   */
  timestamp(micros: number, zone: boolean): void {
    const { days, ofDay } = splitSafeDays(micros);
    const { date, bc } = civilTextOf(days);
    this.reserve(date.length + 26);
    const chunk = this.chunk;
    let at = this.at;
    for (let i = 0; i < date.length; i++) chunk[at++] = date.charCodeAt(i);
    chunk[at++] = SPACE;
    const seconds = Math.floor(ofDay / 1_000_000);
    let fraction = ofDay - seconds * 1_000_000;
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor(seconds / 60) % 60;
    const second = seconds % 60;
    chunk[at++] = DIGIT_0 + Math.floor(hours / 10);
    chunk[at++] = DIGIT_0 + (hours % 10);
    chunk[at++] = COLON;
    chunk[at++] = DIGIT_0 + Math.floor(minutes / 10);
    chunk[at++] = DIGIT_0 + (minutes % 10);
    chunk[at++] = COLON;
    chunk[at++] = DIGIT_0 + Math.floor(second / 10);
    chunk[at++] = DIGIT_0 + (second % 10);
    if (fraction !== 0) {
      chunk[at++] = POINT;
      let digits = 6;
      while (fraction % 10 === 0) {
        fraction /= 10;
        digits--;
      }
      for (let i = digits - 1; i >= 0; i--) {
        chunk[at + i] = DIGIT_0 + (fraction % 10);
        fraction = Math.floor(fraction / 10);
      }
      at += digits;
    }
    if (zone) {
      chunk[at++] = PLUS;
      chunk[at++] = DIGIT_0;
      chunk[at++] = DIGIT_0;
    }
    if (bc) {
      chunk[at++] = SPACE;
      chunk[at++] = UPPER_B;
      chunk[at++] = UPPER_C;
    }
    this.at = at;
  }

  /**
   * The UTF-8 text in `bytes` from `start` to `end`, COPY-escaped: ASCII byte by byte, other text
   * decoded and written as `copyRowsUtf8` writes it. With `column`, a NUL character fails as the
   * column's formatter fails on it.
   */
  text(bytes: Buffer, start: number, end: number, column: ColumnModel | null): void {
    this.reserve((end - start) * 3 + 1);
    let plain = end - start > SHORT_TEXT;
    for (let i = start; plain && i < end; i++) {
      if (NOT_COPIED_AS_IS[bytes[i] as number] !== 0) plain = false;
    }
    if (plain) {
      this.at += bytes.copy(this.chunk, this.at, start, end);
      return;
    }
    const chunk = this.chunk;
    let at = this.at;
    for (let i = start; i < end; i++) {
      const code = bytes[i] as number;
      if (code >= 0x80 || code === NUL) {
        this.writeDecoded(bytes, start, end, column);
        return;
      }
      if (code <= BACKSLASH) {
        const escaped = COPY_ESCAPED_AS[code];
        if (escaped !== undefined) {
          chunk[at++] = BACKSLASH;
          chunk[at++] = escaped;
          continue;
        }
      }
      chunk[at++] = code;
    }
    this.at = at;
  }

  private writeDecoded(bytes: Buffer, start: number, end: number, column: ColumnModel | null): void {
    const decoded = bytes.toString("utf8", start, end);
    const text = column === null ? decoded : (formatterOf(column)(decoded) as string);
    this.at += this.chunk.write(copyField(text), this.at);
  }

  finish(): Buffer[] {
    if (this.at > 0) this.chunks.push(this.chunk.subarray(0, this.at));
    return this.chunks;
  }
}

/** The decimal digits of a non-negative safe integer (1 for 0). */
function digitCount(value: number): number {
  let count = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) count++;
  return count;
}
