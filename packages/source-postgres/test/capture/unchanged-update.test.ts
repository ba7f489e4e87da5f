import type { Row } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { isInvisibleUpdate, type UpdateImages } from "../../src/capture/unchanged-update.js";

const row: Row = {
  id: 1n,
  name: "widget",
  price: "9.90",
  ratio: Number.NaN,
  photo: Buffer.from([1, 2, 3]),
  tags: ["a", null, "b"],
  grid: [
    [1, 2],
    [3, 4],
  ],
  note: null,
};

const update = (overrides: Partial<UpdateImages>): UpdateImages => ({
  oldImage: "full",
  hasExcludedColumns: true,
  before: row,
  after: { ...row, photo: Buffer.from([1, 2, 3]), tags: ["a", null, "b"] },
  unchanged: [],
  ...overrides,
});

describe("isInvisibleUpdate", () => {
  it.each<[string, Partial<UpdateImages>, boolean]>([
    ["every published column equal, full old image, excluded columns", {}, true],
    ["a text column changed", { after: { ...row, name: "gadget" } }, false],
    ["a bigint changed", { after: { ...row, id: 2n } }, false],
    ["bytes changed", { after: { ...row, photo: Buffer.from([1, 2, 4]) } }, false],
    ["an array element changed", { after: { ...row, tags: ["a", "x", "b"] } }, false],
    [
      "a nested array element changed",
      {
        after: {
          ...row,
          grid: [
            [1, 2],
            [3, 5],
          ],
        },
      },
      false,
    ],
    ["null became a value", { after: { ...row, note: "hi" } }, false],
    ["a value became null", { after: { ...row, name: null } }, false],
    [
      "an unchanged TOAST column is equal by definition",
      { after: { ...row, note: null }, unchanged: ["note"] },
      true,
    ],
    [
      "unchanged TOAST does not hide another change",
      { after: { ...row, note: null, name: "gadget" }, unchanged: ["note"] },
      false,
    ],
    ["a key-only old image cannot be compared", { oldImage: "key" }, false],
    ["no old image cannot be compared", { oldImage: "none" }, false],
    ["a table without excluded columns publishes every update", { hasExcludedColumns: false }, false],
  ])("%s", (_, overrides, expected) => {
    expect(isInvisibleUpdate(update(overrides))).toBe(expected);
  });

  it("tells numbers apart from their text and NaN from other numbers", () => {
    expect(isInvisibleUpdate(update({ after: { ...row, price: 9.9 } }))).toBe(false);
    expect(isInvisibleUpdate(update({ after: { ...row, ratio: 0 } }))).toBe(false);
  });
});
