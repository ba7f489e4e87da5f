/**
 * A partition that continues after the offset the target recorded: the records between are no
 * longer in Kafka (deleted by retention, or compacted away). Applying on would silently lose
 * their changes, so the sink stops unless `allowOffsetGaps` says gaps are expected.
 */
import { TributaryError } from "@tributary/core";

export function offsetGap(topic: string, partition: number, recorded: bigint, first: bigint): TributaryError {
  return new TributaryError(
    "TRB_SINK_OFFSET_GAP",
    `${topic} partition ${partition} continues at offset ${first}, but the target recorded ${recorded} as the next ` +
      `offset to apply: the ${first - recorded} record(s) between are no longer in Kafka (retention or compaction), ` +
      "so their changes would be lost. Rebuild the target from what Kafka holds (tributary replay, or a new snapshot " +
      "of the source), or, for compacted topics where only superseded records are gone, set allowOffsetGaps: true",
    { details: { topic, partition, recorded: recorded.toString(), first: first.toString() } },
  );
}
