import { randomUUID } from "node:crypto";
import {
  type ChangeEvent,
  type Envelope,
  internalTopic,
  isSingleObject,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  type Row,
  SchemaStore,
} from "../../packages/core/src/index.js";
import { quietLogger, testKafka } from "./kafka.js";

export interface CollectedEvent extends ChangeEvent {
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * Reads topics from the beginning and decodes every event through the schema store of
 * `prefix`, so tests can wait for what a real consumer would see.
 */
export class EventCollector {
  readonly events: CollectedEvent[] = [];
  private readonly admin = new KafkaTopicAdmin(testKafka, "test-collector", quietLogger);
  private readonly subscriber = new KafkaEventSubscriber(testKafka, "test-collector", quietLogger);
  private readonly store: SchemaStore;

  constructor(prefix: string) {
    this.store = new SchemaStore({
      topic: internalTopic(prefix, "schemas"),
      admin: this.admin,
      createSubscriber: () => new KafkaEventSubscriber(testKafka, "test-collector", quietLogger),
      logger: quietLogger,
    });
  }

  async start(topics: string[] | RegExp): Promise<void> {
    await this.subscriber.start({
      groupId: `test-collector-${randomUUID()}`,
      topics,
      fromBeginning: true,
      onBatch: async (batch) => {
        for (const record of batch.records) {
          const key =
            record.key && isSingleObject(record.key) ? ((await this.store.decode(record.key)) as Row) : null;
          const value = record.value ? ((await this.store.decode(record.value)) as Envelope) : null;
          this.events.push({
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            key,
            value,
          });
        }
      },
    });
  }

  /** Resolves once `predicate` holds for the events so far; fails after `timeoutMs`. */
  async waitFor(
    what: string,
    predicate: (events: CollectedEvent[]) => boolean,
    timeoutMs = 60_000,
  ): Promise<CollectedEvent[]> {
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

  ofTopic(topic: string): CollectedEvent[] {
    return this.events.filter((event) => event.topic === topic);
  }

  async close(): Promise<void> {
    await this.subscriber.stop();
    await this.store.close();
    await this.admin.close();
  }
}
