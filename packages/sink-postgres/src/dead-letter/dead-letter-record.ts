/**
 * A bad record → its dead-letter copy (pure): the original key, value and headers unchanged,
 * plus headers saying why and where from, so a tool can fix and re-send it.
 */
import {
  type IncomingRecord,
  internalTopic,
  type OutgoingRecord,
  type TributaryError,
  topicPrefixOf,
} from "@tributary/core";

export const DEAD_LETTER_HEADERS = {
  code: "tributary.error.code",
  reason: "tributary.error.reason",
  topic: "tributary.error.topic",
  partition: "tributary.error.partition",
  offset: "tributary.error.offset",
  /** The bad record's own timestamp (ms since the epoch). */
  timestamp: "tributary.error.timestamp",
  sink: "tributary.error.sink",
} as const;

/** `<prefix>._dlq` of the record's topic; `<topic>._dlq` for a topic without a Tributary prefix. */
export function deadLetterTopicOf(topic: string): string {
  try {
    return internalTopic(topicPrefixOf(topic), "dlq");
  } catch {
    return `${topic}._dlq`;
  }
}

export function deadLetterRecord(
  record: IncomingRecord,
  error: TributaryError,
  sink: string,
  topic: string,
): OutgoingRecord {
  return {
    topic,
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DEAD_LETTER_HEADERS.code]: error.code,
      [DEAD_LETTER_HEADERS.reason]: error.reason,
      [DEAD_LETTER_HEADERS.topic]: record.topic,
      [DEAD_LETTER_HEADERS.partition]: String(record.partition),
      [DEAD_LETTER_HEADERS.offset]: record.offset.toString(),
      [DEAD_LETTER_HEADERS.timestamp]: String(record.timestampMs),
      [DEAD_LETTER_HEADERS.sink]: sink,
    },
    describe: () =>
      `the bad record at offset ${record.offset} of ${record.topic} partition ${record.partition}`,
  };
}
