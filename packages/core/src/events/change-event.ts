/**
 * The change event of DESIGN.md section 2, as JavaScript values after Avro decoding.
 *
 * Column values use the codec's in-memory forms: int → number, long → bigint, decimal →
 * exact decimal string, date → days since 1970-01-01, time-micros and the timestamp types →
 * bigint microseconds, uuid → string, bytes → Buffer, arrays → arrays (lower bounds other than
 * 1 marked on the array, see `array-bounds.ts`).
 */
import type { ArrayLowerBounds } from "./array-bounds.js";

export type Operation = "c" | "u" | "d" | "r" | "t";

export type ColumnValue = null | boolean | number | bigint | string | Buffer | ColumnValue[];

export type Row = Record<string, ColumnValue>;

export interface SourceInfo {
  /** Connector kind: `postgres` or `mysql`. */
  connector: string;
  /** The connector's configured `name`. */
  name: string;
  database: string;
  /** PostgreSQL schema; null for MariaDB/MySQL. */
  schema: string | null;
  table: string;
  /** PostgreSQL LSN of the change (or of its commit for snapshots). */
  lsn: bigint | null;
  /** Binlog file, position and GTID of the change (MariaDB/MySQL). */
  file: string | null;
  pos: bigint | null;
  gtid: string | null;
  txId: string | null;
  /** Commit time of the transaction, milliseconds since the epoch. */
  commitTsMs: bigint | null;
  snapshot: boolean;
}

export interface TransactionInfo {
  id: string;
  /** Position of the event within its transaction, from 1. */
  total_order: bigint;
  /** Position of the event among the transaction's events of the same table, from 1. */
  data_collection_order: bigint;
}

export interface Envelope {
  before: Row | null;
  after: Row | null;
  unchanged: string[];
  op: Operation;
  source: SourceInfo;
  origin: string;
  ts_ms: bigint;
  transaction: TransactionInfo | null;
  /**
   * Lower bounds of the images' arrays that do not start at 1; only envelopes of tables with an
   * array column have the field (null when every array starts at 1).
   */
  array_lower_bounds?: ArrayLowerBounds | null;
}

export interface ChangeEvent {
  /** Primary-key (or replica-identity) columns; null for a table without any key. */
  key: Row | null;
  /** Null for a tombstone. */
  value: Envelope | null;
}

export const EVENT_HEADERS = {
  origin: "tributary.origin",
  schema: "tributary.schema",
  tx: "tributary.tx",
} as const;
