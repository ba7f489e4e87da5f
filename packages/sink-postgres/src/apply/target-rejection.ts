/**
 * A value the target refuses (a constraint, a length, a range) is a bad record like an
 * undecodable one: `errors.tolerance` decides whether the sink stops at it or sends it to the
 * dead-letter topic. These helpers tell such refusals from other failures and name the record.
 */
import { causeChain, type IncomingRecord, TributaryError } from "@tributary/core";
import type { SinkRecord } from "./EventDecoder.js";
import type { TransactionGroup } from "./transaction-groups.js";

/** SQLSTATE classes of a refused value: 22 data exception, 23 integrity constraint violation. */
const REJECTION_CLASSES = new Set(["22", "23"]);

/** The target's SQLSTATE and message when `error` (or a cause) is a refusal of the data itself. */
export function targetRejection(error: unknown): { sqlState: string; message: string } | null {
  for (const current of causeChain(error)) {
    const code = current.code;
    if (typeof code !== "string" || typeof current.severity !== "string") continue;
    if (!REJECTION_CLASSES.has(code.slice(0, 2))) return null;
    const detail = typeof current.detail === "string" ? ` (${current.detail})` : "";
    return { sqlState: code, message: `${String(current.message)}${detail}` };
  }
  return null;
}

/** The coded error naming the record the target refused; `stopping` adds how to go on. */
export function rejectedRecordError(
  record: Pick<IncomingRecord, "topic" | "partition" | "offset">,
  event: SinkRecord,
  rejection: { sqlState: string; message: string },
  stopping: boolean,
): TributaryError {
  const source = event.value?.source;
  const table = source ? `${source.schema ?? source.database}.${source.table}` : "its table";
  const reason =
    `the target rejected the ${event.value?.op ?? "?"} event of ${table} at offset ${record.offset} of ` +
    `${record.topic} partition ${record.partition}: ${rejection.message} (SQLSTATE ${rejection.sqlState})`;
  const details = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    table,
    sqlState: rejection.sqlState,
  };
  if (!stopping) return new TributaryError("TRB_SINK_REJECTED", reason, { details });
  return new TributaryError(
    "TRB_SINK_REJECTED",
    `${reason}. The target and the consumer group hold the offset of this record; fix the target table or the ` +
      "data and restart, or set errors.tolerance: all to send such records to the dead-letter topic and go on",
    { details },
  );
}

/** The group's records before `index`, ending at that record's offset. */
export function groupBefore<R extends SinkRecord>(
  group: TransactionGroup<R>,
  index: number,
): TransactionGroup<R> {
  const stop = group.records[index] as R;
  return {
    origin: group.origin,
    records: group.records.slice(0, index),
    nextOffset: stop.offset,
    dropped: 0,
  };
}

/** The group with the records at `indexes` left out; their offsets are still recorded with it. */
export function groupWithout<R extends SinkRecord>(
  group: TransactionGroup<R>,
  indexes: ReadonlySet<number>,
): TransactionGroup<R> {
  return { ...group, records: group.records.filter((_, index) => !indexes.has(index)) };
}
