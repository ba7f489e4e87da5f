/**
 * Kafka records → change events, through the schema store of each topic's prefix
 * (`<prefix>._schemas`, read-only): keys and values are decoded with the writer schema their
 * fingerprint names, which the sink also uses to build the table's model.
 */
import {
  applyArrayLowerBounds,
  decode,
  type Envelope,
  type EventSubscriber,
  type IncomingRecord,
  internalTopic,
  isRetriable,
  isSingleObject,
  isTributaryError,
  type Logger,
  peekFingerprint,
  type Row,
  SchemaStore,
  type TopicAdmin,
  TributaryError,
  topicPrefixOf,
  type WriterSchema,
  writtenWith,
} from "@tributary/core";
import { type SnapshotRead, type SnapshotRow, snapshotReaderOf } from "./snapshot-rows.js";
import type { DecodedRecord } from "./transaction-groups.js";

export interface SinkRecord extends DecodedRecord {
  /** The value's writer schema; null for a tombstone. */
  readonly writer: WriterSchema | null;
  /** A snapshot read whose row a bulk copy can write from its Avro bytes (see snapshot-rows.ts). */
  readonly snapshotRow?: SnapshotRow;
}

export interface EventDecoderOptions {
  admin: TopicAdmin;
  /** A fresh subscriber for reading a schema store topic. */
  createSubscriber: () => EventSubscriber;
  logger: Logger;
}

/** The writer schemas a topic's records used last: most records are written with the same ones. */
interface RecentWriters {
  readonly store: SchemaStore;
  key: WriterSchema | undefined;
  value: WriterSchema | undefined;
  /** Records still to decode in full, without trying them as snapshot reads, since the last miss. */
  untried: number;
}

/**
 * Records of a topic not tried as snapshot reads after one that was not. An insert's op follows
 * its whole row, so trying costs a walk over the row: streamed changes would all pay it, while a
 * snapshot's reads come in long runs that lose at most this many records to the full decode.
 */
const UNTRIED_AFTER_MISS = 63;

export class EventDecoder {
  private readonly stores = new Map<string, SchemaStore>();
  private readonly recent = new Map<string, RecentWriters>();

  constructor(private readonly options: EventDecoderOptions) {}

  /** Decodes `records` of one topic partition, in order; fails naming the first record it cannot read. */
  async decode(records: readonly IncomingRecord[]): Promise<SinkRecord[]> {
    const decoded: SinkRecord[] = [];
    for (const record of records) decoded.push(await this.decodeRecord(record));
    return decoded;
  }

  /**
   * Decodes one record; fails with TRB_SINK_DECODE naming it, retriable when the cause is (the
   * schema store out of reach), not when the record itself is unreadable.
   */
  async decodeRecord(record: IncomingRecord): Promise<SinkRecord> {
    try {
      return await this.decodeOne(record);
    } catch (error) {
      throw decodeFailure(record, error);
    }
  }

  /**
   * Decodes `record` at once (no promise) when the store already holds the writer schemas of its
   * key and value; undefined when one must be looked up first (then use `decodeRecord`). Fails
   * like `decodeRecord`.
   */
  decodeKnownRecord(record: IncomingRecord): SinkRecord | undefined {
    try {
      return this.decodeKnown(record);
    } catch (error) {
      throw decodeFailure(record, error);
    }
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    this.recent.clear();
    await Promise.all(stores.map((store) => store.close()));
  }

  private decodeKnown(record: IncomingRecord): SinkRecord | undefined {
    const recent = this.recentOf(record.topic);
    let key: Row | null = null;
    if (record.key !== null && isSingleObject(record.key)) {
      const writer = knownWriter(recent.store, recent.key, record.key);
      if (writer === undefined) return undefined;
      recent.key = writer;
      key = decode(writer, record.key) as Row;
    }
    if (record.value === null) return { offset: record.offset, key, value: null, schema: null, writer: null };
    const writer = knownWriter(recent.store, recent.value, record.value);
    if (writer === undefined) return undefined;
    recent.value = writer;
    const snapshot = this.snapshotRead(recent, writer, record.value, key);
    if (snapshot !== undefined) {
      return {
        offset: record.offset,
        key,
        value: snapshot,
        schema: writer.fingerprint,
        writer,
        snapshotRow: snapshot,
      };
    }
    const value = decode(writer, record.value) as Envelope;
    if (value.array_lower_bounds != null) applyArrayLowerBounds(value);
    return { offset: record.offset, key, value, schema: writer.fingerprint, writer };
  }

  /** The record as a snapshot read (`snapshot-rows.ts`), or undefined to decode it in full. */
  private snapshotRead(
    recent: RecentWriters,
    writer: WriterSchema,
    value: Buffer,
    key: Row | null,
  ): SnapshotRead | undefined {
    const reader = snapshotReaderOf(writer);
    if (reader === null) return undefined;
    if (recent.untried > 0) {
      recent.untried--;
      return undefined;
    }
    const read = reader.read(value, key);
    if (read === undefined) recent.untried = UNTRIED_AFTER_MISS;
    return read;
  }

  private recentOf(topic: string): RecentWriters {
    let recent = this.recent.get(topic);
    if (recent === undefined) {
      recent = { store: this.storeOf(topic), key: undefined, value: undefined, untried: 0 };
      this.recent.set(topic, recent);
    }
    return recent;
  }

  /** Brings the record's writer schemas into the store (reading the schema topic for new ones), then decodes it. */
  private async decodeOne(record: IncomingRecord): Promise<SinkRecord> {
    const store = this.storeOf(record.topic);
    if (record.key !== null && isSingleObject(record.key)) await store.lookup(peekFingerprint(record.key));
    if (record.value !== null) await store.lookup(peekFingerprint(record.value));
    // Both writers are in the store now, so the record decodes at once.
    return this.decodeKnown(record) as SinkRecord;
  }

  private storeOf(topic: string): SchemaStore {
    const prefix = topicPrefixOf(topic);
    let store = this.stores.get(prefix);
    if (store === undefined) {
      store = new SchemaStore({
        topic: internalTopic(prefix, "schemas"),
        admin: this.options.admin,
        createSubscriber: this.options.createSubscriber,
        logger: this.options.logger,
      });
      this.stores.set(prefix, store);
    }
    return store;
  }
}

/** The writer of `message`: `last` when it wrote it too, else the store's if it holds it already. */
function knownWriter(
  store: SchemaStore,
  last: WriterSchema | undefined,
  message: Buffer,
): WriterSchema | undefined {
  if (last !== undefined && writtenWith(last, message)) return last;
  return store.cached(peekFingerprint(message));
}

function decodeFailure(record: IncomingRecord, error: unknown): TributaryError {
  const reason = isTributaryError(error) ? error.reason : (error as Error).message;
  return new TributaryError(
    "TRB_SINK_DECODE",
    `cannot decode the record at offset ${record.offset} of ${record.topic} partition ${record.partition}: ${reason}`,
    {
      retriable: isRetriable(error),
      cause: error,
      details: { topic: record.topic, partition: record.partition, offset: record.offset.toString() },
    },
  );
}
