import type { Fingerprint } from "@tributary/core";
import { describe, expect, it } from "vitest";
import type { DecodedRecord, TransactionGroup } from "../../src/apply/transaction-groups.js";
import { splitAtSchemaChanges } from "../../src/ddl/split-at-schema-changes.js";

const record = (offset: number, schema: string): DecodedRecord =>
  ({
    offset: BigInt(offset),
    key: null,
    value: null,
    schema: schema as Fingerprint,
  }) as unknown as DecodedRecord;

describe("splitAtSchemaChanges", () => {
  it("keeps a group of one writer schema whole", () => {
    const group: TransactionGroup = {
      origin: "a",
      records: [record(1, "x"), record(2, "x")],
      nextOffset: 5n,
      dropped: 1,
    };
    expect(splitAtSchemaChanges(group)).toEqual([group]);
  });

  it("gives each run its own transaction, each recording the offset of the next run's first record", () => {
    const group: TransactionGroup = {
      origin: "a",
      // offsets 3 and 6 are tombstones or dropped events: they belong to the run before them
      records: [record(1, "x"), record(2, "x"), record(4, "y"), record(5, "y"), record(7, "x")],
      nextOffset: 9n,
      dropped: 2,
    };
    expect(
      splitAtSchemaChanges(group).map((part) => ({
        offsets: part.records.map((r) => Number(r.offset)),
        next: part.nextOffset,
        dropped: part.dropped,
      })),
    ).toEqual([
      { offsets: [1, 2], next: 4n, dropped: 0 },
      { offsets: [4, 5], next: 7n, dropped: 0 },
      { offsets: [7], next: 9n, dropped: 2 },
    ]);
  });
});
