/**
 * Sends bad records to their dead-letter topic (created when missing, like the other internal
 * topics) and resolves only once Kafka acknowledged them: the caller then records their offsets
 * with the batch, so a bad record is neither lost nor sent again (except when the sink stops
 * between the two, which re-sends it once).
 */
import type { EventPublisher, IncomingRecord, Logger, TopicAdmin, TributaryError } from "@tributary/core";
import type { SinkMetrics } from "../SinkMetrics.js";
import { deadLetterRecord, deadLetterTopicOf } from "./dead-letter-record.js";

export interface BadRecord {
  readonly record: IncomingRecord;
  readonly error: TributaryError;
}

export interface DeadLetterQueueOptions {
  sink: string;
  /** A fixed topic; default: `<prefix>._dlq` of each bad record's topic. */
  topic: string | undefined;
  admin: Pick<TopicAdmin, "ensureTopics">;
  publisher: EventPublisher;
  metrics: SinkMetrics;
  logger: Logger;
}

export class DeadLetterQueue {
  private readonly ensured = new Set<string>();

  constructor(private readonly options: DeadLetterQueueOptions) {}

  async send(bad: readonly BadRecord[]): Promise<void> {
    if (bad.length === 0) return;
    const { sink, admin, publisher, metrics, logger } = this.options;
    const outgoing = bad.map(({ record, error }) =>
      deadLetterRecord(record, error, sink, this.options.topic ?? deadLetterTopicOf(record.topic)),
    );
    const missing = [...new Set(outgoing.map((record) => record.topic))].filter(
      (topic) => !this.ensured.has(topic),
    );
    if (missing.length > 0) {
      await admin.ensureTopics(missing.map((topic) => ({ topic, partitions: 1 })));
      for (const topic of missing) this.ensured.add(topic);
    }
    await publisher.publish(outgoing);
    for (const [index, { record, error }] of bad.entries()) {
      metrics.deadLetters.inc({ topic: record.topic, code: error.code });
      logger.warn(
        {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset.toString(),
          code: error.code,
          deadLetterTopic: outgoing[index]?.topic,
        },
        `sent a bad record to the dead-letter topic: ${error.reason}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.options.publisher.close();
  }
}
