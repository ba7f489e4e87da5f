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

/** A killed consumer stays a member until its session times out (the sink's default is 10 s). */
const GROUP_EMPTY_WAIT_MS = 30_000;

/**
 * Deletes every topic and consumer group whose name starts with `prefix`. A group whose member
 * was killed is deleted once its session expires; one still not empty after that is left, and
 * returned, for the next run's clean-up.
 */
export async function deleteKafkaObjects(prefix: string): Promise<string[]> {
  const admin = new kafkajs.Kafka({ brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const { groups } = await admin.listGroups();
    let left = groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
    const deadline = Date.now() + GROUP_EMPTY_WAIT_MS;
    while (left.length > 0) {
      left = await deleteGroups(admin, left);
      if (left.length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    return left;
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the groups it can; returns those Kafka refused because they still have members. */
async function deleteGroups(admin: kafkajs.Admin, groupIds: string[]): Promise<string[]> {
  try {
    await admin.deleteGroups(groupIds);
    return [];
  } catch (error) {
    if (!(error instanceof kafkajs.KafkaJSDeleteGroupsError)) throw error;
    const refused = error.groups.filter((group) => group.errorCode !== 0);
    if (refused.some((group) => group.error?.type !== "NON_EMPTY_GROUP")) throw error;
    return refused.map((group) => group.groupId);
  }
}
