import { describe, expect, it } from "vitest";
import { utf8Chunks } from "../../src/target/copy-in.js";

describe("utf8Chunks", () => {
  it("cuts text into pieces of at most the size, never inside a surrogate pair", () => {
    const text = "ab😀cd😀😀e";
    for (const size of [1, 2, 3, 4, 5, 100]) {
      const chunks = [...utf8Chunks(text, size)];
      expect(Buffer.concat(chunks).toString("utf8")).toBe(text);
      for (const chunk of chunks) expect(chunk.toString("utf8")).not.toContain("\uFFFD");
    }
    expect([...utf8Chunks(text, 3)].map((chunk) => chunk.toString("utf8"))).toEqual([
      "ab",
      "😀c",
      "d😀",
      "😀e",
    ]);
  });

  it("sends nothing for empty data", () => {
    expect([...utf8Chunks("", 10)]).toEqual([]);
  });
});
