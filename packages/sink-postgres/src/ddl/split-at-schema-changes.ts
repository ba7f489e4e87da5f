/**
 * With `ddl: apply`, a transaction must not span a change of writer schema (pure): the schema
 * change that comes between two runs of a table is applied after the first run's rows and
 * before the second's, so each run gets a transaction of its own, recording the offset of the
 * next run's first record.
 */
import { type DecodedRecord, splitBySchema, type TransactionGroup } from "../apply/transaction-groups.js";

export function splitAtSchemaChanges<R extends DecodedRecord>(
  group: TransactionGroup<R>,
): TransactionGroup<R>[] {
  const runs = splitBySchema(group.records);
  if (runs.length <= 1) return [group];
  return runs.map((run, index) => {
    const next = runs[index + 1]?.records[0];
    return next === undefined
      ? { origin: group.origin, records: run.records, nextOffset: group.nextOffset, dropped: group.dropped }
      : { origin: group.origin, records: run.records, nextOffset: next.offset, dropped: 0 };
  });
}
