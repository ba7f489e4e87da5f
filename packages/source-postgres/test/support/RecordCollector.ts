import { randomUUID } from "node:crypto";
import {
  type AvroSchema,
  type Envelope,
  type Fingerprint,
  internalTopic,
  isSingleObject,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  peekFingerprint,
  type Row,
  SchemaStore,
  type SourceInfo,
} from "@tributary/core";
import type { CollectedEvent } from "../../../../test/support/event-collector.js";
import { quietLogger, testKafka } from "../../../../test/support/kafka.js";

/** A decoded record with what EventCollector drops: the writer fingerprint, headers and raw key. */
export interface RecordedEvent extends CollectedEvent {
  /** Writer-schema fingerprint of the value; null for a tombstone. */
  fingerprint: Fingerprint | null;
  headers: Record<string, string>;
  rawKey: Buffer | null;
  /** The record's Kafka timestamp (the producer's send time). */
  timestampMs: number;
}

/** The value of a `<prefix>._schema_changes` record (schemas/schema-change.avsc). */
export interface SchemaChange {
  source: SourceInfo;
  statement: string;
  database: string;
  schema: string | null;
  table: string;
  columns: { name: string; sourceType: string; nullable: boolean; default: string | null }[];
  key: string[];
  ts_ms: bigint;
  origin: string;
}

/**
 * Reads topics from the beginning, decoding every value through the schema store of `prefix`.
 * Unlike EventCollector it can subscribe again, for topics the source creates while running
 * (a subscription to a pattern only sees the topics existing when it starts).
 */
export class RecordCollector {
  readonly events: RecordedEvent[] = [];
  private readonly admin = new KafkaTopicAdmin(testKafka, "test-collector", quietLogger);
  private readonly subscribers: KafkaEventSubscriber[] = [];
  private readonly subscribed = new Set<string>();
  private readonly store: SchemaStore;

  constructor(readonly prefix: string) {
    this.store = new SchemaStore({
      topic: internalTopic(prefix, "schemas"),
      admin: this.admin,
      createSubscriber: () => new KafkaEventSubscriber(testKafka, "test-collector", quietLogger),
      logger: quietLogger,
    });
  }

  /** Starts reading those of `topics` not read yet. */
  async subscribe(topics: string[]): Promise<void> {
    const fresh = topics.filter((topic) => !this.subscribed.has(topic));
    if (fresh.length === 0) return;
    for (const topic of fresh) this.subscribed.add(topic);
    const subscriber = new KafkaEventSubscriber(testKafka, "test-collector", quietLogger);
    this.subscribers.push(subscriber);
    await subscriber.start({
      groupId: `test-collector-${randomUUID()}`,
      topics: fresh,
      fromBeginning: true,
      onBatch: async (batch) => {
        for (const record of batch.records) {
          const key =
            record.key && isSingleObject(record.key) ? ((await this.store.decode(record.key)) as Row) : null;
          const value = record.value ? ((await this.store.decode(record.value)) as Envelope) : null;
          const headers: Record<string, string> = {};
          for (const [name, bytes] of Object.entries(record.headers)) headers[name] = bytes.toString();
          this.events.push({
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            key,
            value,
            fingerprint: record.value ? peekFingerprint(record.value) : null,
            headers,
            rawKey: record.key,
            timestampMs: record.timestampMs,
          });
        }
      },
    });
  }

  /** Resolves once `predicate` holds for the events so far; fails after `timeoutMs`. */
  async waitFor(
    what: string,
    predicate: (events: RecordedEvent[]) => boolean,
    timeoutMs = 60_000,
  ): Promise<RecordedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; have ${this.events.length} events`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.events;
  }

  ofTopic(topic: string): RecordedEvent[] {
    return this.events.filter((event) => event.topic === topic);
  }

  /** The writer schema (Avro JSON) of a fingerprint, from the schema store topic. */
  async writerSchema(fingerprint: Fingerprint): Promise<AvroSchema> {
    return (await this.store.lookup(fingerprint)).schema;
  }

  /** The decoded `_schema_changes` records, in topic order. */
  schemaChanges(): SchemaChange[] {
    return this.ofTopic(internalTopic(this.prefix, "schema_changes")).map(
      (event) => event.value as unknown as SchemaChange,
    );
  }

  async close(): Promise<void> {
    // Each stop waits out a fetch: stop them all at once.
    await Promise.all([...this.subscribers.map((subscriber) => subscriber.stop()), this.store.close()]);
    await this.admin.close();
  }
}
