import { describe, expect, it } from "vitest";
import { detachedRecord } from "../../src/kafka/detached-record.js";
import type { IncomingRecord } from "../../src/kafka/event-bus.js";

describe("detachedRecord", () => {
  const response = Buffer.from("....key-bytes....value-bytes....header-bytes....");
  const record: IncomingRecord = {
    topic: "p.shop.items",
    partition: 2,
    offset: 41n,
    key: response.subarray(4, 13),
    value: response.subarray(17, 28),
    headers: { origin: response.subarray(32, 44) },
    timestampMs: 1_700_000_000_000,
  };

  it("holds the same record", () => {
    expect(detachedRecord(record)).toEqual(record);
    expect(detachedRecord({ ...record, key: null, value: null, headers: {} })).toEqual({
      ...record,
      key: null,
      value: null,
      headers: {},
    });
  });

  it("shares no memory with the fetch response", () => {
    const copy = detachedRecord(record);
    response.fill(0);
    expect(copy.key?.toString()).toBe("key-bytes");
    expect(copy.value?.toString()).toBe("value-bytes");
    expect(copy.headers.origin?.toString()).toBe("header-bytes");
  });

  it("takes the record's own copy where it makes one", () => {
    const own = { ...record, key: Buffer.from("own") };
    expect(detachedRecord({ ...record, detached: () => own })).toBe(own);
  });
});
