import { describe, expect, it } from "vitest";
import { rowsDifference } from "./pipeline.js";

describe("rowsDifference", () => {
  it("finds none between the same rows in another order", () => {
    expect(rowsDifference("t", ["(1,a)", "(2,b)", "(2,b)"], ["(2,b)", "(1,a)", "(2,b)"])).toBeUndefined();
    expect(rowsDifference("t", [], [])).toBeUndefined();
  });

  it.each([
    [
      "a missing row",
      ["(1,a)", "(2,b)"],
      ["(1,a)"],
      "t: 2 rows in the source, 1 in the target; missing 1× (2,b); extra ",
    ],
    [
      "an extra row",
      ["(1,a)"],
      ["(1,a)", "(3,c)"],
      "t: 1 rows in the source, 2 in the target; missing ; extra 1× (3,c)",
    ],
    [
      "a changed value",
      ["(1,a)"],
      ["(1,b)"],
      "t: 1 rows in the source, 1 in the target; missing 1× (1,a); extra 1× (1,b)",
    ],
    [
      "an identical row applied twice",
      ["(same,1)", "(same,1)"],
      ["(same,1)", "(same,1)", "(same,1)"],
      "t: 2 rows in the source, 3 in the target; missing ; extra 1× (same,1)",
    ],
    [
      "identical rows in other numbers at equal totals",
      ["(x)", "(x)", "(y)"],
      ["(x)", "(y)", "(y)"],
      "t: 3 rows in the source, 3 in the target; missing 1× (x); extra 1× (y)",
    ],
  ])("names %s", (_, source, target, expected) => {
    expect(rowsDifference("t", source, target)).toBe(expected);
  });
});
