import { compileSchema, decode, fixedSchemas } from "@tributary/core";
import { describe, expect, it } from "vitest";
import type { Lsn } from "../../src/replication/lsn.js";
import { heartbeatRecord } from "../../src/streaming/heartbeat-record.js";

describe("heartbeatRecord", () => {
  const writer = compileSchema(fixedSchemas().heartbeat);

  it("keys the heartbeat by connector name and carries the position and commit time read", () => {
    const record = heartbeatRecord("shop._heartbeat", writer, {
      name: "shop",
      origin: "dc1",
      lsn: 0x16b3748n as Lsn,
      commitTsMs: 1_700_000_000_000n,
      nowMs: 1_700_000_000_250,
    });
    expect(record.topic).toBe("shop._heartbeat");
    expect(record.key?.toString()).toBe("shop");
    expect(record.partition).toBe(0);
    expect(decode(writer, record.value ?? Buffer.alloc(0))).toEqual({
      connector: "postgres",
      name: "shop",
      origin: "dc1",
      ts_ms: 1_700_000_000_250n,
      lsn: 0x16b3748n,
      commit_ts_ms: 1_700_000_000_000n,
      file: null,
      pos: null,
      gtid: null,
    });
  });
});
