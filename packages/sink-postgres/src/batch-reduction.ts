/**
 * The events of one table in one batch (Kafka order) → the few bulk steps that leave the target
 * as applying each event in turn would (DESIGN.md section 5).
 *
 * Keyed table: only the last change of each key counts. A delete wins over the upserts before
 * it; an upsert after a delete is an upsert; a key change (an update whose old image has another
 * key) deletes the old key and upserts the new one. The steps are: truncate (when the batch holds
 * one; it discards the table's changes before it), then one bulk delete, then one bulk upsert per
 * set of `unchanged` columns, each leaving that set's columns as they are on the target.
 *
 * Table without a key: every event counts, in order: runs of inserts, and updates and deletes of
 * one row found by its full old image.
 */
import type { ColumnValue, Envelope, Row } from "@tributary/core";
import { eventInvalid } from "./errors.js";

export interface BatchRecord {
  /** The decoded Kafka key; null for a table without a key (and for truncates). */
  readonly key: Row | null;
  /** The decoded envelope; null for a tombstone (skipped: the delete before it did the work). */
  readonly value: Envelope | null;
  readonly offset: bigint;
  /**
   * An update or delete of a keyed table with a row filter: the filter may have kept the row out
   * of the target all along, so finding it missing is no conflict.
   */
  readonly mayBeMissing?: true;
}

export type ApplyStep =
  | { readonly kind: "truncate" }
  /** Delete the rows of these keys (rows of the key fields only). */
  | { readonly kind: "delete"; readonly keys: readonly Row[] }
  /** Insert or overwrite these rows (distinct keys), leaving the `unchanged` fields as they are. */
  | { readonly kind: "upsert"; readonly rows: readonly Row[]; readonly unchanged: readonly string[] }
  /** Table without a key: insert these rows. */
  | { readonly kind: "insert"; readonly rows: readonly Row[] }
  /** Table without a key: update one row whose columns equal `before`, leaving the `unchanged` fields. */
  | {
      readonly kind: "update-row";
      readonly before: Row;
      readonly after: Row;
      readonly unchanged: readonly string[];
    }
  /** Table without a key: delete one row whose columns equal `before`. */
  | { readonly kind: "delete-row"; readonly before: Row };

/** The `unchanged` of an upsert that sent every field (most of them): shared, never modified. */
const NONE_UNCHANGED: ReadonlySet<string> = new Set();

type Pending =
  | { readonly kind: "upsert"; readonly row: Row; readonly unchanged: ReadonlySet<string> }
  | { readonly kind: "delete"; readonly key: Row };

/**
 * The steps of one table's events; `keyFields` are the Avro field names of its key in key order
 * (empty for a table without a key).
 */
export function reduceBatch(records: readonly BatchRecord[], keyFields: readonly string[]): ApplyStep[] {
  return keyFields.length === 0 ? reduceKeyless(records) : reduceKeyed(records, keyFields);
}

function reduceKeyed(records: readonly BatchRecord[], keyFields: readonly string[]): ApplyStep[] {
  let truncate = false;
  // Map order is the order of each key's last change (a key is re-inserted when it changes).
  let pending = new Map<string, Pending>();
  const set = (identity: string, change: Pending) => {
    pending.delete(identity);
    pending.set(identity, change);
  };
  for (const record of records) {
    const envelope = record.value;
    if (envelope === null) continue;
    switch (envelope.op) {
      case "t":
        truncate = true;
        pending = new Map();
        break;
      case "d": {
        const key = keyOf(keyFields, record.key, envelope.before, record, "delete");
        set(keyIdentity(key, keyFields), { kind: "delete", key });
        break;
      }
      case "c":
      case "r":
      case "u": {
        const after = requireImage(envelope.after, "after", record);
        if (envelope.op === "u" && envelope.before !== null && hasKey(envelope.before, keyFields)) {
          const oldKey = pickKey(envelope.before, keyFields);
          const oldIdentity = keyIdentity(oldKey, keyFields);
          const newKey = keyOf(keyFields, record.key, after, record, "update");
          if (oldIdentity !== keyIdentity(newKey, keyFields)) {
            set(oldIdentity, { kind: "delete", key: oldKey });
          }
        }
        const key = keyOf(keyFields, record.key, after, record, "upsert");
        const identity = keyIdentity(key, keyFields);
        set(identity, upsertOf(after, key, envelope.unchanged, keyFields, pending.get(identity)));
        break;
      }
      default:
        throw unknownOp(envelope.op, record);
    }
  }
  const steps: ApplyStep[] = truncate ? [{ kind: "truncate" }] : [];
  const deletes: Row[] = [];
  const groups = new Map<string, { rows: Row[]; unchanged: string[] }>();
  for (const change of pending.values()) {
    if (change.kind === "delete") {
      deletes.push(change.key);
      continue;
    }
    const unchanged = change.unchanged.size === 0 ? [] : [...change.unchanged].sort();
    const id = unchanged.length === 0 ? "" : unchanged.join("\u0000");
    const group = groups.get(id);
    if (group === undefined) {
      groups.set(id, { rows: [change.row], unchanged });
    } else {
      group.rows.push(change.row);
    }
  }
  if (deletes.length > 0) steps.push({ kind: "delete", keys: deletes });
  for (const group of groups.values()) {
    steps.push({ kind: "upsert", rows: group.rows, unchanged: group.unchanged });
  }
  return steps;
}

/**
 * The upsert of `after`. Fields it did not send (`unchanged`) take the value an earlier upsert of
 * the same key in the batch gave them, since the target does not have that value yet; key fields
 * are never left unchanged (their value is the key's).
 */
function upsertOf(
  after: Row,
  key: Row,
  unchangedFields: readonly string[],
  keyFields: readonly string[],
  previous: Pending | undefined,
): Pending {
  if (unchangedFields.length === 0) {
    return { kind: "upsert", row: after, unchanged: NONE_UNCHANGED };
  }
  const row: Row = { ...after };
  const unchanged = new Set<string>();
  for (const field of unchangedFields) {
    if (keyFields.includes(field)) {
      row[field] = key[field] ?? null;
    } else if (previous?.kind === "upsert" && !previous.unchanged.has(field)) {
      row[field] = previous.row[field] ?? null;
    } else {
      unchanged.add(field);
    }
  }
  return { kind: "upsert", row, unchanged };
}

function reduceKeyless(records: readonly BatchRecord[]): ApplyStep[] {
  let steps: ApplyStep[] = [];
  let inserts: Row[] | null = null;
  for (const record of records) {
    const envelope = record.value;
    if (envelope === null) continue;
    if (envelope.op !== "c" && envelope.op !== "r") {
      inserts = null;
    }
    switch (envelope.op) {
      case "t":
        steps = [{ kind: "truncate" }];
        break;
      case "c":
      case "r": {
        const after = requireImage(envelope.after, "after", record);
        if (inserts === null) {
          inserts = [];
          steps.push({ kind: "insert", rows: inserts });
        }
        inserts.push(after);
        break;
      }
      case "u":
        steps.push({
          kind: "update-row",
          before: requireImage(envelope.before, "before", record),
          after: requireImage(envelope.after, "after", record),
          unchanged: [...envelope.unchanged],
        });
        break;
      case "d":
        steps.push({ kind: "delete-row", before: requireImage(envelope.before, "before", record) });
        break;
      default:
        throw unknownOp(envelope.op, record);
    }
  }
  return steps;
}

function requireImage(image: Row | null, which: "before" | "after", record: BatchRecord): Row {
  if (image !== null) return image;
  const why =
    which === "before"
      ? "a table without a key is updated and deleted by its full old image; set REPLICA IDENTITY FULL on the source table"
      : "an insert or update must carry the new row";
  return failEvent(
    `the ${record.value?.op} event at offset ${record.offset} has no ${which} image: ${why}`,
    record,
  );
}

function failEvent(message: string, record: BatchRecord): never {
  throw eventInvalid(message, { offset: record.offset.toString(), op: record.value?.op });
}

function unknownOp(op: string, record: BatchRecord): Error {
  return eventInvalid(
    `the event at offset ${record.offset} has op ${JSON.stringify(op)}; expected c, u, d, r or t`,
    {
      offset: record.offset.toString(),
    },
  );
}

export function hasKey(row: Row, keyFields: readonly string[]): boolean {
  return keyFields.every((field) => row[field] !== null && row[field] !== undefined);
}

export function pickKey(row: Row, keyFields: readonly string[]): Row {
  const key: Row = {};
  for (const field of keyFields) key[field] = row[field] ?? null;
  return key;
}

/** The key of an event: its Kafka key, or else the key fields of its row image. */
export function keyOf(
  keyFields: readonly string[],
  kafkaKey: Row | null,
  image: Row | null,
  record: BatchRecord,
  what: string,
): Row {
  if (kafkaKey !== null && hasKey(kafkaKey, keyFields)) return pickKey(kafkaKey, keyFields);
  if (image !== null && hasKey(image, keyFields)) return pickKey(image, keyFields);
  return failEvent(
    `the ${what} event at offset ${record.offset} has no value for key field(s) ${keyFields.join(", ")} ` +
      "in its key or row image",
    record,
  );
}

/** A string equal for two keys exactly when their values are equal (type-tagged, self-delimiting). */
export function keyIdentity(key: Row, keyFields: readonly string[]): string {
  let identity = "";
  for (const field of keyFields) {
    identity += `${valueIdentity(key[field] ?? null)}|`;
  }
  return identity;
}

function valueIdentity(value: ColumnValue): string {
  if (value === null) return "n";
  switch (typeof value) {
    case "boolean":
      return value ? "t" : "f";
    case "number":
      return `d${Object.is(value, -0) ? "-0" : String(value)}`;
    case "bigint":
      return `l${value}`;
    case "string":
      return `s${JSON.stringify(value)}`;
    default:
      if (Buffer.isBuffer(value)) return `x${value.toString("hex")}`;
      return `[${value.map(valueIdentity).join(",")}]`;
  }
}
