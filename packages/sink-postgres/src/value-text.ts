/**
 * A column value in the codec's in-memory form → PostgreSQL's text input for the column, the
 * exact inverse of the PostgreSQL source's text parsing (`source-postgres/src/types/text-values.ts`).
 * The text is what a statement binds (inside a text array) and what COPY sends, so nothing here
 * depends on the connection's type parsers. It assumes a session with DateStyle ISO (any
 * TimeZone: timestamptz text carries `+00`) and a UTF-8 client encoding.
 *
 * A formatter is built once per column and then called for every value.
 */
import { type ColumnType, type ColumnValue, lowerBoundsOf } from "@tributary/core";
import { formatDate, formatTime, formatTimestamp, formatTimestamptz } from "./datetime-format.js";
import { valueUnsupported } from "./errors.js";

/** Text input of a value; null for SQL NULL. */
export type ValueFormatter = (value: ColumnValue | undefined) => string | null;

export interface FormatterOptions {
  /** The target column, named in errors. */
  readonly column: string;
  /** Separator of array elements (`;` for arrays of `box`); `,` when absent. */
  readonly delimiter?: string;
}

type ElementFormatter = (value: ColumnValue) => string;

/** The formatter of a column whose values have `type`. */
export function valueFormatter(type: ColumnType, options: FormatterOptions): ValueFormatter {
  const element = nonNullFormatter(type, options.column, options.delimiter ?? ",");
  return (value) => {
    if (value === null) return null;
    if (value === undefined) {
      throw valueUnsupported(
        `the row has no value for column ${options.column}; its event was written with an older schema of ` +
          "the table, so apply it with that schema's table model",
        { column: options.column },
      );
    }
    return element(value);
  };
}

function wrongForm(column: string, expected: string): Error {
  return valueUnsupported(
    `a value of column ${column} is not ${expected}, the in-memory form of its Avro type`,
    {
      column,
      expected,
    },
  );
}

function nonNullFormatter(type: ColumnType, column: string, delimiter: string): ElementFormatter {
  switch (type.kind) {
    case "boolean":
      return (value) => {
        if (typeof value !== "boolean") throw wrongForm(column, "a boolean");
        return value ? "t" : "f";
      };
    case "int":
      return (value) => {
        if (typeof value !== "number" || !Number.isInteger(value))
          throw wrongForm(column, "an integer number");
        return String(value);
      };
    case "long":
      return (value) => {
        if (typeof value === "bigint") return value.toString();
        if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
        throw wrongForm(column, "a bigint");
      };
    case "float":
    case "double":
      return (value) => {
        if (typeof value !== "number") throw wrongForm(column, "a number");
        return formatFloat(value);
      };
    case "decimal":
      // Exact decimal text (or NaN / Infinity / -Infinity), which numeric's input reads as it is.
      return (value) => {
        if (typeof value !== "string") throw wrongForm(column, "a decimal string");
        return value;
      };
    case "string":
    case "uuid":
      return (value) => {
        if (typeof value !== "string") throw wrongForm(column, "a string");
        if (value.includes("\u0000")) {
          throw valueUnsupported(
            `a value of column ${column} holds a NUL character (U+0000), which PostgreSQL text cannot store; ` +
              "remove it at the source, or exclude the column or the table from the sink",
            { column },
          );
        }
        return value;
      };
    case "bytes":
      return (value) => {
        if (!Buffer.isBuffer(value)) throw wrongForm(column, "a Buffer");
        return `\\x${value.toString("hex")}`;
      };
    case "date":
      return (value) => {
        if (typeof value !== "number" || !Number.isInteger(value)) throw wrongForm(column, "a day count");
        return formatDate(value);
      };
    case "time-micros":
      return (value) => {
        if (typeof value !== "bigint") throw wrongForm(column, "a bigint of microseconds");
        return formatTime(value);
      };
    case "timestamp-micros":
      return (value) => {
        if (typeof value !== "bigint") throw wrongForm(column, "a bigint of microseconds");
        return formatTimestamptz(value);
      };
    case "local-timestamp-micros":
      return (value) => {
        if (typeof value !== "bigint") throw wrongForm(column, "a bigint of microseconds");
        return formatTimestamp(value);
      };
    case "array":
      return arrayFormatter(type, column, delimiter);
  }
}

/** float4/float8 text: the shortest text that reads back as the same number, and NaN, ±Infinity and -0 spelled out. */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

/**
 * A PostgreSQL array literal: `{…}` per level, elements separated by `delimiter`, every non-null
 * element double-quoted with `"` and `\` escaped, `NULL` for a null element; led by its bounds
 * (`[0:2]=`) when the value is marked with lower bounds other than 1.
 */
function arrayFormatter(
  type: Extract<ColumnType, { kind: "array" }>,
  column: string,
  delimiter: string,
): ElementFormatter {
  const nested = type.items.kind === "array";
  const item = nonNullFormatter(type.items, column, delimiter);
  return (value) => {
    if (!Array.isArray(value)) throw wrongForm(column, "an array");
    let text = "{";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += delimiter;
      const element = value[i] as ColumnValue;
      if (element === null || element === undefined) {
        if (nested) {
          throw valueUnsupported(
            `a value of column ${column} has a null sub-array, which a PostgreSQL array cannot hold`,
            { column },
          );
        }
        text += "NULL";
      } else {
        text += nested ? item(element) : quoteElement(item(element));
      }
    }
    const lowerBounds = lowerBoundsOf(value);
    return lowerBounds === undefined ? `${text}}` : `${boundsDecoration(value, lowerBounds)}${text}}`;
  };
}

/** `[lower:upper]` per dimension and `=`, the upper bounds from the lengths of the first sub-arrays. */
function boundsDecoration(value: ColumnValue[], lowerBounds: readonly number[]): string {
  let decoration = "";
  let level: ColumnValue = value;
  for (const lower of lowerBounds) {
    if (!Array.isArray(level) || level.length === 0) return "";
    decoration += `[${lower}:${lower + level.length - 1}]`;
    level = level[0] as ColumnValue;
  }
  return `${decoration}=`;
}

const ELEMENT_ESCAPES = /["\\]/g;

function quoteElement(text: string): string {
  return `"${text.replace(ELEMENT_ESCAPES, "\\$&")}"`;
}

/** A `text[]` literal of already formatted texts (null → NULL): how a column's values of many rows are bound as one parameter. */
export function textArrayLiteral(texts: readonly (string | null)[]): string {
  let literal = "{";
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) literal += ",";
    const text = texts[i];
    literal += text === null || text === undefined ? "NULL" : quoteElement(text);
  }
  return `${literal}}`;
}
