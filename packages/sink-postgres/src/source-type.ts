/**
 * A PostgreSQL source's `tributary.sourceType` text, as `format_type` writes it with every type
 * outside `pg_catalog` schema-qualified (`numeric(12,2)`, `timestamp(3) with time zone`,
 * `integer[]`, `public."Mood"[]`, `public.geometry(Point,4326)`), split into its parts.
 */

export interface ParsedSourceType {
  /** The type without its array brackets: `numeric(12,2)`, `public."Mood"`. */
  readonly element: string;
  /** Number of `[]` after the element type (PostgreSQL does not enforce it; 0 for a scalar). */
  readonly dimensions: number;
  /** For a type outside `pg_catalog`: its schema and name, unquoted, and the modifier text (`(Point,4326)` or ``). */
  readonly userType: { readonly schema: string; readonly name: string; readonly modifier: string } | null;
}

const ARRAY_SUFFIX = /(?:\[\])+$/;
const BARE = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/;

export function parseSourceType(text: string): ParsedSourceType {
  const suffix = ARRAY_SUFFIX.exec(text);
  const element = suffix === null ? text : text.slice(0, suffix.index);
  const dimensions = suffix === null ? 0 : suffix[0].length / 2;
  const schema = readIdentifier(element, 0);
  if (schema === null || element.charAt(schema.end) !== ".") {
    return { element, dimensions, userType: null };
  }
  const name = readIdentifier(element, schema.end + 1);
  if (name === null) {
    return { element, dimensions, userType: null };
  }
  const modifier = element.slice(name.end);
  if (modifier !== "" && !(modifier.startsWith("(") && modifier.endsWith(")"))) {
    return { element, dimensions, userType: null };
  }
  return { element, dimensions, userType: { schema: schema.name, name: name.name, modifier } };
}

/** A bare or double-quoted identifier at `start`. */
function readIdentifier(text: string, start: number): { name: string; end: number } | null {
  if (text.charAt(start) !== '"') {
    const bare = BARE.exec(text.slice(start));
    return bare === null ? null : { name: bare[0], end: start + bare[0].length };
  }
  let name = "";
  let position = start + 1;
  for (;;) {
    const quote = text.indexOf('"', position);
    if (quote < 0) return null;
    name += text.slice(position, quote);
    if (text.charAt(quote + 1) !== '"') return { name, end: quote + 1 };
    name += '"';
    position = quote + 2;
  }
}

/** True for type text that names a `pg_catalog` type (no schema qualification): `integer`, `"char"`, `numeric(12,2)[]`. */
export function isBuiltinType(text: string): boolean {
  return parseSourceType(text).userType === null;
}
