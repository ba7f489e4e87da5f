/**
 * Arrays whose lower bounds are not 1 (PostgreSQL `'[0:2]={7,8,9}'`). Avro arrays hold only
 * their elements, so an envelope of a table with array columns carries the bounds beside the
 * row images, in its `array_lower_bounds` field (schemas/array-lower-bounds.avsc). In memory
 * the bounds ride on the array value itself, as a non-enumerable property that JSON, equality
 * and Avro encoding do not see: a decoded row keeps its usual shape, and a sink that formats
 * the array for its target finds the bounds on it.
 */
import type { ColumnValue, Envelope, Row } from "./change-event.js";

/** The `array_lower_bounds` envelope field: row field name → one lower bound per dimension, outermost first. */
export interface ArrayLowerBounds {
  before: Record<string, number[]>;
  after: Record<string, number[]>;
}

/** Name of the envelope field, present only in envelopes of tables with an array column. */
export const ARRAY_LOWER_BOUNDS_FIELD = "array_lower_bounds";

const LOWER_BOUNDS = Symbol("tributary.arrayLowerBounds");

type BoundedArray = ColumnValue[] & { [LOWER_BOUNDS]?: readonly number[] };

/**
 * `array`, marked with the lower bounds of its dimensions (outermost first) when one of them
 * is not 1; bounds of all 1 are PostgreSQL's default and leave the array unmarked.
 */
export function withLowerBounds<T extends ColumnValue[]>(array: T, bounds: readonly number[]): T {
  if (bounds.some((bound) => bound !== 1)) {
    Object.defineProperty(array, LOWER_BOUNDS, {
      value: Object.freeze([...bounds]),
      enumerable: false,
      configurable: true,
    });
  }
  return array;
}

/** The lower bounds `value` is marked with, or undefined for an unmarked array or any other value. */
export function lowerBoundsOf(value: ColumnValue | undefined): readonly number[] | undefined {
  return Array.isArray(value) ? (value as BoundedArray)[LOWER_BOUNDS] : undefined;
}

/**
 * The `array_lower_bounds` field of a change: the bounds of the marked arrays among `fields`
 * of each image, or null when no array of either image is marked.
 */
export function collectArrayLowerBounds(
  before: Row | null,
  after: Row | null,
  fields: readonly string[],
): ArrayLowerBounds | null {
  const collected: ArrayLowerBounds = { before: {}, after: {} };
  const found = collectInto(collected.before, before, fields) + collectInto(collected.after, after, fields);
  return found > 0 ? collected : null;
}

function collectInto(target: Record<string, number[]>, row: Row | null, fields: readonly string[]): number {
  if (row === null) return 0;
  let found = 0;
  for (const field of fields) {
    const bounds = lowerBoundsOf(row[field]);
    if (bounds !== undefined) {
      target[field] = [...bounds];
      found++;
    }
  }
  return found;
}

/**
 * Marks the arrays of a decoded envelope's images with the bounds its `array_lower_bounds`
 * field lists (a field naming no array of its image is ignored).
 */
export function applyArrayLowerBounds(envelope: Envelope): void {
  const bounds = envelope.array_lower_bounds;
  if (bounds === null || bounds === undefined) return;
  markRow(envelope.before, bounds.before);
  markRow(envelope.after, bounds.after);
}

function markRow(row: Row | null, bounds: Readonly<Record<string, number[]>>): void {
  if (row === null) return;
  for (const [field, lower] of Object.entries(bounds)) {
    const value = row[field];
    if (Array.isArray(value)) withLowerBounds(value, lower);
  }
}
