import {
  type EventPublisher,
  type EventSubscriber,
  readCompactedTopic,
  type TopicAdmin,
} from "@tributary/core";
import { z } from "zod";
import type { CaptureState } from "../backfill/IncrementalSnapshot.js";

/**
 * What the source remembers between runs beside its slot, kept in the compacted
 * `<topicPrefix>._offsets` topic: whether the initial snapshot finished, and the highest LSN it
 * confirmed. Before the source confirms an LSN to its slot it records that LSN as its
 * `confirmLimit`, so the slot it uses is never ahead of the limit recorded here: a slot that is
 * ahead was dropped and created again (or advanced) behind the connector's back, and the
 * changes in between are lost, so the connector refuses to go on.
 */
const sourceStateSchema = z.object({
  version: z.literal(1),
  slot: z.string(),
  snapshot: z.enum(["pending", "running", "done"]),
  /** The slot's consistent point the snapshot was taken at. */
  snapshotLsn: z.string().nullable(),
  /** Highest LSN confirmed to the slot, decimal. */
  confirmedLsn: z.string().nullable(),
  /** Highest LSN the source may have confirmed to the slot, decimal; absent in older records. */
  confirmLimit: z.string().nullable().optional(),
  /** OIDs of the tables the source captures; absent in older records. */
  tables: z.array(z.number().int()).optional(),
  /** Tables being read while streaming, with the last key emitted. */
  backfills: z.array(z.object({ oid: z.number().int(), after: z.array(z.string()).nullable() })).optional(),
  updatedAt: z.string(),
});

export interface SourceState {
  slot: string;
  snapshot: "pending" | "running" | "done";
  snapshotLsn: bigint | null;
  confirmedLsn: bigint | null;
  /**
   * Highest LSN the source may have confirmed to its slot: recorded before each confirmation.
   * Null when unknown (a record from an older version, or no slot yet).
   */
  confirmLimit: bigint | null;
  /** Tables captured and tables being read while streaming; undefined in older records. */
  capture?: CaptureState | undefined;
}

export class SourceStateStore {
  constructor(
    private readonly topic: string,
    private readonly key: string,
    private readonly admin: TopicAdmin,
    private readonly publisher: EventPublisher,
    private readonly createSubscriber: () => EventSubscriber,
  ) {}

  async ensureTopic(): Promise<void> {
    await this.admin.ensureTopics([{ topic: this.topic, partitions: 1, compacted: true }]);
  }

  async load(): Promise<SourceState | undefined> {
    await this.ensureTopic();
    const latest = (await readCompactedTopic(this.topic, this.admin, this.createSubscriber())).get(this.key);
    if (!latest) return undefined;
    return decodeSourceState(latest.toString());
  }

  async save(state: SourceState): Promise<void> {
    await this.publisher.publish([
      { topic: this.topic, key: Buffer.from(this.key), value: Buffer.from(encodeSourceState(state)) },
    ]);
  }
}

/** The state as the JSON value of its record. */
export function encodeSourceState(state: SourceState, now = new Date()): string {
  const value: z.input<typeof sourceStateSchema> = {
    version: 1,
    slot: state.slot,
    snapshot: state.snapshot,
    snapshotLsn: state.snapshotLsn?.toString() ?? null,
    confirmedLsn: state.confirmedLsn?.toString() ?? null,
    confirmLimit: state.confirmLimit?.toString() ?? null,
    ...(state.capture ? { tables: state.capture.tables, backfills: state.capture.backfills } : {}),
    updatedAt: now.toISOString(),
  };
  return JSON.stringify(value);
}

/** The state a record holds; records of older versions lack `confirmLimit` and the capture. */
export function decodeSourceState(text: string): SourceState {
  const parsed = sourceStateSchema.parse(JSON.parse(text));
  return {
    slot: parsed.slot,
    snapshot: parsed.snapshot,
    snapshotLsn: parsed.snapshotLsn === null ? null : BigInt(parsed.snapshotLsn),
    confirmedLsn: parsed.confirmedLsn === null ? null : BigInt(parsed.confirmedLsn),
    confirmLimit:
      parsed.confirmLimit === null || parsed.confirmLimit === undefined ? null : BigInt(parsed.confirmLimit),
    ...(parsed.tables === undefined
      ? {}
      : { capture: { tables: parsed.tables, backfills: parsed.backfills ?? [] } }),
  };
}
