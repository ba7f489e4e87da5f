import type { IncomingRecord } from "./event-bus.js";

/**
 * A copy of `record` that holds its own bytes (see `IncomingRecord.detached`): the record's own
 * copy where it has one, else `copiedRecord`'s.
 */
export function detachedRecord(record: IncomingRecord): IncomingRecord {
  return record.detached?.() ?? copiedRecord(record);
}

/** `record` with its key, value and headers copied one by one. */
export function copiedRecord(record: IncomingRecord): IncomingRecord {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers)) headers[name] = Buffer.from(value);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers,
    timestampMs: record.timestampMs,
  };
}
