import { describe, expect, it } from "vitest";
import { cutTransactions } from "../../src/apply/transaction-cuts.js";

/** Records numbered from 0, each with a value of the given size in bytes (null: a tombstone). */
function records(...sizes: (number | null)[]) {
  return sizes.map((size, index) => ({
    index,
    key: Buffer.alloc(0),
    value: size === null ? null : Buffer.alloc(size),
  }));
}

/** The cut as lists of record numbers: `[transactions, held]`. */
function cut(input: ReturnType<typeof records>, maxEvents: number, maxBytes: number, moreWaiting: boolean) {
  const { transactions, held } = cutTransactions(input, { maxEvents, maxBytes }, moreWaiting);
  return [
    transactions.map((transaction) => transaction.map(({ index }) => index)),
    held.map(({ index }) => index),
  ];
}

describe("cutting a partition's records into transactions", () => {
  it("cuts at maxEvents records and holds a short last piece while more records wait", () => {
    const fetched = records(10, 10, 10, 10, 10);
    expect(cut(fetched, 2, 1_000, true)).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
      [4],
    ]);
    expect(cut(fetched, 2, 1_000, false)).toEqual([[[0, 1], [2, 3], [4]], []]);
  });

  it("holds nothing when the records end at a limit", () => {
    expect(cut(records(10, 10, 10, 10), 2, 1_000, true)).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
      [],
    ]);
    expect(cut(records(10, 10, 10), 10, 30, true)).toEqual([[[0, 1, 2]], []]);
  });

  it("holds every record when they reach neither limit (a fetch smaller than a transaction)", () => {
    expect(cut(records(10, 10, 10), 5_000, 1_000, true)).toEqual([[], [0, 1, 2]]);
    expect(cut(records(10, 10, 10), 5_000, 1_000, false)).toEqual([[[0, 1, 2]], []]);
  });

  it("cuts before the record that would take a transaction past maxBytes of keys and values", () => {
    expect(cut(records(40, 40, 40, 10, 10), 100, 100, false)).toEqual([
      [
        [0, 1],
        [2, 3, 4],
      ],
      [],
    ]);
    expect(cut(records(40, 40, 40, 10, 10), 100, 100, true)).toEqual([[[0, 1]], [2, 3, 4]]);
  });

  it("gives a record larger than maxBytes a transaction of its own", () => {
    expect(cut(records(10, 500, 10), 100, 100, true)).toEqual([[[0], [1]], [2]]);
  });

  it("counts a tombstone's key only, and counts it against maxEvents", () => {
    const withKeys = records(null, null, 90).map((record) => ({ ...record, key: Buffer.alloc(5) }));
    expect(cut(withKeys, 100, 105, false)).toEqual([[[0, 1, 2]], []]);
    expect(cut(withKeys, 100, 104, false)).toEqual([[[0, 1], [2]], []]);
    expect(cut(withKeys, 2, 1_000, true)).toEqual([[[0, 1]], [2]]);
  });

  it("cuts nothing from no records", () => {
    expect(cut(records(), 2, 100, true)).toEqual([[], []]);
  });
});
