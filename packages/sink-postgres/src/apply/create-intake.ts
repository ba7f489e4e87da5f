/** The session's RecordIntake from the config: its filters, and a dead-letter queue when `errors.tolerance: all`. */
import { KafkaEventPublisher, type Logger, type TopicAdmin } from "@tributary/core";
import type { PostgresSinkConfig } from "../config.js";
import { DeadLetterQueue } from "../dead-letter/DeadLetterQueue.js";
import { EventFilter } from "../filters/EventFilter.js";
import type { SinkMetrics } from "../SinkMetrics.js";
import type { EventDecoder } from "./EventDecoder.js";
import { RecordIntake } from "./RecordIntake.js";

export interface SessionIntake {
  readonly intake: RecordIntake;
  close(): Promise<void>;
}

export function createRecordIntake(
  config: Pick<PostgresSinkConfig, "name" | "origin" | "kafka" | "filters" | "errors">,
  parts: { decoder: EventDecoder; admin: TopicAdmin; clientId: string; metrics: SinkMetrics; logger: Logger },
): SessionIntake {
  const deadLetters =
    config.errors.tolerance === "all"
      ? new DeadLetterQueue({
          sink: config.name,
          topic: config.errors.deadLetterTopic,
          admin: parts.admin,
          publisher: new KafkaEventPublisher(config.kafka, parts.clientId, parts.logger),
          metrics: parts.metrics,
          logger: parts.logger,
        })
      : null;
  const intake = new RecordIntake({
    decoder: parts.decoder,
    filter: new EventFilter(config.filters),
    deadLetters,
    ownOrigin: config.origin,
    metrics: parts.metrics,
    logger: parts.logger,
  });
  return { intake, close: async () => deadLetters?.close() };
}
