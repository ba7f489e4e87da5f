import { randomUUID } from "node:crypto";
import {
  type AvroSchema,
  type ChangeEvent,
  type Envelope,
  type Fingerprint,
  internalTopic,
  isRetriable,
  isSingleObject,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  peekFingerprint,
  type Row,
  SchemaStore,
  type SourceInfo,
} from "../../packages/core/src/index.js";
import { quietLogger, testKafka } from "./kafka.js";

/** A record of a topic, its key and value decoded through the schema store of the prefix. */
export interface RecordedEvent extends ChangeEvent {
  topic: string;
  partition: number;
  offset: bigint;
  /** Writer-schema fingerprint of the value; null for a tombstone or a value that is not Avro. */
  fingerprint: Fingerprint | null;
  headers: Record<string, string>;
  rawKey: Buffer | null;
  /** The value as written; the only form of values that are not Avro (e.g. `_offsets` JSON). */
  rawValue: Buffer | null;
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

/** The value of a `<prefix>._heartbeat` record (schemas/heartbeat.avsc). */
export interface HeartbeatValue {
  connector: string;
  name: string;
  origin: string;
  ts_ms: bigint;
  lsn: bigint | null;
  commit_ts_ms: bigint | null;
  file: string | null;
  pos: bigint | null;
  gtid: string | null;
}

/**
 * The one Kafka reader of the tests: reads topics from their beginning and decodes every Avro
 * key and value through the schema store of `prefix`, as a real consumer would. Subscribing
 * again adds topics the source created while running (a pattern would only see the topics
 * existing when it starts). `readToEnd` reads a fixed set of topics up to their end.
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
      createSubscriber: () => newSubscriber(),
      logger: quietLogger,
    });
  }

  /**
   * Every record of `topics` from their start to the end they have when called, in order per
   * partition, decoded with the schema store of `prefix`.
   */
  static async readToEnd(prefix: string, topics: string[], timeoutMs = 60_000): Promise<RecordedEvent[]> {
    const collector = new RecordCollector(prefix);
    try {
      const ends = new Map<string, bigint>();
      for (const topic of topics) {
        for (const [partition, end] of await collector.admin.endOffsets(topic)) {
          if (end > 0n) ends.set(`${topic}/${partition}`, end);
        }
      }
      await collector.subscribe(topics);
      const next = new Map<string, bigint>();
      let counted = 0;
      await collector.waitFor(
        `${topics.join(", ")} read to the end`,
        (events) => {
          for (; counted < events.length; counted++) {
            const event = events[counted];
            if (event) next.set(`${event.topic}/${event.partition}`, event.offset + 1n);
          }
          return [...ends].every(([partition, end]) => (next.get(partition) ?? 0n) >= end);
        },
        timeoutMs,
      );
      return collector.events.filter(
        (event) => event.offset < (ends.get(`${event.topic}/${event.partition}`) ?? 0n),
      );
    } finally {
      await collector.close();
    }
  }

  /**
   * Starts reading those of `topics` not read yet. With `visit`, their events go to it instead of
   * into `events`, with only the key decoded (`value` null, `rawValue` as written): for topics
   * too large to keep, or to decode whole, in a test.
   */
  async subscribe(topics: string[], visit?: (event: RecordedEvent) => void): Promise<void> {
    const fresh = topics.filter((topic) => !this.subscribed.has(topic));
    if (fresh.length === 0) return;
    for (const topic of fresh) this.subscribed.add(topic);
    const subscriber = newSubscriber();
    this.subscribers.push(subscriber);
    await startSoon(subscriber, {
      groupId: `test-collector-${randomUUID()}`,
      topics: fresh,
      fromBeginning: true,
      onBatch: async (batch) => {
        for (const record of batch.records) {
          const key =
            record.key && isSingleObject(record.key) ? ((await this.store.decode(record.key)) as Row) : null;
          const avroValue = !visit && record.value && isSingleObject(record.value) ? record.value : null;
          const value = avroValue ? ((await this.store.decode(avroValue)) as Envelope) : null;
          const headers: Record<string, string> = {};
          for (const [name, bytes] of Object.entries(record.headers)) headers[name] = bytes.toString();
          const event: RecordedEvent = {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            key,
            value,
            fingerprint: record.value && isSingleObject(record.value) ? peekFingerprint(record.value) : null,
            headers,
            rawKey: record.key,
            rawValue: record.value,
            timestampMs: record.timestampMs,
          };
          if (visit) visit(event);
          else this.events.push(event);
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

  /** The decoded `_heartbeat` records, in topic order. */
  heartbeats(): HeartbeatValue[] {
    return this.ofTopic(internalTopic(this.prefix, "heartbeat")).map(
      (event) => event.value as unknown as HeartbeatValue,
    );
  }

  async close(): Promise<void> {
    // Each stop waits out a fetch: stop them all at once.
    await Promise.all([...this.subscribers.map((subscriber) => subscriber.stop()), this.store.close()]);
    await this.admin.close();
  }
}

/** A short fetch wait, so that stopping the subscriber does not wait seconds for a fetch. */
function newSubscriber(): KafkaEventSubscriber {
  return new KafkaEventSubscriber(testKafka, "test-collector", quietLogger, { maxWaitTimeMs: 100 });
}

/** How long a subscription waits for a topic created a moment ago to have its partition leaders. */
const NEW_TOPIC_WAIT_MS = 15_000;

/**
 * Starts `subscriber`, retrying retriable failures for a while: a topic the connector has just
 * created may still be unknown to the broker's metadata (UNKNOWN_TOPIC_OR_PARTITION).
 */
async function startSoon(
  subscriber: KafkaEventSubscriber,
  options: Parameters<KafkaEventSubscriber["start"]>[0],
): Promise<void> {
  const deadline = Date.now() + NEW_TOPIC_WAIT_MS;
  for (;;) {
    try {
      await subscriber.start(options);
      return;
    } catch (error) {
      if (!isRetriable(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
