/**
 * Snapshot reads (op `r`) of tables whose row fields `avro-copy-text.ts` writes: their envelope
 * is decoded without the row image, whose Avro bytes a bulk copy writes straight into COPY text
 * (`SnapshotRow`). The envelope's `after` is decoded only when something reads it, so every
 * other path (filters, statements, conflicts) sees the same envelope as a full decode gives.
 */
import {
  type AvroRecordSchema,
  type AvroSchema,
  type Envelope,
  type PartDecoder,
  partDecoder,
  type Row,
  SINGLE_OBJECT_HEADER_LENGTH,
  type SourceInfo,
  type TransactionInfo,
  type WriterSchema,
} from "@tributary/core";
import { AvroCursor, type AvroRowLayout, avroRowLayout, skipAvroRow } from "../sql/avro-copy-text.js";
import { rowRecord } from "../table-model.js";

/** The row image of a snapshot read, still in Avro binary form. */
export interface SnapshotRow {
  /**
   * The envelope and key it was decoded with: the bytes stand for the record's row only while
   * the record still holds these (a filter or a conflict policy that rewrites a record replaces them).
   */
  readonly envelope: Envelope;
  readonly key: Row | null;
  readonly layout: AvroRowLayout;
  /** The message, and where the `after` row's Avro body starts in it. */
  readonly bytes: Buffer;
  readonly start: number;
}

/** A snapshot read: one object per record is both its envelope and its row (`envelope` is itself). */
export type SnapshotRead = Envelope & SnapshotRow;

/** The envelope fields, in order, whose layout `SnapshotReader` reads (an envelope with any other field is read in full). */
const ENVELOPE_FIELDS = ["before", "after", "unchanged", "op", "source", "origin", "ts_ms", "transaction"];

/** Avro's zig-zag encoding of union branch 0 and 1, an empty array's end, a string's length 1. */
const BRANCH_0 = 0x00;
const BRANCH_1 = 0x02;
const ARRAY_END = 0x00;
const LENGTH_1 = 0x02;
const LETTER_R = 0x72;

/** The reader of `writer`'s envelopes, or null when its rows are not all of types `avro-copy-text.ts` writes. */
export function snapshotReaderOf(writer: WriterSchema): SnapshotReader | null {
  let reader = readers.get(writer);
  if (reader === undefined) {
    const layout = envelopeRowLayout(writer.schema);
    reader = layout === null ? null : new SnapshotReader(writer, layout);
    readers.set(writer, reader);
  }
  return reader;
}

export class SnapshotReader {
  private readonly after: PartDecoder;
  private readonly source: PartDecoder;
  private readonly transaction: PartDecoder;
  private last: SourceAndOrigin | undefined;
  /** The last `ts_ms` read, and its bigint: a snapshot's events mostly share it. */
  private lastTsMs: number | bigint | undefined;
  private lastTsMsBig = 0n;
  /** Reused by each (synchronous) read. */
  private readonly cursor = new AvroCursor(Buffer.alloc(0), 0);

  constructor(
    writer: WriterSchema,
    private readonly layout: AvroRowLayout,
  ) {
    this.after = partDecoder(writer, ["after"]);
    this.source = partDecoder(writer, ["source"]);
    this.transaction = partDecoder(writer, ["transaction"]);
  }

  /**
   * The `source` and `origin` at the cursor, which it moves past them; undefined for bytes that
   * are not. The last ones read are kept with their bytes: the events of a snapshot mostly
   * repeat them, and equal bytes decode to equal values (the envelopes then share them).
   */
  private sourceAndOrigin(message: Buffer, cursor: AvroCursor): SourceAndOrigin | undefined {
    const start = cursor.pos;
    const last = this.last;
    if (last !== undefined && startsWith(message, start, last.bytes)) {
      cursor.pos += last.bytes.length;
      return last;
    }
    try {
      const source = this.source(message, start);
      if (source.offset < 0) return undefined;
      cursor.pos = source.offset;
      const length = cursor.readSmall();
      const end = cursor.pos + length;
      if (!(length >= 0 && end <= message.length)) return undefined;
      const origin = message.toString("utf8", cursor.pos, end);
      cursor.pos = end;
      this.last = {
        bytes: Buffer.from(message.subarray(start, end)),
        source: source.value as SourceInfo,
        origin,
      };
      return this.last;
    } catch {
      return undefined;
    }
  }

  /**
   * The snapshot read in the single-object `message` (a full row, no old image, every column
   * sent); undefined for any other event, or bytes it cannot read: decode those in full.
   */
  read(message: Buffer, key: Row | null): SnapshotRead | undefined {
    const cursor = this.cursor;
    cursor.bytes = message;
    cursor.pos = SINGLE_OBJECT_HEADER_LENGTH;
    if (message[cursor.pos++] !== BRANCH_0) return undefined;
    const afterAt = cursor.pos;
    if (message[cursor.pos++] !== BRANCH_1) return undefined;
    const start = cursor.pos;
    cursor.pos = skipAvroRow(this.layout, message, start);
    if (cursor.pos < 0) return undefined;
    if (message[cursor.pos++] !== ARRAY_END) return undefined;
    if (message[cursor.pos++] !== LENGTH_1 || message[cursor.pos++] !== LETTER_R) return undefined;
    const head = this.sourceAndOrigin(message, cursor);
    if (head === undefined) return undefined;
    const tsMs = cursor.readLong();
    if (!(cursor.pos <= message.length)) return undefined;
    let transaction: TransactionInfo | null = null;
    if (message[cursor.pos] !== BRANCH_0 || cursor.pos + 1 !== message.length) {
      try {
        const read = this.transaction(message, cursor.pos);
        if (read.offset !== message.length) return undefined;
        transaction = read.value as TransactionInfo | null;
      } catch {
        return undefined;
      }
    }
    return new SnapshotEnvelope(
      this.after,
      afterAt,
      head.source,
      head.origin,
      this.bigTsMs(tsMs),
      transaction,
      key,
      this.layout,
      message,
      start,
    );
  }

  private bigTsMs(tsMs: number | bigint): bigint {
    if (tsMs !== this.lastTsMs) {
      this.lastTsMs = tsMs;
      this.lastTsMsBig = typeof tsMs === "bigint" ? tsMs : BigInt(tsMs);
    }
    return this.lastTsMsBig;
  }
}

/** A snapshot read has no unchanged columns; its envelopes share one empty list, which nothing changes. */
const NO_UNCHANGED = Object.freeze([]) as readonly string[] as string[];

/**
 * The envelope of a snapshot read, as a full decode gives it, but with `after` decoded from the
 * message on first read; also the read's row (`SnapshotRow`), so that a record costs one object
 * here. `after` is a getter of the class (an object literal's own getter costs about a
 * microsecond per envelope to create), so a spread copy lacks it: the sink spreads only
 * envelopes of other ops, or sets `after` in the copy.
 */
class SnapshotEnvelope implements Envelope, SnapshotRow {
  readonly before = null;
  readonly unchanged = NO_UNCHANGED;
  readonly op = "r";
  private decoded: Row | undefined;

  constructor(
    private readonly decodeAfter: PartDecoder,
    private readonly afterAt: number,
    readonly source: SourceInfo,
    readonly origin: string,
    readonly ts_ms: bigint,
    readonly transaction: TransactionInfo | null,
    readonly key: Row | null,
    readonly layout: AvroRowLayout,
    readonly bytes: Buffer,
    readonly start: number,
  ) {}

  get envelope(): Envelope {
    return this;
  }

  get after(): Row {
    this.decoded ??= this.decodeAfter(this.bytes, this.afterAt).value as Row;
    return this.decoded;
  }
}

interface SourceAndOrigin {
  /** Their Avro bytes. */
  readonly bytes: Buffer;
  readonly source: SourceInfo;
  readonly origin: string;
}

/** Whether `bytes` holds `prefix` at `start`. */
function startsWith(bytes: Buffer, start: number, prefix: Buffer): boolean {
  if (start + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (bytes[start + i] !== prefix[i]) return false;
  }
  return true;
}

const readers = new WeakMap<WriterSchema, SnapshotReader | null>();

/** The row layout of an envelope schema of exactly the fields `SnapshotReader` reads, else null. */
function envelopeRowLayout(schema: AvroSchema): AvroRowLayout | null {
  if (typeof schema !== "object" || Array.isArray(schema) || schema === null) return null;
  const envelope = schema as AvroRecordSchema;
  if (envelope.type !== "record" || !Array.isArray(envelope.fields)) return null;
  const names = envelope.fields.map((field) => field.name);
  if (names.length !== ENVELOPE_FIELDS.length || names.some((name, i) => name !== ENVELOPE_FIELDS[i]))
    return null;
  let row: AvroRecordSchema;
  try {
    row = rowRecord(envelope, "the envelope");
  } catch {
    return null;
  }
  const [before, after, unchanged, op, , origin, tsMs] = envelope.fields.map((field) => field.type);
  const rowName = row.namespace === undefined ? row.name : `${row.namespace}.${row.name}`;
  const isRowUnion = (type: AvroSchema | undefined) =>
    Array.isArray(type) &&
    type.length === 2 &&
    type[0] === "null" &&
    (type[1] === row || type[1] === rowName || type[1] === row.name);
  const isStringArray = (type: AvroSchema | undefined) =>
    typeof type === "object" &&
    type !== null &&
    !Array.isArray(type) &&
    (type as { type?: unknown }).type === "array" &&
    (type as { items?: unknown }).items === "string";
  if (
    !isRowUnion(before) ||
    !isRowUnion(after) ||
    !isStringArray(unchanged) ||
    op !== "string" ||
    origin !== "string" ||
    tsMs !== "long"
  ) {
    return null;
  }
  return avroRowLayout(row);
}
