import { randomUUID } from "node:crypto";
import kafkajs from "kafkajs";
import { afterAll } from "vitest";
import {
  createLogger,
  type KafkaConfig,
  KafkaEventPublisher,
  KafkaTopicAdmin,
  kafkaConfigSchema,
} from "../../packages/core/src/index.js";

/** The local stack's broker with production defaults for everything else. */
export const testKafka: KafkaConfig = kafkaConfigSchema.parse({
  brokers: [process.env.TRIBUTARY_TEST_BROKER ?? "127.0.0.1:9092"],
});

export const quietLogger = createLogger({
  level: process.env.TEST_LOG_LEVEL === "debug" ? "debug" : "silent",
});

/** Names unique to one test, so tests never see each other's topics or groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** Deletes topics a test created; missing ones are ignored. */
export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/**
 * A topic admin and a publisher for one test file, closed after its tests; the topics named in
 * `topics` are deleted then.
 */
export function kafkaTestFixture(): {
  admin: KafkaTopicAdmin;
  publisher: KafkaEventPublisher;
  topics: string[];
} {
  const topics: string[] = [];
  const admin = new KafkaTopicAdmin(testKafka, "test", quietLogger);
  const publisher = new KafkaEventPublisher(testKafka, "test", quietLogger);
  afterAll(async () => {
    await publisher.close();
    await admin.close();
    await deleteTopics(topics);
  });
  return { admin, publisher, topics };
}

/** Resolves once every topic exists; fails after `timeoutMs`. */
export async function waitForTopics(topics: string[], timeoutMs = 60_000): Promise<void> {
  const admin = new KafkaTopicAdmin(testKafka, "test", quietLogger);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const existing = new Set(await admin.listTopics());
      if (topics.every((topic) => existing.has(topic))) return;
      if (Date.now() > deadline) throw new Error(`topics ${topics.join(", ")} did not appear`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.close();
  }
}

/** Every topic whose name starts with `<prefix>.`, sorted. */
export async function topicsOf(prefix: string): Promise<string[]> {
  const admin = new KafkaTopicAdmin(testKafka, "test", quietLogger);
  try {
    return (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`)).sort();
  } finally {
    await admin.close();
  }
}

/** Deletes every topic under `prefix` (none when a failed setup left it unset). */
export async function deleteTopicsOf(prefix: string | undefined): Promise<void> {
  if (prefix) await deleteTopics(await topicsOf(prefix));
}

/** Deletes a consumer group a test's sink used; it must have no members left. */
export async function deleteConsumerGroup(groupId: string): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]);
  } finally {
    await admin.disconnect();
  }
}
