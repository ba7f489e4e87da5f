import "./kafkajs-fixes.js";
import type { Admin } from "kafkajs";
import type { KafkaConfig } from "../config/common-schema.js";
import type { Logger } from "../observability/logger.js";
import { createKafka, kafkaFailure, kafkaUnreachable } from "./kafka-client.js";

export interface PartitionRange {
  partition: number;
  /** The earliest offset still held (retention may have deleted what was before). */
  low: bigint;
  /** The end offset: the next offset to be written. */
  high: bigint;
}

export interface GroupState {
  /** Kafka's group state: Empty, Dead (unknown group), Stable, PreparingRebalance, … */
  state: string;
  /** Consumers currently in the group. */
  members: number;
}

/**
 * The consumer-group side of Kafka administration (replay): who is in a group, where the
 * partitions of a topic begin and end or stood at a time, and moving a group's committed offsets.
 */
export class KafkaGroupAdmin {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaConfig,
    clientId: string,
    logger: Logger,
  ) {
    this.admin = createKafka(config, clientId, logger).admin();
  }

  async groupState(groupId: string): Promise<GroupState> {
    await this.connect();
    const { groups } = await this.call(`describing consumer group ${groupId}`, () =>
      this.admin.describeGroups([groupId]),
    );
    const group = groups[0];
    return { state: group?.state ?? "Dead", members: group?.members.length ?? 0 };
  }

  async partitionRanges(topic: string): Promise<PartitionRange[]> {
    await this.connect();
    const offsets = await this.call(`reading the offsets of ${topic}`, () =>
      this.admin.fetchTopicOffsets(topic),
    );
    return offsets
      .map(({ partition, low, high }) => ({ partition, low: BigInt(low), high: BigInt(high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Per partition, the offset of the first record at or after `timestampMs` (the end offset when none is). */
  async offsetsAtTime(topic: string, timestampMs: number): Promise<Map<number, bigint>> {
    await this.connect();
    const offsets = await this.call(`reading the offsets of ${topic} at a time`, () =>
      this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs),
    );
    return new Map(offsets.map(({ partition, offset }) => [partition, BigInt(offset)]));
  }

  /** Commits `offsets` (partition → next offset to read) for the group; fails while the group has members. */
  async setGroupOffsets(groupId: string, topic: string, offsets: ReadonlyMap<number, bigint>): Promise<void> {
    if (offsets.size === 0) return;
    await this.connect();
    await this.call(`setting the offsets of consumer group ${groupId} on ${topic}`, () =>
      this.admin.setOffsets({
        groupId,
        topic,
        partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
      }),
    );
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
    this.connected = undefined;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw kafkaFailure(this.config, what, error);
    }
  }

  private connect(): Promise<void> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw kafkaUnreachable(this.config, error);
    });
    return this.connected;
  }
}
