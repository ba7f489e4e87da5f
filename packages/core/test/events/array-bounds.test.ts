import { describe, expect, it } from "vitest";
import {
  applyArrayLowerBounds,
  collectArrayLowerBounds,
  lowerBoundsOf,
  withLowerBounds,
} from "../../src/events/array-bounds.js";
import type { ColumnValue, Envelope, Row } from "../../src/events/change-event.js";
import { toJsonValue } from "../../src/events/to-json.js";

describe("array lower bounds", () => {
  it("marks an array only when a bound is not 1, unseen by JSON, keys and equality", () => {
    const plain = withLowerBounds([7, 8], [1]);
    expect(lowerBoundsOf(plain)).toBeUndefined();
    const shifted = withLowerBounds([7, 8, 9], [0]);
    expect(lowerBoundsOf(shifted)).toEqual([0]);
    expect(Object.keys(shifted)).toEqual(["0", "1", "2"]);
    expect(JSON.stringify(toJsonValue(shifted))).toBe("[7,8,9]");
    expect(shifted).toEqual([7, 8, 9]);
  });

  it("gives no bounds for values that are not arrays", () => {
    for (const value of [null, undefined, 1, "x", 2n] as (ColumnValue | undefined)[]) {
      expect(lowerBoundsOf(value)).toBeUndefined();
    }
  });

  it("collects the marked arrays of both images among the given fields, or null", () => {
    const before: Row = { a: withLowerBounds([1], [5]), b: [2], c: withLowerBounds([3], [0]) };
    const after: Row = { a: [1], b: withLowerBounds([[1, 2]], [-1, 2]) };
    expect(collectArrayLowerBounds(before, after, ["a", "b"])).toEqual({
      before: { a: [5] },
      after: { b: [-1, 2] },
    });
    expect(collectArrayLowerBounds({ a: [1] }, null, ["a"])).toBeNull();
    expect(collectArrayLowerBounds(null, null, ["a"])).toBeNull();
  });

  it("marks a decoded envelope's arrays from its array_lower_bounds field", () => {
    const envelope = {
      before: { a: [1, 2], b: null },
      after: { a: [[1], [2]], b: "text" },
      array_lower_bounds: { before: { a: [0], b: [3] }, after: { a: [2, 0], missing: [4] } },
    } as unknown as Envelope;
    applyArrayLowerBounds(envelope);
    expect(lowerBoundsOf(envelope.before?.a)).toEqual([0]);
    expect(lowerBoundsOf(envelope.after?.a)).toEqual([2, 0]);
    expect(envelope.after?.b).toBe("text");
  });
});
