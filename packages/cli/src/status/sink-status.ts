/**
 * What `tributary status` reads for a sink: per topic and partition, Kafka's end offset, the
 * offset the target recorded in `tributary_offsets` (what it really holds), the consumer
 * group's committed offset, and the lag between the end and what the target holds. Read-only.
 */
import { createLogger, KafkaTopicAdmin } from "@tributary/core";
import {
  OFFSETS_TABLE,
  type PostgresSinkConfig,
  qualifiedName,
  selectTopics,
  TargetConnection,
} from "@tributary/sink-postgres";

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Offset of the next record Kafka will write. */
  endOffset: bigint;
  /** Next offset to apply, as the target recorded it in the same transaction as the changes. */
  recordedOffset: bigint | null;
  /** The consumer group's committed offset (follows the target's after each commit). */
  committedOffset: bigint | null;
  /** Records not yet applied: end − recorded (− the earliest retained offset when nothing is recorded). */
  lag: bigint;
}

export interface SinkStatus {
  kind: "sink";
  connector: PostgresSinkConfig["connector"];
  name: string;
  target: string;
  /** When the target last recorded an applied batch (ISO 8601), if ever. */
  lastAppliedAt: string | null;
  partitions: PartitionLag[];
  totalLag: bigint;
  /** Topics named in `topics.names` that do not exist. */
  missingTopics: string[];
}

export interface RecordedOffset {
  topic: string;
  partition: number;
  nextOffset: bigint;
}

export interface OffsetRange {
  low: bigint;
  high: bigint;
}

/** Joins Kafka's offsets with the target's and the group's (pure), sorted by topic and partition. */
export function partitionLags(
  ranges: ReadonlyMap<string, ReadonlyMap<number, OffsetRange>>,
  recorded: readonly RecordedOffset[],
  committed: ReadonlyMap<string, ReadonlyMap<number, bigint | null>>,
): PartitionLag[] {
  const recordedOf = new Map(recorded.map((row) => [`${row.topic}\u0000${row.partition}`, row.nextOffset]));
  const lags: PartitionLag[] = [];
  for (const [topic, partitions] of ranges) {
    for (const [partition, { low, high }] of partitions) {
      const recordedOffset = recordedOf.get(`${topic}\u0000${partition}`) ?? null;
      const applied = recordedOffset ?? low;
      lags.push({
        topic,
        partition,
        endOffset: high,
        recordedOffset,
        committedOffset: committed.get(topic)?.get(partition) ?? null,
        lag: high > applied ? high - applied : 0n,
      });
    }
  }
  return lags.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

export async function readSinkStatus(config: PostgresSinkConfig): Promise<SinkStatus> {
  const { host, port, database } = config.target;
  const { recorded, lastAppliedAt } = await readRecordedOffsets(config);
  const admin = new KafkaTopicAdmin(
    config.kafka,
    `tributary-status-${config.name}`,
    createLogger({ level: "silent" }),
  );
  try {
    const existing = await admin.listTopics();
    const selection = selectTopics(existing, config.topics);
    const present = new Set(existing);
    const topics = [
      ...new Set([...selection.selected, ...recorded.map((row) => row.topic).filter((t) => present.has(t))]),
    ].sort();
    const ranges = new Map<string, Map<number, OffsetRange>>();
    for (const topic of topics) ranges.set(topic, await admin.offsetRanges(topic));
    const committed = await admin.committedOffsets(config.name, topics);
    const partitions = partitionLags(ranges, recorded, committed);
    return {
      kind: "sink",
      connector: config.connector,
      name: config.name,
      target: `${host}:${port}/${database}`,
      lastAppliedAt,
      partitions,
      totalLag: partitions.reduce((sum, row) => sum + row.lag, 0n),
      missingTopics: [...selection.missing],
    };
  } finally {
    await admin.close();
  }
}

async function readRecordedOffsets(
  config: PostgresSinkConfig,
): Promise<{ recorded: RecordedOffset[]; lastAppliedAt: string | null }> {
  const target = await TargetConnection.open(
    config.target,
    "tributary-status",
    createLogger({ level: "silent" }),
  );
  try {
    const table = qualifiedName(config.helperSchema, OFFSETS_TABLE);
    const { rows: exists } = await target.query<{ present: boolean }>({
      text: "SELECT to_regclass($1) IS NOT NULL AS present",
      values: [table],
    });
    if (exists[0]?.present !== true) return { recorded: [], lastAppliedAt: null };
    const { rows } = await target.query<{
      topic: string;
      partition: number;
      next_offset: string;
      at: string;
    }>({
      text:
        `SELECT topic, partition, next_offset::text AS next_offset, ` +
        `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM ${table} WHERE sink = $1`,
      values: [config.name],
    });
    const last =
      rows
        .map((row) => row.at)
        .sort()
        .at(-1) ?? null;
    return {
      recorded: rows.map((row) => ({
        topic: row.topic,
        partition: row.partition,
        nextOffset: BigInt(row.next_offset),
      })),
      lastAppliedAt: last,
    };
  } finally {
    await target.close();
  }
}
