import { createLogger, KafkaTopicAdmin, kafkaConfigSchema } from "@tributary/core";
import kafkajs from "kafkajs";

export const BROKERS = ["127.0.0.1:9092"];
const kafka = kafkaConfigSchema.parse({ brokers: BROKERS });
const logger = createLogger({ level: "silent" });

/** Records in a topic (sum of its partitions' end offsets). */
export async function topicRecords(admin: KafkaTopicAdmin, topic: string): Promise<number> {
  let total = 0;
  for (const end of (await admin.endOffsets(topic)).values()) total += Number(end);
  return total;
}

export function openAdmin(): KafkaTopicAdmin {
  return new KafkaTopicAdmin(kafka, "tributary-bench", logger);
}

/** Deletes every topic and consumer group whose name starts with `prefix`. */
export async function deleteKafkaObjects(prefix: string): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const { groups } = await admin.listGroups();
    const ours = groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
    if (ours.length > 0) await admin.deleteGroups(ours);
  } finally {
    await admin.disconnect();
  }
}
