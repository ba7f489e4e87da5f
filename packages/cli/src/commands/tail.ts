import { randomUUID } from "node:crypto";
import {
  createLogger,
  type IncomingRecord,
  internalTopic,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  kafkaConfigSchema,
  loadConfig,
  SchemaStore,
  TributaryError,
  toJsonValue,
  topicPrefixOf,
} from "@tributary/core";
import { z } from "zod";
import { decodeRecordPart } from "../decode-record.js";

export interface TailOptions {
  topic: string;
  fromBeginning: boolean;
  idleExit?: number;
  max?: number;
  brokers?: string;
  config?: string;
  schemasTopic?: string;
}

const tailConfigSchema = z.looseObject({
  kafka: kafkaConfigSchema.prefault({ brokers: ["127.0.0.1:9092"] }),
});

/** tail reads only the `kafka` section: the other TRIBUTARY_… overrides are the connector's. */
function kafkaOverrides(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => /^TRIBUTARY_KAFKA__/i.test(name)));
}

/**
 * Prints one JSON line per event: `{"topic","partition","offset","key","value"}`, the value the
 * decoded envelope (null for a tombstone). Stops after `max` events, after `idleExit` seconds
 * without one, or on SIGINT/SIGTERM.
 */
export async function runTail(options: TailOptions): Promise<void> {
  const config = loadConfig(tailConfigSchema, {
    ...(options.config === undefined ? {} : { file: options.config }),
    env: kafkaOverrides(process.env),
  });
  const kafka = options.brokers ? { ...config.kafka, brokers: options.brokers.split(",") } : config.kafka;
  const logger = createLogger({ level: "warn", bindings: { command: "tail" } });
  const clientId = "tributary-tail";
  const admin = new KafkaTopicAdmin(kafka, clientId, logger);
  const subscriber = new KafkaEventSubscriber(kafka, clientId, logger);
  const store = new SchemaStore({
    topic: options.schemasTopic ?? internalTopic(topicPrefixOf(options.topic), "schemas"),
    admin,
    createSubscriber: () => new KafkaEventSubscriber(kafka, clientId, logger),
    logger,
  });

  let printed = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const armIdleTimer = () => {
    if (options.idleExit === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(finish, options.idleExit * 1000);
  };
  const onSignal = () => finish();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const topics = await admin.listTopics();
    if (!topics.includes(options.topic)) {
      const similar = topics.filter((t) => !t.startsWith("__")).slice(0, 20);
      throw new TributaryError(
        "TRB_TOPIC_MISSING",
        `topic '${options.topic}' does not exist at ${kafka.brokers.join(", ")}` +
          (similar.length > 0 ? `; existing topics: ${similar.join(", ")}` : ""),
      );
    }
    await subscriber.start({
      groupId: `tributary-tail-${randomUUID()}`,
      topics: [options.topic],
      fromBeginning: options.fromBeginning,
      onBatch: async (batch) => {
        for (const record of batch.records) {
          if (options.max !== undefined && printed >= options.max) break;
          await writeLine(`${JSON.stringify(await renderRecord(record, store))}\n`);
          printed++;
          armIdleTimer();
          if (options.max !== undefined && printed >= options.max) finish();
        }
      },
    });
    armIdleTimer();
    await Promise.race([finished, subscriber.finished]);
  } finally {
    clearTimeout(idleTimer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await subscriber.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}

async function renderRecord(record: IncomingRecord, store: SchemaStore): Promise<Record<string, unknown>> {
  const where = `${record.topic} partition ${record.partition} offset ${record.offset}`;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: toJsonValue(record.offset),
    key: toJsonValue(await decodeRecordPart(record.key, store, `key at ${where}`)),
    value: toJsonValue(await decodeRecordPart(record.value, store, `value at ${where}`)),
  };
}

function writeLine(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const flushed = process.stdout.write(line, (error) => (error ? reject(error) : undefined));
    if (flushed) resolve();
    else process.stdout.once("drain", resolve);
  });
}
