import { randomUUID } from "node:crypto";
import { TributaryError } from "../errors/TributaryError.js";
import type { EventSubscriber, TopicAdmin } from "./event-bus.js";

/**
 * Reads a compacted topic from its start to the end it has when called and returns the latest
 * value of each key (null for a key whose latest record is a tombstone). Uses a throw-away
 * consumer group that never commits.
 */
export async function readCompactedTopic(
  topic: string,
  admin: TopicAdmin,
  subscriber: EventSubscriber,
  timeoutMs = 60_000,
): Promise<Map<string, Buffer | null>> {
  const latest = new Map<string, Buffer | null>();
  const ends = await admin.endOffsets(topic);
  const position = new Map<number, bigint>();
  const behind = () => [...ends].some(([partition, end]) => (position.get(partition) ?? 0n) < end);
  if (!behind()) return latest;
  let caughtUp: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    caughtUp = resolve;
  });
  await subscriber.start({
    groupId: `tributary-reader-${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    onBatch: async (batch) => {
      for (const record of batch.records) {
        if (record.key !== null) latest.set(record.key.toString(), record.value);
        position.set(batch.partition, record.offset + 1n);
      }
      if (!behind()) caughtUp();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TributaryError("TRB_KAFKA", `could not read ${topic} to its end within ${timeoutMs} ms`, {
            retriable: true,
          }),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
    await subscriber.stop();
  }
  return latest;
}
