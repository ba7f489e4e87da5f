import { describe, expect, it } from "vitest";
import { compareRows, isEqual } from "../../demo/lib/compare.js";
import { comparisonTable } from "../../demo/lib/report.js";

const row = (id: number, value: string) => ({ key: `[${id}]`, row: `{"id": ${id}, "v": "${value}"}` });

describe("demo row comparison", () => {
  it("finds equal tables equal whatever the order the rows came in", () => {
    const result = compareRows("shop.t", [row(1, "a"), row(2, "b")], [row(2, "b"), row(1, "a")]);
    expect(result).toMatchObject({ sourceRows: 2, targetRows: 2, missing: 0, extra: 0, different: 0 });
    expect(isEqual(result)).toBe(true);
  });

  it("counts missing, extra and different keys and names a few of them", () => {
    const result = compareRows(
      "shop.t",
      [row(1, "a"), row(2, "b"), row(3, "c")],
      [row(1, "a"), row(2, "B"), row(4, "d")],
    );
    expect(result).toMatchObject({ missing: 1, extra: 1, different: 1 });
    expect(result.examples).toEqual(["[2] differs", "[3] missing on the target", "[4] only on the target"]);
    expect(isEqual(result)).toBe(false);
  });

  it("keeps at most the asked number of examples", () => {
    const source = Array.from({ length: 10 }, (_, i) => row(i, "x"));
    expect(compareRows("shop.t", source, [], 2).examples).toHaveLength(2);
  });

  it("treats two empty tables as equal, but not a missing target table", () => {
    expect(isEqual(compareRows("shop.t", [], []))).toBe(true);
    expect(isEqual({ ...compareRows("shop.t", [], []), targetMissing: true })).toBe(false);
  });

  it("prints one line per table with its verdict", () => {
    const text = comparisonTable([
      compareRows("shop.customers", [row(1, "a")], [row(1, "a")]),
      compareRows("shop.orders", [row(1, "a"), row(2, "b")], [row(1, "z")]),
    ]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^table\s+source rows\s+target rows\s+result$/);
    expect(lines[1]).toMatch(/^shop\.customers\s+1\s+1\s+equal$/);
    expect(lines[2]).toMatch(/^shop\.orders\s+2\s+1\s+DIFFERS: 1 missing, 1 different \(e\.g\. /);
  });
});
