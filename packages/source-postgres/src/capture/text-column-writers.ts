/**
 * Writers of one column's PostgreSQL text value straight into its nullable Avro field (`["null",
 * T]`, or `["null", decimal, numeric-special]`), with no in-memory value in between: the bytes
 * `encode` writes for the value its text parser produces. A column whose type has no writer
 * here, and any value a writer is not sure of, goes the general way (parse, then the field's
 * part of the compiled schema), which also raises the errors of invalid values.
 */
import type { AvroBinaryWriter, AvroSchema, PartEncoder } from "@tributary/core";
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
  const valueType = nullableBranch(fieldType);
  if (valueType === undefined) return decimalWriter(fieldType, slow) ?? slow;
  const name = typeof valueType === "string" ? valueType : typeName(valueType);
  const logical = typeof valueType === "string" ? undefined : logicalTypeOf(valueType);
  if (parse === parseText && name === "string" && logical === undefined) {
    return (text, output) => {
      output.writeByte(VALUE_BRANCH);
      output.writeString(text);
    };
  }
  if (parse === parseInt32 && name === "int" && logical === undefined) {
    return (text, output) => {
      const value = Number(text);
      if (!isInt32(value) || text.length === 0) return slow(text, output);
      output.writeByte(VALUE_BRANCH);
      output.writeLong(value);
    };
  }
  if (parse === parseInt64 && name === "long" && logical === undefined) {
    return (text, output) => {
      if (!isShortInteger(text)) return slow(text, output);
      output.writeByte(VALUE_BRANCH);
      output.writeLong(Number(text));
    };
  }
  if (parse === parseBoolean && name === "boolean") {
    return (text, output) => {
      if (text !== "t" && text !== "f") return slow(text, output);
      output.writeByte(VALUE_BRANCH);
      output.writeBoolean(text === "t");
    };
  }
  if ((parse === parseFloat8 && name === "double") || (parse === parseFloat4 && name === "float")) {
    const double = name === "double";
    return (text, output) => {
      const value = Number(text);
      if (Number.isNaN(value) && text !== "NaN") return slow(text, output);
      output.writeByte(VALUE_BRANCH);
      if (double) output.writeDouble(value);
      else output.writeFloat(value);
    };
  }
  if (parse === parseDate && name === "int" && logical === "date") {
    return (text, output) => {
      const days = parseDate(text);
      if (!isInt32(days)) return general(days, output);
      output.writeByte(VALUE_BRANCH);
      output.writeLong(days);
    };
  }
  if (
    name === "long" &&
    ((parse === parseTimestamptz && logical === "timestamp-micros") ||
      (parse === parseTimestamp && logical === "local-timestamp-micros"))
  ) {
    return (text, output) => {
      const micros = parse(text) as bigint;
      if (micros > SAFE_LONG || micros < -SAFE_LONG) return general(micros, output);
      output.writeByte(VALUE_BRANCH);
      output.writeLong(Number(micros));
    };
  }
  return slow;
}

/**
 * `numeric(p,s)` text → `["null", decimal(p,s), numeric-special]`. PostgreSQL writes a value
 * of such a column with exactly `s` fraction digits; the writer takes values of at most 15
 * digits that look so, and leaves every other text to the general way.
 */
function decimalWriter(fieldType: AvroSchema, slow: TextColumnWriter): TextColumnWriter | undefined {
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
  return (text, output) => {
    if (text === "NaN" || text === "Infinity" || text === "-Infinity") {
      output.writeByte(SPECIAL_BRANCH);
      output.writeString(text);
      return;
    }
    if (!writeDecimal(text, precision, scale, output)) slow(text, output);
  };
}

/** Writes `text` as the decimal branch when it is plain digits with exactly `scale` fraction digits; false otherwise. */
function writeDecimal(text: string, precision: number, scale: number, output: AvroBinaryWriter): boolean {
  const length = text.length;
  const negative = text.charCodeAt(0) === MINUS;
  const start = negative ? 1 : 0;
  const point = scale === 0 ? length : length - scale - 1;
  if (point <= start || (scale > 0 && text.charCodeAt(point) !== DOT)) return false;
  let unscaled = 0;
  let digits = 0;
  for (let i = start; i < length; i++) {
    if (i === point) continue;
    const code = text.charCodeAt(i);
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
