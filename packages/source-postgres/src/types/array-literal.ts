/**
 * PostgreSQL's array text form (`array_out`) → nested JavaScript arrays:
 *
 *   {1,2,NULL}                  elements separated by the element type's delimiter (`;` for box)
 *   {"a b","say \"hi\"",""}     quoted elements, backslash escapes inside and outside quotes
 *   {{1,2},{3,4}}               one level of braces per dimension
 *   [0:1]={7,8}                 explicit bounds when a lower bound is not 1 (marked on the result)
 *   {}                          the empty (zero-dimensional) array
 *
 * An unquoted `NULL` (any case) is a null element; a quoted "NULL" is the text NULL. Elements
 * are turned into values by the element type's parser.
 */
import type { ColumnValue } from "@tributary/core";
import { TributaryError, withLowerBounds } from "@tributary/core";

export type TextParser = (text: string) => ColumnValue;

const OPEN = 123; // {
const CLOSE = 125; // }
const QUOTE = 34; // "
const BACKSLASH = 92; // \
const BRACKET = 91; // [

// Position after the last parsed level (module state: the parser allocates nothing but its result).
let cursor = 0;

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

function skipSpaces(text: string, index: number): number {
  let position = index;
  while (isSpace(text.charCodeAt(position))) {
    position++;
  }
  return position;
}

function invalid(reason: string): TributaryError {
  return new TributaryError(
    "TRB_PG_VALUE_INVALID",
    `an array value is not in PostgreSQL's array text form: ${reason}`,
    { details: { reason } },
  );
}

function wrongDimensions(found: string, dimensions: number): TributaryError {
  return new TributaryError(
    "TRB_PG_VALUE_OUT_OF_RANGE",
    `an array value has ${found} dimension(s) but its column is mapped with ${dimensions}; PostgreSQL ` +
      "does not enforce declared dimensions: declare the column with as many [] as its values have " +
      "(ALTER TABLE … ALTER COLUMN … TYPE elem[][]) so the connector maps it to matching nested arrays",
    { details: { dimensions } },
  );
}

/**
 * A parser of array text whose elements are parsed by `element`, separated by `delimiter`, with
 * exactly `dimensions` levels (an empty array `{}` fits any number).
 */
export function arrayParser(element: TextParser, delimiter: string, dimensions: number): TextParser {
  const delimiterCode = delimiter.charCodeAt(0);
  return (text) => parseArrayLiteral(text, element, delimiterCode, dimensions);
}

export function parseArrayLiteral(
  text: string,
  element: TextParser,
  delimiter: number,
  dimensions: number,
): ColumnValue[] {
  let start = skipSpaces(text, 0);
  let lowerBounds: number[] | undefined;
  if (text.charCodeAt(start) === BRACKET) {
    const decoration = EXPLICIT_BOUNDS.exec(text);
    if (decoration === null) {
      throw invalid("explicit bounds not of the form [lower:upper]…=");
    }
    lowerBounds = lowerBoundsIn(decoration[1] as string);
    if (lowerBounds.length !== dimensions) {
      throw wrongDimensions(String(lowerBounds.length), dimensions);
    }
    start = skipSpaces(text, decoration[0].length);
  }
  if (text.charCodeAt(start) !== OPEN) {
    throw invalid("it does not start with '{'");
  }
  const result = parseLevel(text, start, element, delimiter, 1, dimensions);
  if (skipSpaces(text, cursor) !== text.length) {
    throw invalid("text follows the closing '}'");
  }
  return lowerBounds === undefined ? result : withLowerBounds(result, lowerBounds);
}

/** `[lower:upper]` per dimension, then `=`, at the start of an array's text. */
const EXPLICIT_BOUNDS = /^\s*((?:\[-?\d+:-?\d+\])+)\s*=/;
const LOWER_BOUND = /\[(-?\d+):/g;

function lowerBoundsIn(decoration: string): number[] {
  return Array.from(decoration.matchAll(LOWER_BOUND), (match) => Number(match[1]));
}

/**
 * The lower bounds of an array's text with explicit bounds (`[0:2]={…}`), one per dimension,
 * outermost first; undefined when it has none, which means every lower bound is 1.
 */
export function explicitLowerBounds(text: string): number[] | undefined {
  const decoration = EXPLICIT_BOUNDS.exec(text);
  return decoration === null ? undefined : lowerBoundsIn(decoration[1] as string);
}

/** The level whose `{` is at `open`; sets `cursor` after its `}`. */
function parseLevel(
  text: string,
  open: number,
  element: TextParser,
  delimiter: number,
  depth: number,
  dimensions: number,
): ColumnValue[] {
  const values: ColumnValue[] = [];
  let position = skipSpaces(text, open + 1);
  if (text.charCodeAt(position) === CLOSE) {
    cursor = position + 1;
    return values;
  }
  for (;;) {
    const code = text.charCodeAt(position);
    if (code === OPEN) {
      if (depth >= dimensions) {
        throw wrongDimensions(`more than ${dimensions}`, dimensions);
      }
      values.push(parseLevel(text, position, element, delimiter, depth + 1, dimensions));
      position = cursor;
    } else {
      if (depth < dimensions) {
        throw wrongDimensions(String(depth), dimensions);
      }
      if (code === QUOTE) {
        position = readQuoted(text, position + 1);
        values.push(element(quoted));
      } else {
        position = readUnquoted(text, position, delimiter);
        values.push(unquoted === null ? null : element(unquoted));
      }
    }
    position = skipSpaces(text, position);
    const next = text.charCodeAt(position);
    if (next === CLOSE) {
      cursor = position + 1;
      return values;
    }
    if (next !== delimiter) {
      throw invalid(`expected the delimiter or '}' at offset ${position}`);
    }
    position = skipSpaces(text, position + 1);
  }
}

// Result of readQuoted / readUnquoted.
let quoted = "";
let unquoted: string | null = null;

/** The quoted element starting after its opening quote; sets `quoted`, returns the index after the closing quote. */
function readQuoted(text: string, from: number): number {
  let value = "";
  let start = from;
  for (let position = from; position < text.length; position++) {
    const code = text.charCodeAt(position);
    if (code === QUOTE) {
      quoted = start === from ? text.slice(from, position) : value + text.slice(start, position);
      return position + 1;
    }
    if (code === BACKSLASH) {
      value += text.slice(start, position) + text.charAt(position + 1);
      position++;
      start = position + 1;
    }
  }
  throw invalid("a quoted element has no closing quote");
}

/** The unquoted element at `from` (null for NULL); sets `unquoted`, returns the index after it. */
function readUnquoted(text: string, from: number, delimiter: number): number {
  let value = "";
  let start = from;
  let position = from;
  let escaped = false;
  // Trailing spaces are not part of an unquoted element; escaped characters always are.
  let lastKept = from;
  for (; position < text.length; position++) {
    const code = text.charCodeAt(position);
    if (code === delimiter || code === CLOSE) {
      break;
    }
    if (code === OPEN || code === QUOTE) {
      throw invalid(`unexpected '${text.charAt(position)}' inside an unquoted element`);
    }
    if (code === BACKSLASH) {
      value += text.slice(start, position) + text.charAt(position + 1);
      escaped = true;
      position++;
      start = position + 1;
      lastKept = start;
    } else if (!isSpace(code)) {
      lastKept = position + 1;
    }
  }
  const element = escaped ? value + text.slice(start, Math.max(start, lastKept)) : text.slice(from, lastKept);
  if (element.length === 0 && !escaped) {
    throw invalid(`an empty unquoted element at offset ${from}`);
  }
  unquoted = !escaped && element.length === 4 && element.toUpperCase() === "NULL" ? null : element;
  return position;
}
