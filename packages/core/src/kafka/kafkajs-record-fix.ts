import { createRequire } from "node:module";
import type { IHeaders, KafkaMessage } from "kafkajs";

/**
 * kafkajs 2.2.4 decodes each fetched record's headers with `({ ...obj, [key]: value })` inside
 * a reduce (an object copy per header) and its timestamp and offset with 64-bit Long objects
 * (several per record, a Long per varint byte): together a large part of a consumer's CPU and
 * garbage in a profile of the sink. `decodeRecord` has the same output (kafkajs-fixes.ts puts it
 * in Node's module cache before kafkajs loads its own): timestamp and offset added in doubles
 * whenever they are safe integers (else with Long, as kafkajs does), and headers gathered in one
 * object when first read. The sink reads a record's headers only to dead-letter it, and each
 * of our records carries two or three: decoding them up front cost a string, a Buffer view and
 * an object per header, for every record.
 */
interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): LongValue;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (decoder: KafkaDecoder) => T): T[];
}

interface LongValue {
  add(other: LongValue | number): LongValue;
  toString(): string;
}

interface LongStatic {
  fromValue(value: unknown): LongValue;
  fromNumber(value: number): LongValue;
}

interface BatchContext {
  firstOffset?: string;
  firstTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}

type HeaderValue = Buffer | null;

const require = createRequire(import.meta.url);
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (buffer: Buffer) => KafkaDecoder;
const Long = require("kafkajs/src/utils/long.js") as LongStatic;
const HeaderDecoder = require("kafkajs/src/protocol/recordBatch/header/v0/decoder.js") as (
  decoder: KafkaDecoder,
) => { key: string; value: HeaderValue };
const TimestampTypes = require("kafkajs/src/protocol/timestampTypes.js") as { LOG_APPEND_TIME: number };

/** A zigzag varlong of at most 7 bytes as a number (exact); undefined, nothing read, when longer. */
function readShortVarLong(decoder: KafkaDecoder): number | undefined {
  const buffer = decoder.buffer;
  let offset = decoder.offset;
  let zigzag = 0;
  let scale = 1;
  for (let count = 0; count < 7; count++) {
    const byte = buffer[offset++] as number;
    zigzag += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      decoder.offset = offset;
      return zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2;
    }
    scale *= 128;
  }
  return undefined;
}

/** `base` (a decimal string) plus `delta`, as kafkajs's Long sum would write it. */
function addToText(base: string | undefined, delta: number | LongValue): string {
  const start = Number(base);
  if (typeof delta === "number" && Number.isSafeInteger(start)) {
    const sum = start + delta;
    if (Number.isSafeInteger(sum)) return String(sum);
  }
  return Long.fromValue(base)
    .add(typeof delta === "number" ? Long.fromNumber(delta) : delta)
    .toString();
}

export function decodeRecord(decoder: KafkaDecoder, batchContext: BatchContext = {}) {
  const {
    firstOffset,
    firstTimestamp,
    magicByte,
    isControlBatch = false,
    timestampType,
    maxTimestamp,
  } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta = readShortVarLong(decoder) ?? decoder.readVarLong();
  const timestamp =
    timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp
      ? maxTimestamp
      : addToText(firstTimestamp, timestampDelta);
  const offsetDelta = decoder.readVarInt();
  const offset = addToText(firstOffset, offsetDelta);
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  return new FetchedRecord(
    magicByte,
    attributes,
    timestamp,
    offset,
    key,
    value,
    decoder.buffer,
    decoder.offset,
    isControlBatch,
    batchContext,
  );
}

/** A decoded record, as kafkajs's decoder gives it; its headers are decoded when first read. */
class FetchedRecord {
  // Private fields (#) are not own properties: a copy of the record holds kafkajs's fields only.
  readonly #bytes: Buffer;
  readonly #headersAt: number;
  #headers: Record<string, HeaderValue | HeaderValue[]> | undefined;

  constructor(
    readonly magicByte: number | undefined,
    readonly attributes: number,
    readonly timestamp: string,
    readonly offset: string,
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    /** The record's bytes, and where its headers start in them. */
    bytes: Buffer,
    headersAt: number,
    readonly isControlRecord: boolean,
    readonly batchContext: BatchContext,
  ) {
    this.#bytes = bytes;
    this.#headersAt = headersAt;
  }

  get headers(): Record<string, HeaderValue | HeaderValue[]> {
    this.#headers ??= decodeHeaders(this.#bytes, this.#headersAt);
    return this.#headers;
  }

  /**
   * The record with a copy of its bytes, its key and value views of that copy: one copy per
   * record, and headers still decoded only when read.
   */
  detached(): FetchedRecord {
    const bytes = Buffer.from(this.#bytes);
    return new FetchedRecord(
      this.magicByte,
      this.attributes,
      this.timestamp,
      this.offset,
      viewIn(bytes, this.#bytes, this.key),
      viewIn(bytes, this.#bytes, this.value),
      bytes,
      this.#headersAt,
      this.isControlRecord,
      this.batchContext,
    );
  }
}

/** `part` (a view of `original`) as the same range of `copy`; a part outside it is copied alone. */
function viewIn(copy: Buffer, original: Buffer, part: Buffer | null): Buffer | null {
  if (part === null) return null;
  const start = part.byteOffset - original.byteOffset;
  const inside = part.buffer === original.buffer && start >= 0 && start + part.length <= original.length;
  return inside ? copy.subarray(start, start + part.length) : Buffer.from(part);
}

/**
 * `message` with a copy of its bytes (see `FetchedRecord.detached`); a message kafkajs decoded
 * some other way is copied field by field.
 */
export function detachedMessage(message: KafkaMessage): KafkaMessage {
  if (message instanceof FetchedRecord) return message.detached() as unknown as KafkaMessage;
  const copy = (value: Buffer | null) => (value === null ? null : Buffer.from(value));
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Array.isArray(value)
      ? value.map((item) => (Buffer.isBuffer(item) ? Buffer.from(item) : item))
      : Buffer.isBuffer(value)
        ? Buffer.from(value)
        : value;
  }
  return { ...message, key: copy(message.key), value: copy(message.value), headers } as KafkaMessage;
}

function decodeHeaders(bytes: Buffer, at: number): Record<string, HeaderValue | HeaderValue[]> {
  const decoder = new Decoder(bytes);
  decoder.offset = at;
  const headers: Record<string, HeaderValue | HeaderValue[]> = {};
  for (const header of decoder.readVarIntArray(HeaderDecoder)) {
    const previous = headers[header.key];
    headers[header.key] =
      previous === undefined
        ? header.value
        : Array.isArray(previous)
          ? previous.concat([header.value])
          : [previous, header.value];
  }
  return headers;
}

/** The kafkajs module `decodeRecord` replaces (kafkajs-fixes.ts puts it in Node's module cache). */
export const RECORD_DECODER_MODULE = require.resolve("kafkajs/src/protocol/recordBatch/record/v0/decoder.js");
