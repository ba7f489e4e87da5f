import { createRequire } from "node:module";
import { crc32c } from "./crc32c.js";

/**
 * kafkajs 2.2.4 encodes each record of a produce request through a growable Encoder: a fresh
 * buffer per record and per header, every varint written as its own `Buffer.from([...])`, the
 * timestamp delta through a 64-bit Long, then the record bytes copied into the batch, and a
 * byte-wise CRC-32C over the whole. In a profile of the source that was a third of its CPU.
 *
 * Here `encodeRecord` only measures a record (exact sizes, no bytes), and `encodeRecordBatch`
 * writes the whole batch once into one buffer of the exact size, with a hardware CRC. The
 * bytes are the same as kafkajs's own (see the unit tests, which compare both on varied
 * records). `installRecordEncoding` puts both in Node's module cache before kafkajs loads its
 * versions, as `kafkajs-fixes.ts` does for the partition grouping.
 */

const require = createRequire(import.meta.url);

/** The parts of kafkajs's Encoder used here (kafkajs/src/protocol/encoder.js). */
export interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  writeInt8(value: number): KafkajsEncoder;
  writeInt16(value: number): KafkajsEncoder;
  writeInt32(value: number): KafkajsEncoder;
  writeInt64(value: unknown): KafkajsEncoder;
  writeVarLong(value: unknown): KafkajsEncoder;
}
type EncoderClass = new (initialSize?: number) => KafkajsEncoder;

interface Codec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
}
interface CompressionModule {
  Types: { None: number };
  lookupCodec(type: number): Codec | null;
  COMPRESSION_CODEC_MASK: number;
}
interface LongClass {
  fromInt(value: number): unknown;
  fromValue(value: unknown): unknown;
}

const Encoder = require("kafkajs/src/protocol/encoder.js") as EncoderClass;
export const Long = require("kafkajs/src/utils/long.js") as LongClass;
export const compressionModule =
  require("kafkajs/src/protocol/message/compression/index.js") as CompressionModule;

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** int64 firstOffset, int32 length, int32 partitionLeaderEpoch, int8 magic, uint32 crc. */
const BATCH_PREFIX = 8 + 4 + 4 + 1 + 4;

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, HeaderValue>;
}

/** A record measured but not yet written: what `encodeRecordBatch` writes. */
export class MeasuredRecord {
  constructor(
    readonly offsetDelta: number,
    /** The varlong bytes of a timestamp delta outside the fast path; null when `timestampDelta` is used. */
    readonly timestampBytes: Buffer | null,
    readonly timestampDelta: number,
    readonly key: Buffer | string | null | undefined,
    readonly value: Buffer | string | null | undefined,
    readonly headers: Buffer,
    readonly bodySize: number,
    /** The varint of `bodySize` plus the body. */
    readonly size: number,
  ) {}
}

// kafkajs's zig-zag and varint loops, on 32-bit values, kept operation for operation.
function zigZag(value: number): number {
  return (value << 1) ^ (value >> 31);
}

function sizeOfUnsignedVarInt(value: number): number {
  let bytes = 1;
  let rest = value;
  while ((rest & 0xffffff80) !== 0) {
    bytes += 1;
    rest >>>= 7;
  }
  return bytes;
}

function sizeOfVarInt(value: number): number {
  return sizeOfUnsignedVarInt(zigZag(value));
}

function writeVarInt(out: Buffer, offset: number, value: number): number {
  let rest = zigZag(value);
  let at = offset;
  while ((rest & 0xffffff80) !== 0) {
    out[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[at++] = rest & 0x7f;
  return at;
}

/** Deltas within ±2^30 zig-zag into 31 bits, where the 32-bit loop gives the varlong's bytes. */
const SMALL_DELTA = 2 ** 30;

function byteLengthOf(value: Buffer | string): number {
  return Buffer.byteLength(value);
}

function sizeOfVarIntBytes(value: Buffer | string | null | undefined): number {
  if (value == null) return 1;
  const length = byteLengthOf(value);
  return sizeOfVarInt(length) + length;
}

function writeVarIntBytes(out: Buffer, offset: number, value: Buffer | string | null | undefined): number {
  if (value == null) return writeVarInt(out, offset, -1);
  if (Buffer.isBuffer(value)) {
    const at = writeVarInt(out, offset, value.length);
    // TypedArray#set: Buffer#copy validates its arguments and makes a view on every call.
    out.set(value, at);
    return at + value.length;
  }
  const text = String(value);
  const length = Buffer.byteLength(text);
  const at = writeVarInt(out, offset, length);
  out.write(text, at, length, "utf8");
  return at + length;
}

/** Headers' encoded bytes (count varint, then key and value of each), kept per frozen headers object. */
const headerBytesCache = new WeakMap<object, Buffer>();
const NO_HEADERS = Buffer.of(0);

function encodeHeaders(headers: Record<string, HeaderValue>): Buffer {
  const cached = headerBytesCache.get(headers);
  if (cached !== undefined) return cached;
  const pairs: { key: string; value: Buffer | string }[] = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value)) for (const item of value) pairs.push({ key, value: item });
    else pairs.push({ key, value: value as Buffer | string });
  }
  if (pairs.length === 0) return NO_HEADERS;
  let size = sizeOfVarInt(pairs.length);
  for (const { key, value } of pairs) {
    const keyLength = Buffer.byteLength(key);
    size += sizeOfVarInt(keyLength) + keyLength + sizeOfVarIntBytes(value);
  }
  const out = Buffer.alloc(size);
  let at = writeVarInt(out, 0, pairs.length);
  for (const { key, value } of pairs) {
    at = writeVarIntBytes(out, at, key);
    at = writeVarIntBytes(out, at, value);
  }
  // Only a frozen object is sure to hold the same headers next time.
  if (Object.isFrozen(headers)) headerBytesCache.set(headers, out);
  return out;
}

/** Replaces kafkajs/src/protocol/recordBatch/record/v0: measures the record for `encodeRecordBatch`. */
export function encodeRecord({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordInput): MeasuredRecord {
  let timestampBytes: Buffer | null = null;
  let timestampSize: number;
  if (
    typeof timestampDelta === "number" &&
    Number.isInteger(timestampDelta) &&
    Math.abs(timestampDelta) < SMALL_DELTA
  ) {
    timestampSize = sizeOfVarInt(timestampDelta);
  } else {
    timestampBytes = new Encoder().writeVarLong(timestampDelta).buffer;
    timestampSize = timestampBytes.length;
  }
  const headerBytes = encodeHeaders(headers);
  const bodySize =
    1 +
    timestampSize +
    sizeOfVarInt(offsetDelta) +
    sizeOfVarIntBytes(key) +
    sizeOfVarIntBytes(value) +
    headerBytes.length;
  return new MeasuredRecord(
    offsetDelta,
    timestampBytes,
    timestampDelta,
    key,
    value,
    headerBytes,
    bodySize,
    sizeOfVarInt(bodySize) + bodySize,
  );
}

function writeRecord(out: Buffer, offset: number, record: MeasuredRecord): number {
  let at = writeVarInt(out, offset, record.bodySize);
  out[at++] = 0;
  if (record.timestampBytes === null) at = writeVarInt(out, at, record.timestampDelta);
  else {
    out.set(record.timestampBytes, at);
    at += record.timestampBytes.length;
  }
  at = writeVarInt(out, at, record.offsetDelta);
  at = writeVarIntBytes(out, at, record.key);
  at = writeVarIntBytes(out, at, record.value);
  out.set(record.headers, at);
  return at + record.headers.length;
}

/** A record kafkajs encoded itself (an Encoder), or one measured here. */
type AnyRecord = MeasuredRecord | KafkajsEncoder;

function sizeOf(record: AnyRecord): number {
  return record instanceof MeasuredRecord ? record.size : record.offset;
}

function writeRecords(out: Buffer, offset: number, records: readonly AnyRecord[]): number {
  let at = offset;
  for (const record of records) {
    if (record instanceof MeasuredRecord) at = writeRecord(out, at, record);
    else {
      record.buf.copy(out, at, 0, record.offset);
      at += record.offset;
    }
  }
  return at;
}

/** A kafkajs Encoder holding exactly `bytes`, for kafkajs code that takes an Encoder. */
export function encoderOver(bytes: Buffer): KafkajsEncoder {
  const encoder = new Encoder(0);
  encoder.buf = bytes;
  encoder.offset = bytes.length;
  return encoder;
}

export interface RecordBatchInput {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: readonly AnyRecord[];
}

/**
 * The batch's fields before its records, with its length and CRC still zero (`finishBatch`
 * fills them in). The few 64-bit fields go through kafkajs's own Encoder and Long, so they take
 * every form kafkajs takes.
 */
export function batchHeader({
  compression = compressionModule.Types.None,
  firstOffset = Long.fromInt(0),
  firstTimestamp = Date.now(),
  maxTimestamp = Date.now(),
  partitionLeaderEpoch = 0,
  lastOffsetDelta = 0,
  transactional = false,
  producerId = Long.fromValue(-1),
  producerEpoch = 0,
  firstSequence = 0,
  records = [],
}: RecordBatchInput): Buffer {
  const attributes =
    (compression & compressionModule.COMPRESSION_CODEC_MASK) | (transactional ? TRANSACTIONAL_MASK : 0);
  return new Encoder(64)
    .writeInt64(firstOffset)
    .writeInt32(0)
    .writeInt32(partitionLeaderEpoch)
    .writeInt8(MAGIC_BYTE)
    .writeInt32(0)
    .writeInt16(attributes)
    .writeInt32(lastOffsetDelta)
    .writeInt64(firstTimestamp)
    .writeInt64(maxTimestamp)
    .writeInt64(producerId)
    .writeInt16(producerEpoch)
    .writeInt32(firstSequence)
    .writeInt32(records.length).buffer;
}

/** Bytes of the uncompressed records. */
export function recordsSize(records: readonly AnyRecord[]): number {
  let size = 0;
  for (const record of records) size += sizeOf(record);
  return size;
}

/** Writes an uncompressed batch (its header from `batchHeader`) at `offset`; returns where it ends. */
export function writeBatch(
  out: Buffer,
  offset: number,
  header: Buffer,
  records: readonly AnyRecord[],
): number {
  header.copy(out, offset);
  const end = writeRecords(out, offset + header.length, records);
  finishBatch(out, offset, end);
  return end;
}

/** Fills in the length and CRC of the batch at `out[start, end)`. */
function finishBatch(out: Buffer, start: number, end: number): void {
  out.writeInt32BE(end - start - 12, start + 8);
  out.writeUInt32BE(crc32c(out, start + BATCH_PREFIX, end), start + 17);
}

/** Replaces `RecordBatch` of kafkajs/src/protocol/recordBatch/v0: the whole batch in one buffer. */
export async function encodeRecordBatch(input: RecordBatchInput): Promise<KafkajsEncoder> {
  const { compression = compressionModule.Types.None, records = [] } = input;
  const header = batchHeader(input);
  if (compression === compressionModule.Types.None) {
    const out = Buffer.allocUnsafe(header.length + recordsSize(records));
    writeBatch(out, 0, header, records);
    return encoderOver(out);
  }
  const codec = compressionModule.lookupCodec(compression);
  const plain = Buffer.allocUnsafe(recordsSize(records));
  writeRecords(plain, 0, records);
  // lookupCodec throws for a codec kafkajs lacks, as kafkajs's own RecordBatch would.
  const compressed = await (codec as Codec).compress(encoderOver(plain));
  const out = Buffer.allocUnsafe(header.length + compressed.length);
  header.copy(out, 0);
  compressed.copy(out, header.length);
  finishBatch(out, 0, out.length);
  return encoderOver(out);
}

const RECORD_MODULE = "kafkajs/src/protocol/recordBatch/record/v0/index.js";
const BATCH_MODULE = "kafkajs/src/protocol/recordBatch/v0/index.js";

/** Resolved paths of the two kafkajs modules this replaces. */
export const REPLACED_MODULES = {
  record: require.resolve(RECORD_MODULE),
  batch: require.resolve(BATCH_MODULE),
};

/**
 * Puts both replacements in Node's module cache, or neither: kafkajs's RecordBatch cannot write
 * a measured record, nor this one kafkajs's Encoder-only assumptions.
 */
export function installRecordEncoding(install: (path: string, exports: unknown) => boolean): void {
  const cache = require.cache;
  if (cache[REPLACED_MODULES.record] || cache[REPLACED_MODULES.batch]) return;
  install(REPLACED_MODULES.record, encodeRecord);
  install(REPLACED_MODULES.batch, { RecordBatch: encodeRecordBatch, MAGIC_BYTE });
}
