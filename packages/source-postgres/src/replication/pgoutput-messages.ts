import type { Lsn } from "./lsn.js";

/**
 * The messages of PostgreSQL's logical replication protocol (pgoutput), as decoded by
 * PgoutputDecoder. Field names follow the "Logical Replication Message Formats" chapter of the
 * PostgreSQL documentation; times are converted from the PostgreSQL epoch (2000-01-01) to the
 * Unix epoch and kept in microseconds (exact) with a millisecond convenience copy.
 *
 * `xid` on data messages (relation, type, insert, update, delete, truncate, message) is set only
 * inside a Stream Start … Stream Stop block (protocol 2+), where it names the (sub)transaction
 * the change belongs to; outside a stream it is `undefined`. It is always present as a property
 * so that every message of one tag has the same shape.
 */

export type PgoutputProtocolVersion = 1 | 2 | 3 | 4;

/** One column of a tuple, exactly as the server sent it. Values stay raw: no type parsing. */
export type TupleValue = NullValue | UnchangedToastValue | TextValue | BinaryValue;

export interface NullValue {
  readonly kind: "null";
}

/**
 * An unchanged TOASTed value the server did not send (`u`): the column keeps its stored value.
 * It is not a value and must never be replaced by a placeholder.
 */
export interface UnchangedToastValue {
  readonly kind: "unchanged";
}

/** The type's text output (`t`), in UTF-8 (node-postgres sets client_encoding UTF8). */
export interface TextValue {
  readonly kind: "text";
  readonly text: string;
}

/** The type's binary send output (`b`, only with `binary 'true'`); a copy the caller owns. */
export interface BinaryValue {
  readonly kind: "binary";
  readonly bytes: Buffer;
}

/** Column values in the relation's column order. */
export type TupleData = readonly TupleValue[];

/**
 * The old row image of an update or delete: `key` (`K`) holds only the replica-identity columns
 * (the others are `null`); `full` (`O`) holds the whole old row (REPLICA IDENTITY FULL).
 */
export interface OldTuple {
  readonly kind: "key" | "full";
  readonly values: TupleData;
}

/** pg_class.relreplident: default (primary key), nothing, full, index. */
export type ReplicaIdentity = "d" | "n" | "f" | "i";

export interface RelationColumn {
  /** Raw flags; bit 1 marks a column of the replica identity (key). */
  readonly flags: number;
  readonly isKey: boolean;
  readonly name: string;
  readonly typeOid: number;
  /** atttypmod; -1 when the type has no modifier. */
  readonly typeMod: number;
}

export interface BeginMessage {
  readonly tag: "begin";
  /** LSN of the commit record (the transaction's final LSN). */
  readonly finalLsn: Lsn;
  readonly commitTimeMicros: bigint;
  readonly commitTimeMs: number;
  readonly xid: number;
}

export interface CommitMessage {
  readonly tag: "commit";
  readonly flags: number;
  readonly commitLsn: Lsn;
  /** End of the commit record: the position to confirm once the transaction is durable. */
  readonly endLsn: Lsn;
  readonly commitTimeMicros: bigint;
  readonly commitTimeMs: number;
}

/** The transaction was first committed elsewhere and replayed under a replication origin. */
export interface OriginMessage {
  readonly tag: "origin";
  /** Commit LSN on the origin server; 0 when the writer did not set one. */
  readonly originLsn: Lsn;
  readonly originName: string;
}

export interface RelationMessage {
  readonly tag: "relation";
  readonly xid: number | undefined;
  readonly relationOid: number;
  /** Empty for pg_catalog, as the server sends it. */
  readonly schema: string;
  readonly name: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly RelationColumn[];
}

/** Sent before a Relation message that uses a non-built-in type (enum, domain, composite …). */
export interface TypeMessage {
  readonly tag: "type";
  readonly xid: number | undefined;
  readonly typeOid: number;
  readonly schema: string;
  readonly name: string;
}

export interface InsertMessage {
  readonly tag: "insert";
  readonly xid: number | undefined;
  readonly relationOid: number;
  readonly newTuple: TupleData;
}

export interface UpdateMessage {
  readonly tag: "update";
  readonly xid: number | undefined;
  readonly relationOid: number;
  /** Absent when the replica identity did not change and the identity is not FULL. */
  readonly oldTuple: OldTuple | undefined;
  readonly newTuple: TupleData;
}

export interface DeleteMessage {
  readonly tag: "delete";
  readonly xid: number | undefined;
  readonly relationOid: number;
  readonly oldTuple: OldTuple;
}

export interface TruncateMessage {
  readonly tag: "truncate";
  readonly xid: number | undefined;
  /** Raw option bits: 1 CASCADE, 2 RESTART IDENTITY. */
  readonly options: number;
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
  readonly relationOids: readonly number[];
}

/** A logical decoding message (`pg_logical_emit_message`), sent with `messages 'true'`. */
export interface LogicalMessage {
  readonly tag: "message";
  readonly xid: number | undefined;
  readonly flags: number;
  readonly transactional: boolean;
  readonly messageLsn: Lsn;
  readonly prefix: string;
  /** Raw content bytes (a copy the caller owns). */
  readonly content: Buffer;
}

export interface StreamStartMessage {
  readonly tag: "stream-start";
  readonly xid: number;
  /** True for the first block of this transaction's stream. */
  readonly firstSegment: boolean;
}

export interface StreamStopMessage {
  readonly tag: "stream-stop";
}

export interface StreamCommitMessage {
  readonly tag: "stream-commit";
  readonly xid: number;
  readonly flags: number;
  readonly commitLsn: Lsn;
  readonly endLsn: Lsn;
  readonly commitTimeMicros: bigint;
  readonly commitTimeMs: number;
}

/**
 * A streamed transaction (`subxid === xid`) or one of its subtransactions was rolled back: drop
 * the changes streamed for `subxid`. The abort LSN and time come only with protocol 4 and
 * `streaming 'parallel'`.
 */
export interface StreamAbortMessage {
  readonly tag: "stream-abort";
  readonly xid: number;
  readonly subxid: number;
  readonly abortLsn: Lsn | undefined;
  readonly abortTimeMicros: bigint | undefined;
}

/** Two-phase (protocol 3+, `two_phase 'true'`): start of a prepared transaction's changes. */
export interface BeginPrepareMessage {
  readonly tag: "begin-prepare";
  readonly prepareLsn: Lsn;
  readonly endLsn: Lsn;
  readonly prepareTimeMicros: bigint;
  readonly xid: number;
  readonly gid: string;
}

export interface PrepareMessage {
  readonly tag: "prepare" | "stream-prepare";
  readonly flags: number;
  readonly prepareLsn: Lsn;
  readonly endLsn: Lsn;
  readonly prepareTimeMicros: bigint;
  readonly xid: number;
  readonly gid: string;
}

export interface CommitPreparedMessage {
  readonly tag: "commit-prepared";
  readonly flags: number;
  readonly commitLsn: Lsn;
  readonly endLsn: Lsn;
  readonly commitTimeMicros: bigint;
  readonly xid: number;
  readonly gid: string;
}

export interface RollbackPreparedMessage {
  readonly tag: "rollback-prepared";
  readonly flags: number;
  readonly prepareEndLsn: Lsn;
  readonly rollbackEndLsn: Lsn;
  readonly prepareTimeMicros: bigint;
  readonly rollbackTimeMicros: bigint;
  readonly xid: number;
  readonly gid: string;
}

export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage
  | BeginPrepareMessage
  | PrepareMessage
  | CommitPreparedMessage
  | RollbackPreparedMessage;

export type PgoutputTag = PgoutputMessage["tag"];

/** Microseconds between the Unix epoch and the PostgreSQL epoch (2000-01-01T00:00:00Z). */
export const PG_EPOCH_OFFSET_MICROS = 946_684_800_000_000n;

/** A TimestampTz from the wire (µs since 2000-01-01) as µs since the Unix epoch. */
export function pgTimestampToUnixMicros(pgMicros: bigint): bigint {
  return pgMicros + PG_EPOCH_OFFSET_MICROS;
}

/** Unix microseconds to whole milliseconds (rounding toward negative infinity). */
export function unixMicrosToMs(unixMicros: bigint): number {
  const ms = unixMicros / 1000n;
  return Number(unixMicros < 0n && ms * 1000n !== unixMicros ? ms - 1n : ms);
}
