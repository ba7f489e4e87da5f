import { describe, expect, it } from "vitest";
import { tablesToBackfill } from "../../src/backfill/published-tables.js";
import { keyText, snapshotVisibility } from "../../src/backfill/snapshot-visibility.js";

describe("snapshotVisibility", () => {
  it.each([
    ["100:105:101,103", 99, true],
    ["100:105:101,103", 100, true],
    ["100:105:101,103", 101, false],
    ["100:105:101,103", 102, true],
    ["100:105:101,103", 104, true],
    ["100:105:101,103", 105, false],
    ["100:105:", 200, false],
  ] as const)("in %s, xid %i is visible: %s", (snapshot, xid, visible) => {
    expect(snapshotVisibility(snapshot)(xid)).toBe(visible);
  });

  it("widens 32-bit xids with the snapshot's epoch, across the wrap", () => {
    const epoch = 1n << 32n;
    // xmin in epoch 1 just after the wrap; xid 4294967290 is from epoch 0, 10 below.
    const visible = snapshotVisibility(`${epoch + 4n}:${epoch + 8n}:${epoch + 6n}`);
    expect(visible(4_294_967_290)).toBe(true);
    expect(visible(6)).toBe(false);
    expect(visible(7)).toBe(true);
    expect(visible(9)).toBe(false);
  });

  it("refuses text that is no snapshot", () => {
    expect(() => snapshotVisibility("nonsense")).toThrow(/TRB_PG_PROTOCOL|cannot read the snapshot/);
  });
});

describe("keyText", () => {
  it("is equal for equal values of every kind, and differs otherwise", () => {
    expect(keyText([1n, Buffer.from("ab"), "x"])).toBe(keyText([1n, Buffer.from("ab"), "x"]));
    expect(keyText([1n])).not.toBe(keyText(["1"]));
    expect(keyText([Buffer.from("ab")])).not.toBe(keyText([Buffer.from("ac")]));
  });
});

describe("tablesToBackfill", () => {
  const joined = [
    { oid: 1, schema: "shop", table: "created_here" },
    { oid: 2, schema: "shop", table: "moved_in" },
    { oid: 3, schema: "listed", table: "created_here_too" },
  ];
  it("reads every joining table except one created in a schema published whole already", () => {
    expect(tablesToBackfill(joined, new Set([1, 3]), new Set(["shop"]))).toEqual([2, 3]);
  });
  it("reads one created there whose rows the stream left out for want of an old key", () => {
    expect(tablesToBackfill(joined, new Set([1, 3]), new Set(["shop"]), new Set([1]))).toEqual([1, 2, 3]);
  });
  it("reads all of them when no schema was published whole", () => {
    expect(tablesToBackfill(joined, new Set([1, 3]), new Set())).toEqual([1, 2, 3]);
  });
});
