import "./kafkajs-fixes.js";
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from "kafkajs";
import type { KafkaConfig } from "../config/common-schema.js";
import { TributaryError } from "../errors/TributaryError.js";
import type { Logger } from "../observability/logger.js";
import { copiedRecord } from "./detached-record.js";
import type {
  EventSubscriber,
  IncomingRecord,
  RecordBatch,
  SubscribeOptions,
  TopicPartition,
  TopicPartitionOffset,
} from "./event-bus.js";
import { createKafka, kafkaFailure } from "./kafka-client.js";
import { detachedMessage } from "./kafkajs-record-fix.js";

export interface KafkaSubscriberOptions {
  /** Partitions fetched and handled at once (each partition still in order). */
  partitionsConsumedConcurrently?: number;
  /** Most bytes a fetch returns per partition (default 8 MiB). */
  maxBytesPerPartition?: number;
  /** Most bytes a fetch returns in all (default the config's `maxMessageBytes`; a larger record still comes whole). */
  maxBytes?: number;
  /** The broker answers a fetch once it has this many bytes, or after `maxWaitTimeMs` (default 1). */
  minBytes?: number;
  /** Longest time the broker holds a fetch waiting for `minBytes` (default 5000). */
  maxWaitTimeMs?: number;
  /**
   * How long the group waits for a silent member before giving its partitions to others
   * (kafkajs default 30000; the broker's group.min.session.timeout.ms, 6000 by default, is the
   * lowest). A member killed without leaving holds its partitions this long.
   */
  sessionTimeoutMs?: number;
  /** How often the member heartbeats, also while a batch is being handled (kafkajs default 3000). */
  heartbeatIntervalMs?: number;
  /**
   * Fetch the next batch while one is handled, when more records wait in its partition (one
   * batch ahead; batches are still handled one at a time, in order). A batch fetched ahead is
   * dropped unhandled when its partition is sought, or the subscriber stops or fails, before
   * its turn. The group may rebalance while the batch handed last is handled: `onAssigned`
   * runs after it, but another member may be handed that partition meanwhile. Batches of all
   * partitions are handled one at a time, so it excludes `partitionsConsumedConcurrently` > 1.
   */
  readAhead?: boolean;
}

/**
 * A consumer-group member with manual commits only: offsets move in Kafka only when `commit`
 * is called, so the caller decides what is durable. An error thrown by `onBatch` (or
 * `onAssigned`) stops the subscriber and rejects `finished`; the failed batch is not committed.
 */
export class KafkaEventSubscriber implements EventSubscriber {
  private consumer: Consumer | undefined;
  private failure: ((error: unknown) => void) | undefined;
  private stopped: (() => void) | undefined;
  private failedWith: { error: unknown } | undefined;
  /** The `onAssigned` call of the latest assignment; batches wait for it. */
  private assigning: Promise<void> | undefined;
  private stopping = false;
  private drain: (() => Promise<void>) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** With `readAhead`: the handling of the batch handed over last (never rejects). */
  private handing: Promise<void> = Promise.resolve();
  /** Per partition, how often it was sought: batches fetched ahead before a seek are dropped. */
  private readonly seeks = new Map<string, number>();
  readonly finished: Promise<void>;

  constructor(
    private readonly config: KafkaConfig,
    private readonly clientId: string,
    private readonly logger: Logger,
    private readonly options: KafkaSubscriberOptions = {},
  ) {
    if (options.readAhead && (options.partitionsConsumedConcurrently ?? 1) > 1) {
      throw new Error(
        "readAhead handles one batch at a time: it excludes partitionsConsumedConcurrently > 1",
      );
    }
    this.finished = new Promise<void>((resolve, reject) => {
      this.stopped = resolve;
      this.failure = reject;
    });
    // A failure nobody awaits must not crash the process as an unhandled rejection.
    this.finished.catch(() => undefined);
  }

  async start(options: SubscribeOptions): Promise<void> {
    if (this.consumer) throw new Error("subscriber already started");
    const consumer = createKafka(this.config, this.clientId, this.logger).consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 8 * 1024 * 1024,
      maxBytes: this.options.maxBytes ?? this.config.maxMessageBytes,
      ...(this.options.minBytes === undefined ? {} : { minBytes: this.options.minBytes }),
      ...(this.options.maxWaitTimeMs === undefined ? {} : { maxWaitTimeInMs: this.options.maxWaitTimeMs }),
      ...(this.options.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeout: this.options.sessionTimeoutMs }),
      ...(this.options.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatInterval: this.options.heartbeatIntervalMs }),
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    this.drain = options.drain;
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        // Emitted before the first fetch of the assignment: batches wait for `assigning`.
        const onAssigned = options.onAssigned;
        if (onAssigned) {
          const partitions: TopicPartition[] = Object.entries(event.payload.memberAssignment).flatMap(
            ([topic, numbers]) => numbers.map((partition) => ({ topic, partition })),
          );
          // A batch of the previous assignment may still be handled (readAhead): it ends first.
          const previous = this.handing;
          this.assigning = previous
            .then(() => onAssigned(partitions))
            .catch((error: unknown) => {
              this.fail(error);
              throw error;
            });
          this.assigning.catch(() => undefined);
        }
        resolve();
      });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.fail(kafkaFailure(this.config, `consumer group ${options.groupId} stopped`, event.payload.error));
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: toTopicList(options.topics), fromBeginning: options.fromBeginning });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      this.consumer = undefined;
      throw new TributaryError(
        "TRB_KAFKA",
        `cannot subscribe group ${options.groupId} to ${String(options.topics)} at ${this.config.brokers.join(", ")}: ${(error as Error).message}`,
        { retriable: (error as { retriable?: boolean }).retriable ?? true, cause: error },
      );
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async (payload) => this.handleBatch(payload, options),
    });
    await joined;
    await this.assigning;
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (!this.consumer) throw new Error("subscriber not started");
    await this.consumer.commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() })),
    );
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    if (!this.consumer) throw new Error("subscriber not started");
    const key = partitionKey(topic, partition);
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.consumer.seek({ topic, partition, offset: offset.toString() });
  }

  /**
   * Lets the batches in progress finish (and then the work they left running, `drain`) — their
   * commits still count — then leaves the group.
   * (kafkajs drops a commit silently once its own stop has begun, so it is asked to stop only
   * afterwards.) No batch starts once `stop` is called. Never await it inside `onBatch`: it
   * waits for that very batch.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
    await this.drain?.().catch(() => undefined);
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
    this.stopped?.();
  }

  private async handleBatch(payload: EachBatchPayload, options: SubscribeOptions): Promise<void> {
    const { batch, isRunning, isStale, heartbeat } = payload;
    // kafkajs may hand over a batch again after a failure: nothing past it may count as consumed.
    this.throwIfFailed();
    await this.assigning;
    // Stale: a seek (e.g. by onAssigned) moved the partition after this batch was fetched.
    if (this.stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
    const records: IncomingRecord[] = batch.messages.map(
      (message) => new KafkaRecord(batch.topic, batch.partition, message),
    );
    const recordBatch: RecordBatch = {
      topic: batch.topic,
      partition: batch.partition,
      records,
      highWatermark: BigInt(batch.highWatermark),
    };
    if (!this.options.readAhead) {
      await this.handle(recordBatch, heartbeat, options);
      await heartbeat();
      return;
    }
    // Batches are handled one after the other. Returning before this one is handled lets kafkajs
    // fetch the next meanwhile; that pays only while more records wait in the partition: at its
    // end, the next fetch would return early with the few records written meanwhile.
    const ahead = BigInt(batch.lastOffset()) + 1n < recordBatch.highWatermark;
    const key = partitionKey(batch.topic, batch.partition);
    const seeks = this.seeks.get(key) ?? 0;
    const before = this.handing;
    const mine = before.then(async () => {
      const dropped = this.failedWith !== undefined || this.stopping || seeks !== (this.seeks.get(key) ?? 0);
      if (!dropped) await this.handle(recordBatch, heartbeat, options);
    });
    // `stop` waits for the batch being handled (`handle` tracks it); a queued one sees `stopping`.
    this.handing = mine.catch(() => undefined);
    await (ahead ? before : mine);
    // Leave the batch unresolved so nothing past a failed one counts as consumed.
    this.throwIfFailed();
    await heartbeat();
  }

  /** Hands `recordBatch` to `onBatch`, heartbeating while it runs; its failure stops the subscriber. */
  private async handle(
    recordBatch: RecordBatch,
    heartbeat: EachBatchPayload["heartbeat"],
    options: SubscribeOptions,
  ): Promise<void> {
    const handled = options.onBatch(recordBatch);
    const tracked = handled.catch(() => undefined);
    this.inFlight.add(tracked);
    // kafkajs heartbeats only between batches: keep the membership alive through a long one, so a
    // short session timeout only ever drops a member that is really gone.
    const beating = setInterval(
      () => void heartbeat().catch(() => undefined),
      this.options.heartbeatIntervalMs ?? 3_000,
    );
    try {
      await handled;
    } catch (error) {
      this.fail(error);
      // Leave the batch unresolved so nothing past it counts as consumed.
      throw error;
    } finally {
      clearInterval(beating);
      this.inFlight.delete(tracked);
    }
  }

  private throwIfFailed(): void {
    if (this.failedWith) throw this.failedWith.error;
  }

  fail(error: unknown): void {
    if (this.failedWith) return;
    this.failedWith = { error };
    this.logger.error({ err: error }, "subscriber stopped on an error");
    const consumer = this.consumer;
    this.consumer = undefined;
    // Disconnecting from inside eachBatch would wait for the batch itself: do it afterwards.
    setImmediate(() => {
      void consumer?.disconnect().catch(() => undefined);
    });
    this.failure?.(error);
  }
}

const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

function toTopicList(topics: string[] | RegExp): (string | RegExp)[] {
  return Array.isArray(topics) ? topics : [topics];
}

/** A fetched record; its headers are decoded and converted only when read (the sink rarely reads them). */
export class KafkaRecord implements IncomingRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestampMs: number;
  private message: KafkaMessage | undefined;
  private converted: Record<string, Buffer> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    message: KafkaMessage,
    /** Made by `detached`: its bytes are its own already, so detaching it again copies nothing. */
    private readonly ownsBytes = false,
  ) {
    this.offset = BigInt(message.offset);
    this.key = message.key;
    this.value = message.value;
    this.timestampMs = Number(message.timestamp);
    this.message = message;
  }

  get headers(): Record<string, Buffer> {
    if (this.converted === undefined) {
      this.converted = toHeaders(this.message?.headers);
      this.message = undefined;
    }
    return this.converted;
  }

  detached(): IncomingRecord {
    if (this.ownsBytes) return this;
    return this.message === undefined
      ? copiedRecord(this)
      : new KafkaRecord(this.topic, this.partition, detachedMessage(this.message), true);
  }
}

function toHeaders(headers: IHeaders | undefined): Record<string, Buffer> {
  const result: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return result;
}
