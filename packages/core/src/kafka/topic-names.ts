/**
 * Topic naming of DESIGN.md section 2: `<prefix>.<schema|database>.<table>` for tables and
 * `<prefix>._<kind>` for the internal topics.
 */

export type InternalTopicKind = "schemas" | "offsets" | "heartbeat" | "schema_changes" | "dlq";

const MAX_TOPIC_LENGTH = 249;

/** Kafka allows [a-zA-Z0-9._-]; anything else in a database name becomes '_'. */
export function sanitizeTopicSegment(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, "_");
}

export function tableTopic(prefix: string, namespace: string, table: string): string {
  const topic = `${prefix}.${sanitizeTopicSegment(namespace)}.${sanitizeTopicSegment(table)}`;
  if (topic.length > MAX_TOPIC_LENGTH) {
    throw new RangeError(
      `topic name for ${namespace}.${table} exceeds Kafka's ${MAX_TOPIC_LENGTH} characters`,
    );
  }
  return topic;
}

export function internalTopic(prefix: string, kind: InternalTopicKind): string {
  return `${prefix}._${kind}`;
}

/**
 * The prefix a topic was written under: everything before `._<kind>` for internal topics, and
 * before the last two segments (`schema.table`) for table topics.
 */
export function topicPrefixOf(topic: string): string {
  const segments = topic.split(".");
  const last = segments.at(-1) ?? "";
  const keep = last.startsWith("_") ? segments.length - 1 : segments.length - 2;
  if (keep < 1) {
    throw new RangeError(
      `cannot tell the topic prefix of '${topic}': expected <prefix>.<schema>.<table> or <prefix>._<kind>`,
    );
  }
  return segments.slice(0, keep).join(".");
}
