import { createLogger, KafkaTopicAdmin, kafkaConfigSchema } from "@tributary/core";

const kafka = kafkaConfigSchema.parse({ brokers: ["127.0.0.1:9092"] });
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

/**
 * Watches a topic grow from `from` records and reports when the growth started and ended
 * (no new record for `quietMs`), which is the publishing rate independent of start-up time.
 */
export async function measureGrowth(
  admin: KafkaTopicAdmin,
  topic: string,
  from: number,
  quietMs = 3_000,
  timeoutMs = 900_000,
): Promise<{ records: number; seconds: number }> {
  const started = Date.now();
  let first: number | undefined;
  let last = from;
  let lastChange = Date.now();
  for (;;) {
    const now = Date.now();
    const count = await topicRecords(admin, topic);
    if (count !== last) {
      if (first === undefined) first = now;
      last = count;
      lastChange = now;
    } else if (first !== undefined && now - lastChange > quietMs) {
      return { records: last - from, seconds: (lastChange - first) / 1000 };
    }
    if (now - started > timeoutMs) throw new Error(`${topic} did not settle within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
