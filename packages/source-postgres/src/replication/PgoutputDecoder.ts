import { TributaryError } from "@tributary/core";
import { formatLsn, type Lsn } from "./lsn.js";
import {
  type OldTuple,
  type PgoutputMessage,
  type PgoutputProtocolVersion,
  pgTimestampToUnixMicros,
  type RelationColumn,
  type ReplicaIdentity,
  type TupleValue,
  unixMicrosToMs,
} from "./pgoutput-messages.js";

/**
 * Decodes pgoutput messages — the payload of each XLogData message on a logical replication
 * connection — into the typed messages of `pgoutput-messages.ts`.
 *
 * Why not pg-logical-replication's own pgoutput parser? We keep that library for what it does
 * well (the replication connection, keepalives, standby status updates), but its parser knows
 * protocol version 1 only — no Stream Start/Stop/Commit/Abort and no xid on changes inside a
 * stream, so a transaction larger than `logical_decoding_work_mem` cannot be streamed — and it
 * turns column text into JavaScript values through node-postgres' type parsers, which loses
 * information (timestamps become millisecond Dates, json is re-parsed, …), and it replaces an
 * unchanged TOAST column by a fallback from the old tuple (usually `undefined`) instead of
 * saying it was not sent. This decoder keeps every column raw (null, unchanged, text or binary)
 * for Tributary's type mapping to convert exactly.
 *
 * It runs for every row of every transaction, so it reads straight from the payload with
 * offsets: strings are decoded in place (`toString("utf8", start, end)`), null and unchanged
 * columns share one frozen object each. Binary values and logical-message contents are copied,
 * because node-postgres reuses its receive buffer and a view would change under the caller.
 *
 * The only state is the one the protocol imposes: whether the decoder is between Stream Start
 * and Stream Stop, where data messages carry the xid of their (sub)transaction. Call `reset()`
 * when a new replication connection starts.
 */
export class PgoutputDecoder {
  readonly protoVersion: PgoutputProtocolVersion;
  private streaming = false;
  private buf: Buffer = EMPTY;
  private pos = 0;

  constructor(options: { readonly protoVersion: PgoutputProtocolVersion }) {
    this.protoVersion = options.protoVersion;
  }

  /** True between Stream Start and Stream Stop. */
  get inStream(): boolean {
    return this.streaming;
  }

  /** Forgets the stream state: the next message starts outside any stream block. */
  reset(): void {
    this.streaming = false;
  }

  /**
   * Decodes one message. `lsn` (the XLogData start position) only names the place in errors.
   * Throws TRB_PG_PGOUTPUT_UNKNOWN_TAG or TRB_PG_PGOUTPUT_MALFORMED; neither is retriable.
   */
  decode(payload: Buffer, lsn?: Lsn): PgoutputMessage {
    const tag = payload[0];
    if (tag === undefined) throw malformedError(undefined, lsn, "the message is empty");
    this.buf = payload;
    this.pos = 1;
    try {
      const message = this.body(tag, lsn);
      if (this.pos !== payload.length) {
        throw new Malformed(`${payload.length - this.pos} unexpected bytes after the message`);
      }
      if (tag === TAG_STREAM_START) this.streaming = true;
      else if (tag === TAG_STREAM_STOP) this.streaming = false;
      return message;
    } catch (error) {
      if (error instanceof Malformed) throw malformedError(tag, lsn, error.message);
      if (error instanceof RangeError) {
        throw malformedError(tag, lsn, `it ends after ${payload.length} bytes, inside a field`, error);
      }
      throw error;
    } finally {
      this.buf = EMPTY;
    }
  }

  private body(tag: number, lsn: Lsn | undefined): PgoutputMessage {
    switch (tag) {
      case TAG_INSERT:
        return this.insert();
      case TAG_UPDATE:
        return this.update();
      case TAG_DELETE:
        return this.delete();
      case TAG_BEGIN:
        return this.begin();
      case TAG_COMMIT:
        return this.commit();
      case TAG_RELATION:
        return this.relation();
      case TAG_TYPE:
        return this.type();
      case TAG_ORIGIN:
        return this.origin();
      case TAG_TRUNCATE:
        return this.truncate();
      case TAG_MESSAGE:
        return this.message();
      case TAG_STREAM_START:
        this.requireVersion(2, tag, lsn);
        return this.streamStart();
      case TAG_STREAM_STOP:
        this.requireVersion(2, tag, lsn);
        return this.streamStop();
      case TAG_STREAM_COMMIT:
        this.requireVersion(2, tag, lsn);
        return this.streamCommit();
      case TAG_STREAM_ABORT:
        this.requireVersion(2, tag, lsn);
        return this.streamAbort();
      case TAG_BEGIN_PREPARE:
        this.requireVersion(3, tag, lsn);
        return this.beginPrepare();
      case TAG_PREPARE:
        this.requireVersion(3, tag, lsn);
        return this.prepare("prepare");
      case TAG_STREAM_PREPARE:
        this.requireVersion(3, tag, lsn);
        return this.prepare("stream-prepare");
      case TAG_COMMIT_PREPARED:
        this.requireVersion(3, tag, lsn);
        return this.commitPrepared();
      case TAG_ROLLBACK_PREPARED:
        this.requireVersion(3, tag, lsn);
        return this.rollbackPrepared();
      default:
        throw unknownTagError(tag, lsn, this.protoVersion);
    }
  }

  private requireVersion(min: PgoutputProtocolVersion, tag: number, lsn: Lsn | undefined): void {
    if (this.protoVersion < min) throw unknownTagError(tag, lsn, this.protoVersion, min);
  }

  // ---- transaction boundaries -------------------------------------------------------------

  private begin(): PgoutputMessage {
    const finalLsn = this.lsn();
    const commitTimeMicros = this.timestamp();
    return {
      tag: "begin",
      finalLsn,
      commitTimeMicros,
      commitTimeMs: unixMicrosToMs(commitTimeMicros),
      xid: this.u32(),
    };
  }

  private commit(): PgoutputMessage {
    const flags = this.u8();
    const commitLsn = this.lsn();
    const endLsn = this.lsn();
    const commitTimeMicros = this.timestamp();
    return {
      tag: "commit",
      flags,
      commitLsn,
      endLsn,
      commitTimeMicros,
      commitTimeMs: unixMicrosToMs(commitTimeMicros),
    };
  }

  private origin(): PgoutputMessage {
    const originLsn = this.lsn();
    return { tag: "origin", originLsn, originName: this.cstring() };
  }

  // ---- schema -------------------------------------------------------------------------------

  private relation(): PgoutputMessage {
    const xid = this.streamXid();
    const relationOid = this.u32();
    const schema = this.cstring();
    const name = this.cstring();
    const identity = this.u8();
    if (!REPLICA_IDENTITIES.has(identity)) {
      throw new Malformed(`replica identity ${describeByte(identity)} is none of d, n, f, i`);
    }
    const count = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    if (count < 0) throw new Malformed(`negative column count ${count}`);
    const columns: RelationColumn[] = [];
    for (let i = 0; i < count; i++) {
      const flags = this.u8();
      const columnName = this.cstring();
      const typeOid = this.u32();
      const typeMod = this.buf.readInt32BE(this.pos);
      this.pos += 4;
      columns.push({ flags, isKey: (flags & 1) === 1, name: columnName, typeOid, typeMod });
    }
    return {
      tag: "relation",
      xid,
      relationOid,
      schema,
      name,
      replicaIdentity: String.fromCharCode(identity) as ReplicaIdentity,
      columns,
    };
  }

  private type(): PgoutputMessage {
    const xid = this.streamXid();
    const typeOid = this.u32();
    const schema = this.cstring();
    return { tag: "type", xid, typeOid, schema, name: this.cstring() };
  }

  // ---- row changes --------------------------------------------------------------------------

  private insert(): PgoutputMessage {
    const xid = this.streamXid();
    const relationOid = this.u32();
    this.expectNewTupleMarker();
    return { tag: "insert", xid, relationOid, newTuple: this.tuple() };
  }

  private update(): PgoutputMessage {
    const xid = this.streamXid();
    const relationOid = this.u32();
    let oldTuple: OldTuple | undefined;
    const marker = this.u8();
    if (marker === MARK_KEY || marker === MARK_OLD) {
      oldTuple = { kind: marker === MARK_KEY ? "key" : "full", values: this.tuple() };
      this.expectNewTupleMarker();
    } else if (marker !== MARK_NEW) {
      throw new Malformed(`tuple marker ${describeByte(marker)} is none of K, O, N`);
    }
    return { tag: "update", xid, relationOid, oldTuple, newTuple: this.tuple() };
  }

  private delete(): PgoutputMessage {
    const xid = this.streamXid();
    const relationOid = this.u32();
    const marker = this.u8();
    if (marker !== MARK_KEY && marker !== MARK_OLD) {
      throw new Malformed(`tuple marker ${describeByte(marker)} is neither K nor O`);
    }
    const oldTuple: OldTuple = { kind: marker === MARK_KEY ? "key" : "full", values: this.tuple() };
    return { tag: "delete", xid, relationOid, oldTuple };
  }

  private truncate(): PgoutputMessage {
    const xid = this.streamXid();
    const count = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    if (count < 0) throw new Malformed(`negative relation count ${count}`);
    const options = this.u8();
    const relationOids: number[] = [];
    for (let i = 0; i < count; i++) relationOids.push(this.u32());
    return {
      tag: "truncate",
      xid,
      options,
      cascade: (options & 1) !== 0,
      restartIdentity: (options & 2) !== 0,
      relationOids,
    };
  }

  private message(): PgoutputMessage {
    const xid = this.streamXid();
    const flags = this.u8();
    const messageLsn = this.lsn();
    const prefix = this.cstring();
    const length = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    const content = this.copyBytes(length);
    return { tag: "message", xid, flags, transactional: (flags & 1) !== 0, messageLsn, prefix, content };
  }

  // ---- streaming (protocol 2+) --------------------------------------------------------------

  private streamStart(): PgoutputMessage {
    if (this.streaming) throw new Malformed("Stream Start inside a stream block (no Stream Stop before it)");
    const xid = this.u32();
    const firstSegment = this.u8() === 1;
    return { tag: "stream-start", xid, firstSegment };
  }

  private streamStop(): PgoutputMessage {
    if (!this.streaming) throw new Malformed("Stream Stop outside a stream block");
    return STREAM_STOP;
  }

  private streamCommit(): PgoutputMessage {
    const xid = this.u32();
    const flags = this.u8();
    const commitLsn = this.lsn();
    const endLsn = this.lsn();
    const commitTimeMicros = this.timestamp();
    return {
      tag: "stream-commit",
      xid,
      flags,
      commitLsn,
      endLsn,
      commitTimeMicros,
      commitTimeMs: unixMicrosToMs(commitTimeMicros),
    };
  }

  private streamAbort(): PgoutputMessage {
    const xid = this.u32();
    const subxid = this.u32();
    // Protocol 4 adds the abort LSN and time, but only with streaming 'parallel'.
    if (this.protoVersion >= 4 && this.buf.length - this.pos >= 16) {
      const abortLsn = this.lsn();
      return { tag: "stream-abort", xid, subxid, abortLsn, abortTimeMicros: this.timestamp() };
    }
    return { tag: "stream-abort", xid, subxid, abortLsn: undefined, abortTimeMicros: undefined };
  }

  // ---- two-phase (protocol 3+) --------------------------------------------------------------

  private beginPrepare(): PgoutputMessage {
    const prepareLsn = this.lsn();
    const endLsn = this.lsn();
    const prepareTimeMicros = this.timestamp();
    const xid = this.u32();
    return { tag: "begin-prepare", prepareLsn, endLsn, prepareTimeMicros, xid, gid: this.cstring() };
  }

  private prepare(tag: "prepare" | "stream-prepare"): PgoutputMessage {
    const flags = this.u8();
    const prepareLsn = this.lsn();
    const endLsn = this.lsn();
    const prepareTimeMicros = this.timestamp();
    const xid = this.u32();
    return { tag, flags, prepareLsn, endLsn, prepareTimeMicros, xid, gid: this.cstring() };
  }

  private commitPrepared(): PgoutputMessage {
    const flags = this.u8();
    const commitLsn = this.lsn();
    const endLsn = this.lsn();
    const commitTimeMicros = this.timestamp();
    const xid = this.u32();
    return { tag: "commit-prepared", flags, commitLsn, endLsn, commitTimeMicros, xid, gid: this.cstring() };
  }

  private rollbackPrepared(): PgoutputMessage {
    const flags = this.u8();
    const prepareEndLsn = this.lsn();
    const rollbackEndLsn = this.lsn();
    const prepareTimeMicros = this.timestamp();
    const rollbackTimeMicros = this.timestamp();
    const xid = this.u32();
    return {
      tag: "rollback-prepared",
      flags,
      prepareEndLsn,
      rollbackEndLsn,
      prepareTimeMicros,
      rollbackTimeMicros,
      xid,
      gid: this.cstring(),
    };
  }

  // ---- primitives ---------------------------------------------------------------------------

  /** TupleData: Int16 column count, then per column a kind byte and, for t/b, Int32 length + bytes. */
  private tuple(): TupleValue[] {
    const buf = this.buf;
    let pos = this.pos;
    const count = buf.readInt16BE(pos);
    pos += 2;
    if (count < 0) throw new Malformed(`negative column count ${count}`);
    const values: TupleValue[] = [];
    for (let i = 0; i < count; i++) {
      const kind = buf[pos++];
      if (kind === KIND_TEXT || kind === KIND_BINARY) {
        const length = buf.readInt32BE(pos);
        const start = pos + 4;
        const end = start + length;
        if (length < 0 || end > buf.length) {
          throw new Malformed(`column ${i + 1} claims ${length} bytes but ${buf.length - start} remain`);
        }
        values.push(
          kind === KIND_TEXT
            ? { kind: "text", text: buf.toString("utf8", start, end) }
            : { kind: "binary", bytes: Buffer.from(buf.subarray(start, end)) },
        );
        pos = end;
      } else if (kind === KIND_NULL) {
        values.push(NULL_VALUE);
      } else if (kind === KIND_UNCHANGED) {
        values.push(UNCHANGED_VALUE);
      } else if (kind === undefined) {
        throw new Malformed(`it ends before column ${i + 1} of ${count}`);
      } else {
        throw new Malformed(`column ${i + 1} has kind ${describeByte(kind)}, none of n, u, t, b`);
      }
    }
    this.pos = pos;
    return values;
  }

  private expectNewTupleMarker(): void {
    const marker = this.u8();
    if (marker !== MARK_NEW)
      throw new Malformed(`expected new-tuple marker N, found ${describeByte(marker)}`);
  }

  /** The xid field that data messages carry only inside a stream block. */
  private streamXid(): number | undefined {
    return this.streaming ? this.u32() : undefined;
  }

  private u8(): number {
    const value = this.buf[this.pos];
    if (value === undefined) throw new Malformed(`it ends at byte ${this.pos}, inside a field`);
    this.pos += 1;
    return value;
  }

  private u32(): number {
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  private lsn(): Lsn {
    const value = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return value as Lsn;
  }

  /** A TimestampTz (µs since 2000-01-01) as µs since the Unix epoch. */
  private timestamp(): bigint {
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return pgTimestampToUnixMicros(value);
  }

  private cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new Malformed(`a string starting at byte ${this.pos} has no terminating zero byte`);
    const value = this.buf.toString("utf8", this.pos, end);
    this.pos = end + 1;
    return value;
  }

  private copyBytes(length: number): Buffer {
    const end = this.pos + length;
    if (length < 0 || end > this.buf.length) {
      throw new Malformed(`content claims ${length} bytes but ${this.buf.length - this.pos} remain`);
    }
    const bytes = Buffer.from(this.buf.subarray(this.pos, end));
    this.pos = end;
    return bytes;
  }
}

/** A decoding problem without its context; `decode` turns it into a TributaryError. */
class Malformed extends Error {}

const EMPTY = Buffer.alloc(0);
const NULL_VALUE: TupleValue = Object.freeze({ kind: "null" });
const UNCHANGED_VALUE: TupleValue = Object.freeze({ kind: "unchanged" });
const STREAM_STOP: PgoutputMessage = Object.freeze({ tag: "stream-stop" });

const code = (char: string): number => char.charCodeAt(0);
const TAG_BEGIN = code("B");
const TAG_COMMIT = code("C");
const TAG_ORIGIN = code("O");
const TAG_RELATION = code("R");
const TAG_TYPE = code("Y");
const TAG_INSERT = code("I");
const TAG_UPDATE = code("U");
const TAG_DELETE = code("D");
const TAG_TRUNCATE = code("T");
const TAG_MESSAGE = code("M");
const TAG_STREAM_START = code("S");
const TAG_STREAM_STOP = code("E");
const TAG_STREAM_COMMIT = code("c");
const TAG_STREAM_ABORT = code("A");
const TAG_BEGIN_PREPARE = code("b");
const TAG_PREPARE = code("P");
const TAG_COMMIT_PREPARED = code("K");
const TAG_ROLLBACK_PREPARED = code("r");
const TAG_STREAM_PREPARE = code("p");
const MARK_KEY = code("K");
const MARK_OLD = code("O");
const MARK_NEW = code("N");
const KIND_NULL = code("n");
const KIND_UNCHANGED = code("u");
const KIND_TEXT = code("t");
const KIND_BINARY = code("b");
const REPLICA_IDENTITIES = new Set([code("d"), code("n"), code("f"), code("i")]);

const TAG_NAMES: Readonly<Record<string, string>> = {
  B: "Begin",
  C: "Commit",
  O: "Origin",
  R: "Relation",
  Y: "Type",
  I: "Insert",
  U: "Update",
  D: "Delete",
  T: "Truncate",
  M: "Message",
  S: "Stream Start",
  E: "Stream Stop",
  c: "Stream Commit",
  A: "Stream Abort",
  b: "Begin Prepare",
  P: "Prepare",
  K: "Commit Prepared",
  r: "Rollback Prepared",
  p: "Stream Prepare",
};

function describeByte(byte: number): string {
  const printable = byte >= 0x20 && byte < 0x7f;
  return `${printable ? `'${String.fromCharCode(byte)}' ` : ""}(0x${byte.toString(16).padStart(2, "0")})`;
}

function at(lsn: Lsn | undefined): string {
  return lsn === undefined ? "at an unknown LSN" : `at LSN ${formatLsn(lsn)}`;
}

function unknownTagError(
  tag: number,
  lsn: Lsn | undefined,
  protoVersion: PgoutputProtocolVersion,
  requiredVersion?: PgoutputProtocolVersion,
): TributaryError {
  const name = TAG_NAMES[String.fromCharCode(tag)];
  const what =
    requiredVersion === undefined
      ? `unknown pgoutput message tag ${describeByte(tag)}`
      : `pgoutput ${name} message ${describeByte(tag)} needs protocol version ${requiredVersion}`;
  return new TributaryError(
    "TRB_PG_PGOUTPUT_UNKNOWN_TAG",
    `${what} ${at(lsn)} while decoding protocol version ${protoVersion}; the server sent a message ` +
      "this version does not define — report it with the PostgreSQL version and the slot's options",
    {
      details: {
        tag: String.fromCharCode(tag),
        tagByte: tag,
        lsn: lsn === undefined ? undefined : formatLsn(lsn),
        protoVersion,
      },
    },
  );
}

function malformedError(
  tag: number | undefined,
  lsn: Lsn | undefined,
  reason: string,
  cause?: unknown,
): TributaryError {
  const name = tag === undefined ? "" : `${TAG_NAMES[String.fromCharCode(tag)] ?? "unknown"} `;
  const tagText = tag === undefined ? "" : `${describeByte(tag)} `;
  return new TributaryError(
    "TRB_PG_PGOUTPUT_MALFORMED",
    `malformed pgoutput ${name}message ${tagText}${at(lsn)}: ${reason}; the replication stream is ` +
      "corrupt or not pgoutput — check the slot's plugin and protocol version",
    {
      cause,
      details: {
        tag: tag === undefined ? undefined : String.fromCharCode(tag),
        lsn: lsn === undefined ? undefined : formatLsn(lsn),
      },
    },
  );
}
