import { createRequire } from "node:module";
import {
  batchHeader,
  compressionModule,
  encodeRecord,
  encodeRecordBatch,
  encoderOver,
  type HeaderValue,
  type KafkajsEncoder,
  Long,
  type MeasuredRecord,
  recordsSize,
  writeBatch,
} from "./kafkajs-record-encoding.js";

/**
 * kafkajs 2.2.4 assembles a produce request through five growable Encoders nested in each
 * other (partition, topic, request body, request header, size frame): each starts at 512
 * bytes, doubles into a zero-filled buffer as it grows, and copies its content into the next,
 * so an 8 MB request is copied and zero-filled about ten times over. It also copies every
 * message into a new object to add its offset delta.
 *
 * These replacements write a produce request once, records in place, into one buffer with room
 * in front for the frame, which `frameRequest` then writes without copying the body; any other
 * request is framed with one exact-size copy.
 * The bytes are kafkajs's own (see the unit tests).
 */

const require = createRequire(import.meta.url);
const PRODUCE_API_KEY = (require("kafkajs/src/protocol/requests/apiKeys.js") as { Produce: number }).Produce;

interface ProduceMessage {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, HeaderValue>;
  timestamp?: string | number | null;
}

interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}

export interface ProduceRequestInput {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: PartitionData[] }[];
}

/** What kafkajs's connection sends: a request's identity and its body encoder. */
export interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<KafkajsEncoder>;
}

/** The records of one partition, timestamped as kafkajs's produce request v3 does it. */
function measuredRecords(messages: readonly ProduceMessage[]): {
  records: MeasuredRecord[];
  firstTimestamp: unknown;
  maxTimestamp: unknown;
} {
  const dateNow = Date.now();
  const records: MeasuredRecord[] = new Array(messages.length);
  if (messages.every((message) => message.timestamp == null)) {
    for (let i = 0; i < messages.length; i++) {
      const { key, value, headers } = messages[i] as ProduceMessage;
      records[i] = encodeRecord({ key, value, headers, offsetDelta: i, timestampDelta: 0 });
    }
    return { records, firstTimestamp: dateNow, maxTimestamp: dateNow };
  }
  // kafkajs sorts the timestamps as strings (Array#sort without a comparator): kept as it is.
  const timestamps = messages
    .map((message) => message.timestamp)
    .filter((timestamp) => timestamp != null)
    .sort();
  const firstTimestamp = timestamps[0];
  const maxTimestamp = timestamps[timestamps.length - 1];
  for (let i = 0; i < messages.length; i++) {
    const { key, value, headers, timestamp } = messages[i] as ProduceMessage;
    const timestampDelta = ((timestamp || dateNow) as number) - (firstTimestamp as number);
    records[i] = encodeRecord({ key, value, headers, offsetDelta: i, timestampDelta });
  }
  return { records, firstTimestamp, maxTimestamp };
}

function stringSize(value: string | null | undefined): number {
  return value == null ? 2 : 2 + Buffer.byteLength(value);
}

function writeString(out: Buffer, offset: number, value: string | null | undefined): number {
  if (value == null) {
    out.writeInt16BE(-1, offset);
    return offset + 2;
  }
  const length = Buffer.byteLength(value);
  out.writeInt16BE(length, offset);
  out.write(value, offset + 2, length, "utf8");
  return offset + 2 + length;
}

/** Replaces kafkajs/src/protocol/requests/produce/v3/request.js (which v4 to v7 extend). */
export function produceRequest({
  acks,
  timeout,
  transactionalId = null,
  producerId = Long.fromInt(-1),
  producerEpoch = 0,
  compression = compressionModule.Types.None,
  topicData,
}: ProduceRequestInput): KafkajsRequest {
  return {
    apiKey: PRODUCE_API_KEY,
    apiVersion: 3,
    apiName: "Produce",
    expectResponse: () => acks !== 0,
    encode: async () => {
      const topics: { topic: string; partitions: EncodedPartition[] }[] = [];
      let size = stringSize(transactionalId) + 2 + 4 + 4;
      for (const { topic, partitions } of topicData) {
        const encoded: EncodedPartition[] = [];
        size += stringSize(topic) + 4;
        for (const { partition, messages, firstSequence } of partitions) {
          const { records, firstTimestamp, maxTimestamp } = measuredRecords(messages);
          const batchInput = {
            compression,
            records,
            firstTimestamp,
            maxTimestamp,
            producerId,
            producerEpoch,
            ...(firstSequence === undefined ? {} : { firstSequence }),
            transactional: !!transactionalId,
            lastOffsetDelta: records.length - 1,
          };
          const part: EncodedPartition =
            compression === compressionModule.Types.None
              ? { partition, header: batchHeader(batchInput), records, batch: null, size: 0 }
              : { partition, header: null, records, batch: await encodeRecordBatch(batchInput), size: 0 };
          part.size = part.batch ? part.batch.offset : (part.header as Buffer).length + recordsSize(records);
          encoded.push(part);
          size += 4 + 4 + part.size;
        }
        topics.push({ topic, partitions: encoded });
      }
      // Room in front for the request's frame and header, so framing it copies nothing.
      const backing = Buffer.allocUnsafe(FRAME_ROOM + size);
      const out = backing.subarray(FRAME_ROOM);
      let at = writeString(out, 0, transactionalId);
      at = out.writeInt16BE(acks, at);
      at = out.writeInt32BE(timeout, at);
      at = out.writeInt32BE(topics.length, at);
      for (const { topic, partitions } of topics) {
        at = writeString(out, at, topic);
        at = out.writeInt32BE(partitions.length, at);
        for (const { partition, header, records, batch, size: batchSize } of partitions) {
          at = out.writeInt32BE(partition, at);
          at = out.writeInt32BE(batchSize, at);
          if (batch) at += batch.buf.copy(out, at, 0, batch.offset);
          else at = writeBatch(out, at, header as Buffer, records);
        }
      }
      const payload = encoderOver(out);
      framable.set(payload, backing);
      return payload;
    },
  };
}

interface EncodedPartition {
  partition: number;
  /** The batch header of an uncompressed batch, written in place with its records. */
  header: Buffer | null;
  records: MeasuredRecord[];
  /** A compressed batch, encoded whole. */
  batch: KafkajsEncoder | null;
  size: number;
}

/** Bytes kept free in front of a produce request body: size, api key and version, correlation id, client id. */
const FRAME_ROOM = 4 + 2 + 2 + 4 + 2 + 256;
/** Produce request bodies written `FRAME_ROOM` bytes into their backing buffer. */
const framable = new WeakMap<KafkajsEncoder, Buffer>();

interface RequestFrameInput {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<KafkajsEncoder> };
}

/** Replaces kafkajs/src/protocol/request.js: size, header and body of any request in one buffer. */
export async function frameRequest({
  correlationId,
  clientId,
  request: { apiKey, apiVersion, encode },
}: RequestFrameInput): Promise<KafkajsEncoder> {
  const payload = await encode();
  const size = 2 + 2 + 4 + stringSize(clientId) + payload.offset;
  const backing = framable.get(payload);
  const room = 4 + size - payload.offset;
  const inPlace = backing !== undefined && room <= FRAME_ROOM && payload.buf.buffer === backing.buffer;
  const out = inPlace
    ? backing.subarray(FRAME_ROOM - room, FRAME_ROOM + payload.offset)
    : Buffer.allocUnsafe(4 + size);
  let at = out.writeInt32BE(size, 0);
  at = out.writeInt16BE(apiKey, at);
  at = out.writeInt16BE(apiVersion, at);
  at = out.writeInt32BE(correlationId, at);
  at = writeString(out, at, clientId);
  if (!inPlace) payload.buf.copy(out, at, 0, payload.offset);
  return encoderOver(out);
}

/** Resolved paths of the kafkajs modules this replaces. */
export const REPLACED_REQUEST_MODULES = {
  produce: require.resolve("kafkajs/src/protocol/requests/produce/v3/request.js"),
  frame: require.resolve("kafkajs/src/protocol/request.js"),
};
