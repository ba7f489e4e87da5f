import "./kafkajs-fixes.js";
import kafkajs, { type Message, type Producer, type TopicMessages } from "kafkajs";
import type { KafkaConfig } from "../config/common-schema.js";
import { TributaryError } from "../errors/TributaryError.js";
import type { Logger } from "../observability/logger.js";
import type { EventPublisher, OutgoingRecord } from "./event-bus.js";
import { COMPRESSION, createKafka, kafkaUnreachable } from "./kafka-client.js";

const { Partitioners } = kafkajs;

/** Bytes a record adds on the wire beyond key, value and headers (record batch framing, varints). */
const RECORD_OVERHEAD = 64;

/** Header bytes of a frozen headers object, which sources share between the records of a table. */
const headerSizes = new WeakMap<object, number>();

function headersSize(headers: Record<string, string | Buffer> | undefined): number {
  if (headers === undefined) return 0;
  const known = headerSizes.get(headers);
  if (known !== undefined) return known;
  let size = 0;
  for (const [name, value] of Object.entries(headers)) size += name.length + Buffer.byteLength(value);
  if (Object.isFrozen(headers)) headerSizes.set(headers, size);
  return size;
}

export function recordSize(record: OutgoingRecord): number {
  return (
    RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0) + headersSize(record.headers)
  );
}

/**
 * Splits records into produce requests of at most `maxBytes` and `maxMessages`, keeping their
 * order; a record larger than `maxBytes` travels alone.
 */
export function splitIntoRequests(
  records: readonly OutgoingRecord[],
  maxBytes: number,
  maxMessages: number,
): OutgoingRecord[][] {
  const requests: OutgoingRecord[][] = [];
  let current: OutgoingRecord[] = [];
  let currentBytes = 0;
  for (const record of records) {
    const size = recordSize(record);
    if (current.length > 0 && (currentBytes + size > maxBytes || current.length >= maxMessages)) {
      requests.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(record);
    currentBytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/**
 * Idempotent, acks=all producer. Every `publish` resolves only when Kafka has acknowledged all
 * of its records; an event over `maxMessageBytes` is refused with a coded error naming it
 * before anything of the call is sent.
 */
export class KafkaEventPublisher implements EventPublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaConfig,
    clientId: string,
    private readonly logger: Logger,
  ) {
    this.producer = createKafka(config, clientId, logger).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.refuseOversized(records);
    await this.connect();
    const { maxBytes, maxMessages } = this.config.batch;
    for (const request of splitIntoRequests(records, maxBytes, maxMessages)) {
      try {
        await this.producer.sendBatch({
          topicMessages: groupByTopic(request),
          acks: -1,
          compression: COMPRESSION[this.config.compression],
          timeout: this.config.requestTimeoutMs,
        });
      } catch (error) {
        throw this.describeFailure(error, request);
      }
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw kafkaUnreachable(this.config, error);
    });
    return this.connected;
  }

  private refuseOversized(records: readonly OutgoingRecord[]): void {
    const limit = this.config.maxMessageBytes;
    for (const record of records) {
      const size = recordSize(record);
      if (size > limit) {
        const what = record.describe?.() ?? `an event for topic ${record.topic}`;
        throw new TributaryError(
          "TRB_EVENT_TOO_LARGE",
          `${what} is ${size} bytes encoded, over the limit of ${limit} (kafka.maxMessageBytes); ` +
            "raise kafka.maxMessageBytes together with the broker's message.max.bytes and the topic's max.message.bytes, " +
            "or exclude the column",
          { details: { topic: record.topic, size, limit } },
        );
      }
    }
  }

  private describeFailure(error: unknown, request: OutgoingRecord[]): TributaryError {
    const type = (error as { type?: string }).type;
    if (type === "MESSAGE_TOO_LARGE" || type === "RECORD_LIST_TOO_LARGE") {
      const largest = request.reduce((a, b) => (recordSize(b) > recordSize(a) ? b : a));
      const what = largest.describe?.() ?? `an event for topic ${largest.topic}`;
      return new TributaryError(
        "TRB_EVENT_TOO_LARGE",
        `the broker refused ${what} (${recordSize(largest)} bytes) as too large; ` +
          "set kafka.maxMessageBytes to at most the broker's message.max.bytes / the topic's max.message.bytes",
        { cause: error, details: { topic: largest.topic } },
      );
    }
    const retriable = (error as { retriable?: boolean }).retriable ?? true;
    this.logger.warn({ err: error, retriable }, "produce request failed");
    return new TributaryError("TRB_KAFKA", `producing to Kafka failed: ${(error as Error).message}`, {
      retriable,
      cause: error,
    });
  }
}

function groupByTopic(records: OutgoingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let messages = byTopic.get(record.topic);
    if (!messages) {
      messages = [];
      byTopic.set(record.topic, messages);
    }
    // kafkajs reads key, value, headers, partition and timestamp of a message and changes
    // nothing: the record itself serves, without a copy per event.
    messages.push(record);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
