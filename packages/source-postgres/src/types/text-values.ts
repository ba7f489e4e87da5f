/**
 * PostgreSQL's text output of a column value → the codec's in-memory form for the column's
 * mapping (see `type-mapping.ts` and core's `events/change-event.ts`). The connection must
 * run with DateStyle=ISO, MDY, IntervalStyle=iso_8601, TimeZone=UTC, extra_float_digits=3
 * and bytea_output=hex. A parser is built once per column and then called for every value.
 */
import { TributaryError } from "@tributary/core";
import { arrayParser, type TextParser } from "./array-literal.js";
import { parseDate, parseTime, parseTimestamp, parseTimestamptz } from "./datetime-text.js";
import type { PgTypeCatalog } from "./PgTypeCatalog.js";
import { PG_TYPE } from "./pg-type-oids.js";
import { arrayDimensions, type PgColumnOptions } from "./type-mapping.js";

export type { TextParser } from "./array-literal.js";

function invalid(kind: string, form: string, cause?: unknown): TributaryError {
  return new TributaryError(
    "TRB_PG_VALUE_INVALID",
    `a ${kind} value is not in PostgreSQL's text form (${form}); read it with the text output of the server`,
    { cause, details: { kind } },
  );
}

/** Text that is already the in-memory form: strings, decimals, unconstrained numerics, … */
export const parseText: TextParser = (text) => text;

/** `int2`/`int4` → number. */
export function parseInt32(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) {
    throw invalid("integer", "decimal digits");
  }
  return value;
}

/** `int8`/`oid` → bigint. */
export function parseInt64(text: string): bigint {
  try {
    return BigInt(text);
  } catch (error) {
    throw invalid("bigint", "decimal digits", error);
  }
}

/** `float8` → number, including NaN, ±Infinity and -0 (the text is the shortest exact form). */
export function parseFloat8(text: string): number {
  const value = Number(text);
  if (Number.isNaN(value) && text !== "NaN") {
    throw invalid("float", "a number, NaN, Infinity or -Infinity");
  }
  return value;
}

/** `float4` → the number the 32-bit float holds, so that it survives the Avro float unchanged. */
export function parseFloat4(text: string): number {
  return Math.fround(parseFloat8(text));
}

/** `bool`: `t` / `f`. */
export function parseBoolean(text: string): boolean {
  if (text === "t") return true;
  if (text === "f") return false;
  throw invalid("boolean", "t or f");
}

/** `bytea` in hex output (`\x0aff`) → Buffer. */
export function parseBytea(text: string): Buffer {
  if (text.charCodeAt(0) !== 92 || text.charCodeAt(1) !== 120 || text.length % 2 !== 0) {
    throw invalid("bytea", "\\x and hex digits; set bytea_output = hex");
  }
  const bytes = Buffer.from(text.slice(2), "hex");
  if (bytes.length * 2 !== text.length - 2) {
    throw invalid("bytea", "\\x and hex digits; set bytea_output = hex");
  }
  return bytes;
}

/** `uuid` → its lower-case 8-4-4-4-12 form (which is also what PostgreSQL writes). */
export function parseUuid(text: string): string {
  return text.toLowerCase();
}

function builtinParser(typeOid: number): TextParser {
  switch (typeOid) {
    case PG_TYPE.int2:
    case PG_TYPE.int4:
      return parseInt32;
    case PG_TYPE.int8:
    case PG_TYPE.oid:
      return parseInt64;
    case PG_TYPE.float4:
      return parseFloat4;
    case PG_TYPE.float8:
      return parseFloat8;
    case PG_TYPE.bool:
      return parseBoolean;
    case PG_TYPE.bytea:
      return parseBytea;
    case PG_TYPE.date:
      return parseDate;
    case PG_TYPE.time:
      return parseTime;
    case PG_TYPE.timestamp:
      return parseTimestamp;
    case PG_TYPE.timestamptz:
      return parseTimestamptz;
    case PG_TYPE.uuid:
      return parseUuid;
    default:
      // numeric (PostgreSQL writes exactly `scale` fraction digits, or NaN/±Infinity), the
      // string types, and every type carried as its canonical text.
      return parseText;
  }
}

/**
 * The parser of a column of type `typeOid` with modifier `typmod`, producing values of the type
 * `mapColumn(typeOid, typmod, catalog, options)` maps it to. Pure, like mapColumn: the type must
 * be loaded in `catalog`.
 */
export function textParser(
  typeOid: number,
  typmod: number,
  catalog: PgTypeCatalog,
  options: PgColumnOptions = {},
): TextParser {
  const info = catalog.get(typeOid);
  if (info.isArray) {
    const element = catalog.get(info.elementOid);
    return arrayParser(textParser(element.oid, typmod, catalog), element.delimiter, arrayDimensions(options));
  }
  switch (info.kind) {
    case "domain":
      return textParser(info.baseTypeOid, info.baseTypmod, catalog, options);
    case "base":
      return builtinParser(typeOid);
    default:
      return parseText;
  }
}
