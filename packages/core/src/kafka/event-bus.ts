/**
 * The only Kafka surface the connectors see. kafkajs sits behind these interfaces so it can be
 * swapped (it has had no release since 2023).
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** For commits and seeks: the offset of the next record to read. */
  offset: bigint;
}

export interface OutgoingRecord {
  topic: string;
  key: Buffer | null;
  /** Null writes a tombstone. */
  value: Buffer | null;
  /** Header values as text, or as raw bytes (e.g. a record's original headers, passed on unchanged). */
  headers?: Record<string, string | Buffer>;
  partition?: number;
  /** Names the event in an error (table and key), computed only when needed. */
  describe?: () => string;
}

export interface EventPublisher {
  /** Resolves once every record is acknowledged by all in-sync replicas, in order per partition. */
  publish(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestampMs: number;
  /**
   * The record with a copy of its bytes. A fetched record's key, value and headers are views of
   * the whole fetch response, which a record kept past its batch would otherwise keep alive.
   * Absent from records not fetched from Kafka.
   */
  detached?(): IncomingRecord;
}

export interface RecordBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /** The partition's end offset when the batch was fetched. */
  highWatermark: bigint;
}

export interface SubscribeOptions {
  groupId: string;
  /** Topic names, or a pattern matched against the topics existing at start. */
  topics: string[] | RegExp;
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  /** Called per partition batch, in order; the next batch of that partition waits for it. */
  onBatch(batch: RecordBatch): Promise<void>;
  /**
   * Called with every partition this member holds each time the group (re)assigns partitions,
   * before any batch of that assignment is handled; it may `seek` them (e.g. to positions a
   * sink recorded in its target). A batch fetched before such a seek is dropped and fetched
   * again from the new position. A failure stops the subscriber as a failed batch does.
   */
  onAssigned?(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Work `onBatch` left running when it resolved (e.g. a transaction still committing, whose
   * offsets it commits afterwards): `stop` waits for it after the batches in progress, before
   * leaving the group.
   */
  drain?(): Promise<void>;
}

export interface EventSubscriber {
  /** Joins the group and starts delivering batches; resolves once the consumer runs. */
  start(options: SubscribeOptions): Promise<void>;
  /** Commits offsets (next offset to read) for the group. Nothing is committed implicitly. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Moves a partition's read position; takes effect from the next fetch. */
  seek(position: TopicPartitionOffset): void;
  /**
   * Stops the subscriber as a failed batch does: for work `onBatch` left running (see `drain`)
   * that failed after its batch resolved. Only the first failure counts.
   */
  fail(error: unknown): void;
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** cleanup.policy=compact. */
  compacted?: boolean;
  config?: Record<string, string>;
}

export interface TopicAdmin {
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** The end offset (next offset to be written) of every partition. */
  endOffsets(topic: string): Promise<Map<number, bigint>>;
  listTopics(): Promise<string[]>;
  close(): Promise<void>;
}
