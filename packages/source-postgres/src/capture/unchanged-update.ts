import { isDeepStrictEqual } from "node:util";
import type { Row } from "@tributary/core";

export interface UpdateImages {
  /** What the old tuple held: every column (REPLICA IDENTITY FULL), the key only, or nothing. */
  oldImage: "full" | "key" | "none";
  /** The table has columns excluded from its events (`tables.excludeColumns`). */
  hasExcludedColumns: boolean;
  /** The published columns before and after the update. */
  before: Row;
  after: Row;
  /** Columns PostgreSQL did not send in the new tuple (unchanged TOAST): equal by definition. */
  unchanged: readonly string[];
}

/**
 * Whether an update changed nothing an event would show: with a full old image, every
 * published column is equal before and after, so what changed lies in excluded columns. Without
 * a full old image nothing can be compared, and a table without excluded columns publishes
 * every update as the database reports it.
 */
export function isInvisibleUpdate(update: UpdateImages): boolean {
  if (update.oldImage !== "full" || !update.hasExcludedColumns) return false;
  const unchanged = new Set(update.unchanged);
  const fields = new Set([...Object.keys(update.before), ...Object.keys(update.after)]);
  for (const field of fields) {
    if (unchanged.has(field)) continue;
    if (!isDeepStrictEqual(update.before[field] ?? null, update.after[field] ?? null)) return false;
  }
  return true;
}
