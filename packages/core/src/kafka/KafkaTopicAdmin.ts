import "./kafkajs-fixes.js";
import type { Admin } from "kafkajs";
import type { KafkaConfig } from "../config/common-schema.js";
import { TributaryError } from "../errors/TributaryError.js";
import type { Logger } from "../observability/logger.js";
import type { TopicAdmin, TopicSpec } from "./event-bus.js";
import { createKafka, kafkaUnreachable } from "./kafka-client.js";

/** How long `ensureTopics` waits for the topics it created to have leaders, and how often it looks. */
const LEADER_WAIT_MS = 30_000;
const LEADER_POLL_MS = 50;

export class KafkaTopicAdmin implements TopicAdmin {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaConfig,
    clientId: string,
    logger: Logger,
  ) {
    this.admin = createKafka(config, clientId, logger).admin();
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    await this.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return;
    const replicationFactor = await this.replicationFactor();
    await this.admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions ?? 1,
        replicationFactor,
        configEntries: Object.entries({
          ...(spec.compacted ? { "cleanup.policy": "compact" } : {}),
          "max.message.bytes": String(this.config.maxMessageBytes),
          ...spec.config,
        }).map(([name, value]) => ({ name, value })),
      })),
    });
    await this.waitForLeaders(missing.map((spec) => spec.topic));
  }

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    await this.connect();
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map(({ partition, high }) => [partition, BigInt(high)]));
  }

  /** The earliest retained (`low`) and next-to-be-written (`high`) offset of every partition. */
  async offsetRanges(topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
    await this.connect();
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(
      offsets.map(({ partition, low, high }) => [partition, { low: BigInt(low), high: BigInt(high) }]),
    );
  }

  /** The consumer group's committed offset per topic and partition; null where it committed none. */
  async committedOffsets(
    groupId: string,
    topics: readonly string[],
  ): Promise<Map<string, Map<number, bigint | null>>> {
    await this.connect();
    if (topics.length === 0) return new Map();
    const fetched = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    return new Map(
      fetched.map(({ topic, partitions }) => [
        topic,
        new Map(
          partitions.map(({ partition, offset }) => [partition, offset === "-1" ? null : BigInt(offset)]),
        ),
      ]),
    );
  }

  async listTopics(): Promise<string[]> {
    await this.connect();
    return this.admin.listTopics();
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
    this.connected = undefined;
  }

  /**
   * Waits until every partition of `topics` has a leader. kafkajs's own wait (`waitForLeaders`)
   * retries only LEADER_NOT_AVAILABLE, but a broker also answers UNKNOWN_TOPIC_OR_PARTITION for
   * a moment after creating topics: 100 at once failed the source's start that way.
   */
  private async waitForLeaders(topics: readonly string[]): Promise<void> {
    const deadline = Date.now() + LEADER_WAIT_MS;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const { topics: described } = await this.admin.fetchTopicMetadata({ topics: [...topics] });
        const led = described.every(
          ({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0),
        );
        if (led && described.length === topics.length) return;
      } catch (error) {
        if ((error as { retriable?: unknown }).retriable !== true) throw error;
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
    }
    throw new TributaryError(
      "TRB_KAFKA",
      `Kafka created topics ${topics.join(", ")} but gave them no leader within ${LEADER_WAIT_MS / 1000} s` +
        `${last === undefined ? "" : ` (last answer: ${(last as Error).message})`}; check the brokers' health`,
      { retriable: true, cause: last },
    );
  }

  /** Three replicas where the cluster has them, else as many as there are brokers. */
  private async replicationFactor(): Promise<number> {
    const { brokers } = await this.admin.describeCluster();
    return Math.min(3, brokers.length);
  }

  private connect(): Promise<void> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw kafkaUnreachable(this.config, error);
    });
    return this.connected;
  }
}
