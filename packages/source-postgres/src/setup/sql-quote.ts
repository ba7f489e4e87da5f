/**
 * Quoting of names and values spliced into setup SQL. Setup statements (CREATE PUBLICATION,
 * CREATE EVENT TRIGGER, a function body) take no bind parameters, so every name goes through
 * these helpers — whatever its case, spaces, quotes or backslashes.
 */
import { TributaryError } from "@tributary/core";

function refuseNul(text: string, what: string): void {
  if (text.includes("\0")) {
    throw new TributaryError("TRB_CFG_INVALID", `${what} ${JSON.stringify(text)} contains a NUL character`);
  }
}

/** `Order Items` → `"Order Items"`; `a"b` → `"a""b"`. Always quoted, so case is kept. */
export function quoteIdent(name: string): string {
  refuseNul(name, "the name");
  return `"${name.replaceAll('"', '""')}"`;
}

/** `schema.table` as SQL: `"public"."Orders"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A string literal that reads the same whatever `standard_conforming_strings` is: a value
 * holding a backslash becomes an `E'…'` literal with the backslash doubled.
 */
export function quoteLiteral(value: string): string {
  refuseNul(value, "the value");
  const quoted = value.replaceAll("'", "''");
  return value.includes("\\") ? `E'${quoted.replaceAll("\\", "\\\\")}'` : `'${quoted}'`;
}

/** A dollar-quote tag (`$tributary$`, `$tributary1$`, …) that does not occur in `body`. */
export function dollarQuote(body: string): string {
  let tag = "$tributary$";
  for (let n = 1; body.includes(tag); n++) tag = `$tributary${n}$`;
  return `${tag}${body}${tag}`;
}

/** Keywords that cannot stand unquoted as a name (PostgreSQL's reserved and type/function-name keywords). */
const RESERVED_KEYWORDS = new Set(
  (
    "all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate " +
    "collation column concurrently constraint create cross current_catalog current_date current_role " +
    "current_schema current_time current_timestamp current_user default deferrable desc distinct do else end " +
    "except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into " +
    "is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on " +
    "only or order outer overlaps placing primary references returning right select session_user similar some " +
    "symmetric system_user table tablesample then to trailing true union unique user using variadic verbose when " +
    "where window with"
  ).split(" "),
);

/** A name as a person would type it in SQL: bare when it can be (`orders`), quoted otherwise (`"Order Items"`). */
export function displayIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED_KEYWORDS.has(name) ? name : quoteIdent(name);
}

/** `public.orders`, `sales."Order Items"`: readable and valid SQL. */
export function displayName(schema: string, name: string): string {
  return `${displayIdent(schema)}.${displayIdent(name)}`;
}
