import {
  type ColumnValue,
  collectArrayLowerBounds,
  decode,
  type Envelope,
  EVENT_HEADERS,
  encode,
  isTributaryError,
  type OutgoingRecord,
  type Row,
  type SourceInfo,
  TributaryError,
  toJsonValue,
} from "@tributary/core";
import type { TupleData } from "../replication/pgoutput-messages.js";
import { copyLineValues } from "../snapshot/copy-text.js";
import type { CapturedColumn, CapturedTable } from "./CapturedTable.js";
import { TextEventEncoder } from "./TextEventEncoder.js";

/**
 * A pgoutput tuple (or snapshot row of text values) as a row keyed by Avro field name. Columns
 * PostgreSQL did not send (unchanged TOAST) are null in the row and listed in `unchanged`.
 */
export function rowFromTuple(table: CapturedTable, tuple: TupleData): { row: Row; unchanged: string[] } {
  const row: Row = {};
  const unchanged: string[] = [];
  const columns = table.byPosition;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    if (!column) continue;
    const value = tuple[i];
    if (value === undefined || value.kind === "null") {
      row[column.field] = null;
    } else if (value.kind === "text") {
      row[column.field] = parseValue(table, column, value.text);
    } else if (value.kind === "unchanged") {
      row[column.field] = null;
      unchanged.push(column.field);
    } else {
      throw new TributaryError(
        "TRB_PG_PROTOCOL",
        `column ${table.qualifiedName}.${column.name} arrived in binary format, which this connector never asks for`,
      );
    }
  }
  return { row, unchanged };
}

/** Snapshot rows come as text values in column order, null for SQL NULL. */
export function rowFromText(table: CapturedTable, values: readonly (string | null)[]): Row {
  const row: Row = {};
  const columns = table.byPosition;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    if (!column) continue;
    const text = values[i];
    row[column.field] = text === null || text === undefined ? null : parseValue(table, column, text);
  }
  return row;
}

/**
 * A column's value, or an error that names the table and column: the operator who has to fix
 * the data or the column type needs to know where the value is.
 */
function parseValue(table: CapturedTable, column: CapturedColumn, text: string): ColumnValue {
  try {
    return column.parse(text);
  } catch (error) {
    const where = `${table.qualifiedName}.${column.name}`;
    const details = { table: table.qualifiedName, column: column.name };
    if (isTributaryError(error)) {
      throw new TributaryError(error.code, `column ${where}: ${error.reason}`, {
        retriable: error.retriable,
        cause: error,
        details: { ...error.details, ...details },
      });
    }
    throw new TributaryError(
      "TRB_PG_VALUE_INVALID",
      `column ${where}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details },
    );
  }
}

/** The key record of a row, or null for a table without a key. */
export function keyOf(table: CapturedTable, row: Row): Row | null {
  if (table.keySchema === null) return null;
  const key: Row = {};
  for (const field of table.keyFields) key[field] = row[field] ?? null;
  return key;
}

export interface RecordOptions {
  tombstones: boolean;
  /** Partitions of the table's topic; a truncate goes to each so it stays ordered with every key. */
  partitions: (table: CapturedTable) => number;
}

/**
 * The headers of an event. Shared, read-only objects, one per table version, origin and
 * transaction (the last one kept per table), so a snapshot or a large transaction does not
 * build the same object for every record.
 */
const headerCache = new WeakMap<
  CapturedTable,
  { origin: string; tx: string | undefined; headers: Record<string, string> }
>();

function headersOf(table: CapturedTable, origin: string, tx: string | undefined): Record<string, string> {
  const cached = headerCache.get(table);
  if (cached && cached.origin === origin && cached.tx === tx) return cached.headers;
  const headers: Record<string, string> = {
    [EVENT_HEADERS.origin]: origin,
    [EVENT_HEADERS.schema]: table.valueSchema.fingerprint,
  };
  if (tx !== undefined) headers[EVENT_HEADERS.tx] = tx;
  Object.freeze(headers);
  headerCache.set(table, { origin, tx, headers });
  return headers;
}

/**
 * One Kafka record of a change. A class, so that naming the event in an error (`describe`) is
 * a method rather than a closure made for every row.
 */
class ChangeRecord implements OutgoingRecord {
  partition?: number;

  constructor(
    readonly topic: string,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    readonly headers: Record<string, string>,
    partition: number | undefined,
    private readonly table: CapturedTable,
    private readonly op: Envelope["op"],
    /** Undefined when only the key's bytes were made: an error message decodes them. */
    private readonly keyRow: Row | null | undefined,
  ) {
    if (partition !== undefined) this.partition = partition;
  }

  describe(): string {
    return `the ${this.op} event of ${this.table.qualifiedName} with key ${JSON.stringify(toJsonValue(this.keyOfEvent()))}`;
  }

  private keyOfEvent(): Row | null {
    if (this.keyRow !== undefined) return this.keyRow;
    if (this.key === null || this.table.keySchema === null) return null;
    return decode(this.table.keySchema, this.key) as Row;
  }
}

/** The snapshot (`r`) event of a row read from a table. */
export function snapshotEnvelope(row: Row, source: SourceInfo, origin: string, tsMs: bigint): Envelope {
  return { before: null, after: row, unchanged: [], op: "r", source, origin, ts_ms: tsMs, transaction: null };
}

/**
 * The Kafka record of the snapshot (`r`) event of a row of text values in column order (null
 * for SQL NULL), encoded straight from the text. A row the direct encoder refuses is encoded
 * again through the row object, which throws the error that names the table and column.
 */
export function snapshotRecord(
  table: CapturedTable,
  values: readonly (string | null)[],
  source: SourceInfo,
  origin: string,
  tsMs: number,
  options: RecordOptions,
): OutgoingRecord {
  let event: { key: Buffer | null; value: Buffer };
  try {
    event = TextEventEncoder.of(table).snapshotEvent(values, source, origin, tsMs);
  } catch {
    const row = rowFromText(table, values);
    const envelope = snapshotEnvelope(row, source, origin, BigInt(tsMs));
    const records = toRecords(table, keyOf(table, row), envelope, options);
    return records[0] as OutgoingRecord;
  }
  return snapshotRecordOf(table, event, origin, options);
}

/**
 * `snapshotRecord` of a row given as a line of COPY text (see `TextEventEncoder`), written from
 * its bytes; a line the direct encoder refuses takes the path of its text values.
 */
export function snapshotRecordFromCopy(
  table: CapturedTable,
  line: Buffer,
  source: SourceInfo,
  origin: string,
  tsMs: number,
  options: RecordOptions,
): OutgoingRecord {
  let event: { key: Buffer | null; value: Buffer };
  try {
    event = TextEventEncoder.of(table).snapshotEventFromCopy(line, source, origin, tsMs);
  } catch {
    return snapshotRecord(
      table,
      copyLineValues(line, table.byPosition.length),
      source,
      origin,
      tsMs,
      options,
    );
  }
  return snapshotRecordOf(table, event, origin, options);
}

function snapshotRecordOf(
  table: CapturedTable,
  event: { key: Buffer | null; value: Buffer },
  origin: string,
  options: RecordOptions,
): OutgoingRecord {
  const headers = headersOf(table, origin, undefined);
  // With one partition there is nothing to hash the key for.
  const partition = options.partitions(table) === 1 ? 0 : undefined;
  return new ChangeRecord(table.topic, event.key, event.value, headers, partition, table, "r", undefined);
}

/** The Kafka records of one change: the event, plus a tombstone after a delete. */
export function toRecords(
  table: CapturedTable,
  key: Row | null,
  envelope: Envelope,
  options: RecordOptions,
): OutgoingRecord[] {
  const keyBytes = key === null || table.keySchema === null ? null : encode(table.keySchema, key);
  const value = encode(table.valueSchema, withArrayLowerBounds(table, envelope));
  return recordsOf(table, keyBytes, value, envelope, options, key);
}

/** `envelope` with its `array_lower_bounds` field, for a table with array columns. */
function withArrayLowerBounds(table: CapturedTable, envelope: Envelope): Envelope {
  if (table.arrayFields.length === 0) return envelope;
  const bounds = collectArrayLowerBounds(envelope.before, envelope.after, table.arrayFields);
  return { ...envelope, array_lower_bounds: bounds };
}

/**
 * `toRecords` for an insert, update or delete whose row images come from pgoutput tuples
 * (`oldTuple` for `before`, `newTuple` for `after`, as `rowFromTuple` made them): the images
 * are written from the tuples' text, without avsc. A change the direct encoder refuses is
 * encoded from the envelope, which throws the error that names the field.
 */
export function changeRecords(
  table: CapturedTable,
  key: Row | null,
  envelope: Envelope,
  oldTuple: TupleData | undefined,
  newTuple: TupleData | undefined,
  options: RecordOptions,
): OutgoingRecord[] {
  let event: { key: Buffer | null; value: Buffer };
  try {
    event = TextEventEncoder.of(table).changeEvent(envelope, oldTuple, newTuple);
  } catch {
    return toRecords(table, key, envelope, options);
  }
  return recordsOf(table, key === null ? null : event.key, event.value, envelope, options, key);
}

function recordsOf(
  table: CapturedTable,
  keyBytes: Buffer | null,
  value: Buffer,
  envelope: Envelope,
  options: RecordOptions,
  key: Row | null,
): OutgoingRecord[] {
  const headers = headersOf(table, envelope.origin, envelope.transaction?.id);
  const partitions = options.partitions(table);
  const op = envelope.op;
  if (op === "t") {
    return Array.from(
      { length: partitions },
      (_, partition) => new ChangeRecord(table.topic, null, value, headers, partition, table, op, key),
    );
  }
  // With one partition there is nothing to hash the key for.
  const partition = partitions === 1 ? 0 : undefined;
  const record = new ChangeRecord(table.topic, keyBytes, value, headers, partition, table, op, key);
  if (op === "d" && options.tombstones && keyBytes !== null) {
    return [record, new ChangeRecord(table.topic, keyBytes, null, headers, partition, table, op, key)];
  }
  return [record];
}
