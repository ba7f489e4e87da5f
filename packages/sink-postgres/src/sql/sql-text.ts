/**
 * Quoting for generated SQL: every identifier is double-quoted (so capitals, spaces, quotes and
 * reserved words keep their meaning), literals are quoted whatever standard_conforming_strings
 * says, and bodies of DO blocks get a dollar-quote tag that does not occur in them.
 */
import { mappingInvalid } from "../errors.js";

/** A statement and its parameters (`$1`, `$2`, …), every one text or NULL. */
export interface SqlStatement {
  readonly text: string;
  readonly values: readonly (string | null)[];
}

export function statement(text: string, values: readonly (string | null)[] = []): SqlStatement {
  return { text, values };
}

/** `"name"`, with `"` doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes("\u0000")) {
    throw mappingInvalid("an identifier holds a NUL character, which no SQL identifier can");
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/** `'text'` with `'` doubled; ` E'…'` with `\` doubled too when the text holds a backslash (as pg's escapeLiteral). */
export function quoteLiteral(text: string): string {
  if (text.includes("\u0000")) {
    throw mappingInvalid("a literal holds a NUL character, which PostgreSQL text cannot");
  }
  const quoted = text.replaceAll("'", "''");
  return text.includes("\\") ? `E'${quoted.replaceAll("\\", "\\\\")}'` : `'${quoted}'`;
}

/** `$tag$body$tag$` with a tag that does not occur in `body`. */
export function dollarQuote(body: string, tag = "tributary"): string {
  let candidate = tag;
  for (let n = 1; body.includes(`$${candidate}$`); n++) {
    candidate = `${tag}_${n}`;
  }
  return `$${candidate}$${body}$${candidate}$`;
}

/** `DO $tag$ BEGIN <body> END $tag$`. */
export function doBlock(body: string): string {
  return `DO ${dollarQuote(`\nBEGIN\n  ${body}\nEND\n`)}`;
}

/** A DO block that runs `ddl` and ignores the error of an object that already exists (or was just created by another session). */
export function createIfMissing(ddl: string): string {
  return doBlock(`${ddl};\nEXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;`);
}
