import { describe, expect, it } from "vitest";
import { type AppliedChange, commitToApply, eventsOf, percentile } from "../lib/latency-matching.js";

/** Every change of transactions 0…transactions-1 applied on its own, `delayMs` after its commit at n ms. */
function appliedOneByOne(transactions: number, lag: number, delayMs: (n: number) => number): AppliedChange[] {
  const applied: AppliedChange[] = [];
  for (let n = 0; n < transactions; n++) {
    for (const { id, kind } of eventsOf(n, lag))
      applied.push({ id, tx: kind === "delete" ? null : n, atMs: n + delayMs(n) });
  }
  return applied;
}

const commits = (transactions: number) => new Map(Array.from({ length: transactions }, (_, n) => [n, n]));

describe("eventsOf", () => {
  it("lists 5 inserts of the transaction's own ids, 4 updates and 1 delete of the rows from `lag` before", () => {
    expect(eventsOf(3, 2)).toEqual([
      { id: 15, kind: "upsert" },
      { id: 16, kind: "upsert" },
      { id: 17, kind: "upsert" },
      { id: 18, kind: "upsert" },
      { id: 19, kind: "upsert" },
      { id: 5, kind: "upsert" },
      { id: 6, kind: "upsert" },
      { id: 7, kind: "upsert" },
      { id: 8, kind: "upsert" },
      { id: 9, kind: "delete" },
    ]);
  });
});

describe("commitToApply", () => {
  it("gives every event the time from its transaction's commit to its own apply", () => {
    const { latenciesMs, missing } = commitToApply(
      { transactions: 6, lag: 2 },
      commits(6),
      appliedOneByOne(6, 2, (n) => 10 * n),
    );
    expect(missing).toBe(0);
    expect(latenciesMs.sort((a, b) => a - b)).toEqual(
      [0, 1, 2, 3, 4, 5].flatMap((n) => Array.from({ length: 10 }, () => 10 * n)),
    );
  });

  it("gives an insert collapsed with its later update or delete the apply time of that later change", () => {
    const applied = appliedOneByOne(4, 2, () => 1).filter(
      // Transaction 0's inserts (ids 0-4) never applied alone: the batch kept only transaction 2's changes.
      (change) => !(change.id >= 0 && change.id <= 4 && change.tx === 0),
    );
    const { latenciesMs, missing } = commitToApply({ transactions: 4, lag: 2 }, commits(4), applied);
    expect(missing).toBe(0);
    // Committed at 0, their effect arrived with transaction 2's changes, applied at 2 + 1.
    expect(latenciesMs.filter((ms) => ms === 3)).toHaveLength(5);
  });

  it("counts an event whose change never reached the target as missing", () => {
    const applied = appliedOneByOne(3, 1, () => 1).filter((change) => !(change.id === 12 && change.tx === 2));
    expect(commitToApply({ transactions: 3, lag: 1 }, commits(3), applied).missing).toBe(1);
  });

  it("keeps the first apply of a change recorded twice", () => {
    const applied = appliedOneByOne(1, 1, () => 5);
    applied.push({ id: 0, tx: 0, atMs: 50 });
    expect(Math.max(...commitToApply({ transactions: 1, lag: 1 }, commits(1), applied).latenciesMs)).toBe(5);
  });
});

describe("percentile", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [50, 50],
    [95, 95],
    [99, 99],
    [100, 100],
    [0, 1],
  ])("p%d of 1…100 is %d (nearest rank)", (p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it("is NaN without values", () => {
    expect(percentile([], 50)).toBeNaN();
  });
});
