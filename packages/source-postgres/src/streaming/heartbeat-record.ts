import { encode, type OutgoingRecord, type WriterSchema } from "@tributary/core";
import type { Lsn } from "../replication/lsn.js";

export interface HeartbeatFacts {
  name: string;
  origin: string;
  /** The position the stream has read up to: the end of the last transaction read. */
  lsn: Lsn;
  /** Commit time of that transaction. */
  commitTsMs: bigint;
  nowMs: number;
}

/**
 * The `<prefix>._heartbeat` record (schemas/heartbeat.avsc) of a PostgreSQL source, keyed by the
 * connector's name so the compacted topic keeps its latest heartbeat.
 */
export function heartbeatRecord(topic: string, writer: WriterSchema, facts: HeartbeatFacts): OutgoingRecord {
  const value = encode(writer, {
    connector: "postgres",
    name: facts.name,
    origin: facts.origin,
    ts_ms: BigInt(facts.nowMs),
    lsn: facts.lsn,
    commit_ts_ms: facts.commitTsMs,
    file: null,
    pos: null,
    gtid: null,
  });
  return {
    topic,
    key: Buffer.from(facts.name),
    value,
    partition: 0,
    describe: () => `the heartbeat of ${facts.name} at ${facts.lsn}`,
  };
}
