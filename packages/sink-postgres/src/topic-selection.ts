/**
 * Which topics a sink applies (pure): `topics.names` as given, or every existing topic that
 * `topics.pattern` matches — never an internal topic (`<prefix>._schemas`, `._offsets`,
 * `._heartbeat`, `._schema_changes`, `._dlq`) nor one of Kafka's own (`__consumer_offsets`).
 */

export interface TopicChoice {
  readonly pattern?: string | undefined;
  readonly names?: readonly string[] | undefined;
}

export interface TopicSelection {
  /** Existing topics to subscribe to, sorted. */
  readonly selected: readonly string[];
  /** Named topics that do not exist (yet). */
  readonly missing: readonly string[];
}

export function isInternalTopic(topic: string): boolean {
  return topic.startsWith("__") || (topic.split(".").at(-1) ?? "").startsWith("_");
}

export function selectTopics(existing: readonly string[], choice: TopicChoice): TopicSelection {
  const present = new Set(existing);
  if (choice.names !== undefined) {
    const names = [...new Set(choice.names)].sort();
    return {
      selected: names.filter((name) => present.has(name)),
      missing: names.filter((name) => !present.has(name)),
    };
  }
  const pattern = new RegExp(choice.pattern ?? "(?!)");
  return {
    selected: [...present].filter((topic) => !isInternalTopic(topic) && pattern.test(topic)).sort(),
    missing: [],
  };
}

/** True when both selections hold the same topics. */
export function sameTopics(a: TopicSelection, b: TopicSelection): boolean {
  return a.selected.length === b.selected.length && a.selected.every((topic, i) => topic === b.selected[i]);
}
