/**
 * Kafka records → change events, through the schema store of each topic's prefix
 * (`<prefix>._schemas`, read-only): keys and values are decoded with the writer schema their
 * fingerprint names, which the sink also uses to build the table's model.
 */
import {
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
} from "@tributary/core";
import type { DecodedRecord } from "./transaction-groups.js";

export interface SinkRecord extends DecodedRecord {
  /** The value's writer schema; null for a tombstone. */
  readonly writer: WriterSchema | null;
}

export interface EventDecoderOptions {
  admin: TopicAdmin;
  /** A fresh subscriber for reading a schema store topic. */
  createSubscriber: () => EventSubscriber;
  logger: Logger;
}

export class EventDecoder {
  private readonly stores = new Map<string, SchemaStore>();

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
      const reason = isTributaryError(error) ? error.reason : (error as Error).message;
      throw new TributaryError(
        "TRB_SINK_DECODE",
        `cannot decode the record at offset ${record.offset} of ${record.topic} partition ${record.partition}: ${reason}`,
        {
          retriable: isRetriable(error),
          cause: error,
          details: { topic: record.topic, partition: record.partition, offset: record.offset.toString() },
        },
      );
    }
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map((store) => store.close()));
  }

  private async decodeOne(record: IncomingRecord): Promise<SinkRecord> {
    const store = this.storeOf(record.topic);
    const key =
      record.key !== null && isSingleObject(record.key) ? ((await store.decode(record.key)) as Row) : null;
    if (record.value === null) return { offset: record.offset, key, value: null, schema: null, writer: null };
    const writer = await store.lookup(peekFingerprint(record.value));
    const value = decode(writer, record.value) as Envelope;
    return { offset: record.offset, key, value, schema: writer.fingerprint, writer };
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
