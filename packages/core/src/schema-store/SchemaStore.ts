import { randomUUID } from "node:crypto";
import {
  type AvroSchema,
  compileSchema,
  decode,
  type Fingerprint,
  peekFingerprint,
  type WriterSchema,
} from "../avro/index.js";
import { TributaryError } from "../errors/TributaryError.js";
import type { EventPublisher, EventSubscriber, RecordBatch, TopicAdmin } from "../kafka/event-bus.js";
import type { Logger } from "../observability/logger.js";
import { sleep } from "../util/sleep.js";

export interface SchemaStoreOptions {
  /** `<topicPrefix>._schemas`. */
  topic: string;
  admin: TopicAdmin;
  /** Needed to register schemas; a read-only store (a consumer) may leave it out. */
  publisher?: EventPublisher;
  /** A fresh subscriber for reading the store topic, made on the first lookup miss. */
  createSubscriber: () => EventSubscriber;
  logger: Logger;
  /** How long a lookup waits to read the topic up to its end. */
  catchUpTimeoutMs?: number;
}

/**
 * Writer schemas kept in a compacted topic keyed by fingerprint, so any consumer can decode any
 * message from Kafka alone. A schema is written (and acknowledged) before its first use;
 * lookups are served from memory and, on a miss, by reading the topic up to its current end.
 */
export class SchemaStore {
  private readonly known = new Map<Fingerprint, WriterSchema>();
  private readonly registering = new Map<Fingerprint, Promise<WriterSchema>>();
  private readonly position = new Map<number, bigint>();
  private topicReady: Promise<void> | undefined;
  private reader: EventSubscriber | undefined;
  private readerStarted: Promise<void> | undefined;

  constructor(private readonly options: SchemaStoreOptions) {}

  get topic(): string {
    return this.options.topic;
  }

  /** Compiles and stores a writer schema; resolves once Kafka holds it. */
  async register(schema: AvroSchema): Promise<WriterSchema> {
    const writer = compileSchema(schema);
    const existing = this.known.get(writer.fingerprint);
    if (existing) return existing;
    let pending = this.registering.get(writer.fingerprint);
    if (!pending) {
      pending = this.publish(writer).finally(() => this.registering.delete(writer.fingerprint));
      this.registering.set(writer.fingerprint, pending);
    }
    return pending;
  }

  /** The writer schema of `fingerprint` if this store already holds it (no wait, no Kafka read). */
  cached(fingerprint: Fingerprint): WriterSchema | undefined {
    return this.known.get(fingerprint);
  }

  async lookup(fingerprint: Fingerprint): Promise<WriterSchema> {
    const cached = this.known.get(fingerprint);
    if (cached) return cached;
    await this.catchUp();
    const found = this.known.get(fingerprint);
    if (found) return found;
    throw new TributaryError(
      "TRB_SCHEMA_UNKNOWN",
      `no writer schema with fingerprint ${fingerprint} in ${this.options.topic}; the message was written by a ` +
        "producer that did not register its schema there (wrong topic prefix?) or the schema topic was deleted",
      { details: { fingerprint, topic: this.options.topic } },
    );
  }

  /** Decodes a single-object encoded message with its writer schema from the store. */
  async decode(message: Buffer): Promise<unknown> {
    return decode(await this.lookup(peekFingerprint(message)), message);
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    this.readerStarted = undefined;
    await reader?.stop();
  }

  private async publish(writer: WriterSchema): Promise<WriterSchema> {
    const publisher = this.options.publisher;
    if (!publisher) throw new Error("this schema store was opened read-only");
    await this.ensureTopic();
    await publisher.publish([
      {
        topic: this.options.topic,
        key: Buffer.from(writer.fingerprint),
        value: Buffer.from(JSON.stringify(writer.schema)),
        describe: () => `schema ${writer.fingerprint}`,
      },
    ]);
    this.known.set(writer.fingerprint, writer);
    this.options.logger.debug({ fingerprint: writer.fingerprint }, "registered writer schema");
    return writer;
  }

  private ensureTopic(): Promise<void> {
    this.topicReady ??= this.options.admin
      .ensureTopics([{ topic: this.options.topic, partitions: 1, compacted: true }])
      .catch((error: unknown) => {
        this.topicReady = undefined;
        throw error;
      });
    return this.topicReady;
  }

  /** Reads the store topic until every partition is consumed up to the end it had when called. */
  private async catchUp(): Promise<void> {
    await this.ensureTopic();
    const ends = await this.options.admin.endOffsets(this.options.topic);
    const behind = () => [...ends].some(([partition, end]) => (this.position.get(partition) ?? 0n) < end);
    if (!behind()) return;
    await this.startReader();
    const deadline = Date.now() + (this.options.catchUpTimeoutMs ?? 60_000);
    while (behind()) {
      if (Date.now() > deadline) {
        throw new TributaryError(
          "TRB_SCHEMA_STORE",
          `could not read ${this.options.topic} to its end within ${this.options.catchUpTimeoutMs ?? 60_000} ms`,
          { retriable: true },
        );
      }
      await sleep(10);
    }
  }

  private startReader(): Promise<void> {
    if (!this.readerStarted) {
      const reader = this.options.createSubscriber();
      this.reader = reader;
      this.readerStarted = reader
        .start({
          groupId: `tributary-schema-reader-${randomUUID()}`,
          topics: [this.options.topic],
          fromBeginning: true,
          onBatch: async (batch) => this.absorb(batch),
        })
        .catch((error: unknown) => {
          this.reader = undefined;
          this.readerStarted = undefined;
          throw error;
        });
    }
    return this.readerStarted;
  }

  private absorb(batch: RecordBatch): void {
    for (const record of batch.records) {
      this.position.set(batch.partition, record.offset + 1n);
      if (record.value === null || record.key === null) continue;
      const claimed = record.key.toString();
      try {
        const writer = compileSchema(JSON.parse(record.value.toString()) as AvroSchema);
        if (writer.fingerprint !== claimed) {
          this.options.logger.warn(
            { claimed, computed: writer.fingerprint, offset: record.offset.toString() },
            "schema store record's key does not match its schema's fingerprint; ignored",
          );
          continue;
        }
        this.known.set(writer.fingerprint, writer);
      } catch (error) {
        this.options.logger.warn(
          { err: error, offset: record.offset.toString() },
          "unreadable schema store record",
        );
      }
    }
  }
}
