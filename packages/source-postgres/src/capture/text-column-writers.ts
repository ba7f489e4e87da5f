/**
 * Writers of one column's PostgreSQL text value straight into its nullable Avro field (`["null",
 * T]`, or `["null", decimal, numeric-special]`), with no in-memory value in between: the bytes
 * `encode` writes for the value its text parser produces. A column whose type has no writer
 * here, and any value a writer is not sure of, goes the general way (parse, then the field's
 * part of the compiled schema), which also raises the errors of invalid values.
 */
import type { AvroBinaryWriter, AvroSchema, PartEncoder } from "@tributary/core";
import { utf8Text } from "../snapshot/copy-text.js";
import { parseDate, parseTimestamp, parseTimestamptz } from "../types/datetime-text.js";
import {
  parseBoolean,
  parseFloat4,
  parseFloat8,
  parseInt32,
  parseInt64,
  parseText,
  type TextParser,
} from "../types/text-values.js";

/** Writes a non-null text value as the field (union branch index included). */
export type TextColumnWriter = (text: string, output: AvroBinaryWriter) => void;

/** The union index of a `["null", T]` field's value branch, as a zig-zag varint byte. */
const VALUE_BRANCH = 2;
/** The union index of the `tributary-numeric-special` branch of `["null", decimal, special]`. */
const SPECIAL_BRANCH = 4;

/** Within ±2^52 a long is written from a number exactly as avsc writes it (see logical-types.ts). */
const SAFE_LONG = 2 ** 52;
/** Digits that always make an exact double. */
const EXACT_DIGITS = 15;

const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

type ColumnKind =
  | { kind: "string" | "int" | "long" | "boolean" | "double" | "float" | "date" | "timestamp" | "general" }
  | { kind: "decimal"; precision: number; scale: number };

/** Which writer a column with text parser `parse` and Avro field type `fieldType` gets. */
function columnKind(parse: TextParser, fieldType: AvroSchema): ColumnKind {
  const valueType = nullableBranch(fieldType);
  if (valueType === undefined) return decimalKind(fieldType) ?? { kind: "general" };
  const name = typeName(valueType);
  const logical = logicalTypeOf(valueType);
  if (parse === parseText && name === "string" && logical === undefined) return { kind: "string" };
  if (parse === parseInt32 && name === "int" && logical === undefined) return { kind: "int" };
  if (parse === parseInt64 && name === "long" && logical === undefined) return { kind: "long" };
  if (parse === parseBoolean && name === "boolean") return { kind: "boolean" };
  if (parse === parseFloat8 && name === "double") return { kind: "double" };
  if (parse === parseFloat4 && name === "float") return { kind: "float" };
  if (parse === parseDate && name === "int" && logical === "date") return { kind: "date" };
  if (
    name === "long" &&
    ((parse === parseTimestamptz && logical === "timestamp-micros") ||
      (parse === parseTimestamp && logical === "local-timestamp-micros"))
  ) {
    return { kind: "timestamp" };
  }
  return { kind: "general" };
}

/**
 * The writer of a column with text parser `parse` and Avro field type `fieldType`; `general`
 * writes a parsed value through the compiled schema.
 */
export function textColumnWriter(
  parse: TextParser,
  fieldType: AvroSchema,
  general: PartEncoder,
): TextColumnWriter {
  const slow: TextColumnWriter = (text, output) => general(parse(text), output);
  const column = columnKind(parse, fieldType);
  switch (column.kind) {
    case "string":
      return (text, output) => {
        output.writeByte(VALUE_BRANCH);
        output.writeString(text);
      };
    case "int":
      return (text, output) => {
        const value = Number(text);
        if (!isInt32(value) || text.length === 0) return slow(text, output);
        output.writeByte(VALUE_BRANCH);
        output.writeLong(value);
      };
    case "long":
      return (text, output) => {
        if (!isShortInteger(text)) return slow(text, output);
        output.writeByte(VALUE_BRANCH);
        output.writeLong(Number(text));
      };
    case "boolean":
      return (text, output) => {
        if (text !== "t" && text !== "f") return slow(text, output);
        output.writeByte(VALUE_BRANCH);
        output.writeBoolean(text === "t");
      };
    case "double":
    case "float": {
      const double = column.kind === "double";
      return (text, output) => {
        const value = Number(text);
        if (Number.isNaN(value) && text !== "NaN") return slow(text, output);
        output.writeByte(VALUE_BRANCH);
        if (double) output.writeDouble(value);
        else output.writeFloat(value);
      };
    }
    case "date":
      return (text, output) => {
        const days = parseDate(text);
        if (!isInt32(days)) return general(days, output);
        output.writeByte(VALUE_BRANCH);
        output.writeLong(days);
      };
    case "timestamp":
      return (text, output) => {
        const micros = parse(text) as bigint;
        if (micros > SAFE_LONG || micros < -SAFE_LONG) return general(micros, output);
        output.writeByte(VALUE_BRANCH);
        output.writeLong(Number(micros));
      };
    case "decimal": {
      const { precision, scale } = column;
      return (text, output) => {
        if (text === "NaN" || text === "Infinity" || text === "-Infinity") {
          output.writeByte(SPECIAL_BRANCH);
          output.writeString(text);
          return;
        }
        const codes = asciiCodes(text);
        if (codes === undefined || !writeDecimal(codes, 0, text.length, precision, scale, output)) {
          slow(text, output);
        }
      };
    }
    case "general":
      return slow;
  }
}

/**
 * Writes a non-null field given as its bytes in a COPY text line, `start` to `end`, holding no
 * backslash escape: the bytes the text writer writes for the field's text. Numbers and ASCII
 * strings are written from the bytes; everything else through the text writer.
 */
export type CopyFieldWriter = (line: Buffer, start: number, end: number, output: AvroBinaryWriter) => void;

export function copyFieldWriter(
  text: TextColumnWriter,
  parse: TextParser,
  fieldType: AvroSchema,
): CopyFieldWriter {
  const slow: CopyFieldWriter = (line, start, end, output) => text(utf8Text(line, start, end), output);
  const column = columnKind(parse, fieldType);
  switch (column.kind) {
    case "string":
      return (line, start, end, output) => {
        // Non-ASCII text is decoded and encoded again, so that the bytes are UTF-8 whatever the server sent.
        if (!isAscii(line, start, end)) return slow(line, start, end, output);
        output.writeByte(VALUE_BRANCH);
        output.writeLong(end - start);
        output.writeSlice(line, start, end);
      };
    case "int":
    case "long":
      return (line, start, end, output) => {
        const value = shortInteger(line, start, end);
        if (value === undefined || (column.kind === "int" && !isInt32(value)))
          return slow(line, start, end, output);
        output.writeByte(VALUE_BRANCH);
        output.writeLong(value);
      };
    case "boolean":
      return (line, start, end, output) => {
        const byte = line[start];
        if (end - start !== 1 || (byte !== T && byte !== F)) return slow(line, start, end, output);
        output.writeByte(VALUE_BRANCH);
        output.writeBoolean(byte === T);
      };
    case "decimal": {
      const { precision, scale } = column;
      return (line, start, end, output) => {
        if (!writeDecimal(line, start, end, precision, scale, output)) slow(line, start, end, output);
      };
    }
    default:
      return slow;
  }
}

const T = 116;
const F = 102;

function isAscii(line: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((line[i] as number) >= 0x80) return false;
  return true;
}

/** Optional minus and 1 to 15 digits as a number; undefined for anything else. */
function shortInteger(line: Buffer, start: number, end: number): number | undefined {
  const negative = line[start] === MINUS;
  const first = negative ? start + 1 : start;
  if (end === first || end - first > EXACT_DIGITS) return undefined;
  let value = 0;
  for (let i = first; i < end; i++) {
    const code = line[i] as number;
    if (code < ZERO || code > NINE) return undefined;
    value = value * 10 + (code - ZERO);
  }
  return negative ? -value : value;
}

const CODES = new Uint8Array(64);

/** An ASCII string's characters as bytes (in a shared scratch array), or undefined. */
function asciiCodes(text: string): Uint8Array | undefined {
  if (text.length > CODES.length) return undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return undefined;
    CODES[i] = code;
  }
  return CODES;
}

/**
 * `["null", decimal(p,s), numeric-special]`, the field of a `numeric(p,s)` column. PostgreSQL
 * writes such a value with exactly `s` fraction digits; the writers take values of at most 15
 * digits that look so, and leave every other text to the general way.
 */
function decimalKind(fieldType: AvroSchema): ColumnKind | undefined {
  if (!Array.isArray(fieldType) || fieldType.length !== 3 || fieldType[0] !== "null") return undefined;
  const [, decimal, special] = fieldType as readonly AvroSchema[];
  if (
    typeof decimal !== "object" ||
    decimal === null ||
    Array.isArray(decimal) ||
    typeName(decimal) !== "bytes" ||
    logicalTypeOf(decimal) !== "decimal" ||
    typeof special !== "object" ||
    special === null ||
    Array.isArray(special) ||
    logicalTypeOf(special) !== "tributary-numeric-special"
  ) {
    return undefined;
  }
  const { precision, scale = 0 } = decimal as { precision?: unknown; scale?: unknown };
  if (typeof precision !== "number" || typeof scale !== "number") return undefined;
  return { kind: "decimal", precision, scale };
}

/**
 * Writes the characters `from` to `to` as the decimal branch when they are plain digits with
 * exactly `scale` fraction digits; false otherwise.
 */
function writeDecimal(
  text: Uint8Array,
  from: number,
  to: number,
  precision: number,
  scale: number,
  output: AvroBinaryWriter,
): boolean {
  const negative = text[from] === MINUS;
  const start = negative ? from + 1 : from;
  const point = scale === 0 ? to : to - scale - 1;
  if (point <= start || (scale > 0 && text[point] !== DOT)) return false;
  let unscaled = 0;
  let digits = 0;
  for (let i = start; i < to; i++) {
    if (i === point) continue;
    const code = text[i] as number;
    if (code < ZERO || code > NINE) return false;
    if (unscaled !== 0 || code !== ZERO) digits++;
    unscaled = unscaled * 10 + (code - ZERO);
  }
  if (digits > EXACT_DIGITS || Math.max(digits, 1) > precision) return false;
  // Shortest big-endian two's complement, as Java's BigInteger (and unscaledToBytes) writes it:
  // a negative value is the complement of (−value − 1).
  let magnitude = negative && unscaled !== 0 ? unscaled - 1 : unscaled;
  const complement = negative && unscaled !== 0;
  let size = 1;
  for (let limit = 128; magnitude >= limit; limit *= 256) size++;
  output.writeByte(VALUE_BRANCH);
  output.writeLong(size);
  output.reserve(size);
  const buffer = output.buffer;
  const end = output.position + size;
  for (let i = end - 1; i >= output.position; i--) {
    const byte = magnitude % 256;
    buffer[i] = complement ? 255 - byte : byte;
    magnitude = (magnitude - byte) / 256;
  }
  output.position = end;
  return true;
}

/** Optional minus and 1 to 15 digits: a long Number() reads exactly. */
function isShortInteger(text: string): boolean {
  const length = text.length;
  const start = text.charCodeAt(0) === MINUS ? 1 : 0;
  if (length === start || length - start > EXACT_DIGITS) return false;
  for (let i = start; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < ZERO || code > NINE) return false;
  }
  return true;
}

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= -2147483648 && value <= 2147483647;
}

/** T of a `["null", T]` field type. */
function nullableBranch(fieldType: AvroSchema): AvroSchema | undefined {
  if (!Array.isArray(fieldType) || fieldType.length !== 2 || fieldType[0] !== "null") return undefined;
  return (fieldType as readonly AvroSchema[])[1];
}

function typeName(schema: AvroSchema): string | undefined {
  if (typeof schema === "string") return schema;
  if (Array.isArray(schema) || schema === null || typeof schema !== "object") return undefined;
  const type = (schema as { type?: unknown }).type;
  return typeof type === "string" ? type : undefined;
}

function logicalTypeOf(schema: AvroSchema): string | undefined {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return undefined;
  const logical = (schema as { logicalType?: unknown }).logicalType;
  return typeof logical === "string" ? logical : undefined;
}
