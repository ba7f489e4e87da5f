import { describe, expect, it } from "vitest";
import { copyField, copyRows } from "../../src/sql/copy-text.js";
import { array, decimal, INT, model, pgColumn, STRING } from "../support/models.js";

describe("copyField", () => {
  it.each<[string | null, string]>([
    [null, "\\N"],
    ["", ""],
    ["plain", "plain"],
    ["\\N", "\\\\N"], // the text \N, not NULL
    ["a\tb", "a\\tb"],
    ["a\nb", "a\\nb"],
    ["a\r\nb", "a\\r\\nb"],
    ["back\\slash", "back\\\\slash"],
    ["\\.", "\\\\."], // never the end-of-data marker
    ["\\x00ff", "\\\\x00ff"], // bytea hex input
    ['{"a\\"b"}', '{"a\\\\"b"}'],
    ["ünï 😀", "ünï 😀"],
  ])("%j → %j", (text, field) => {
    expect(copyField(text)).toBe(field);
  });
});

describe("copyRows", () => {
  const table = model({
    columns: [
      pgColumn("id", INT, "integer"),
      pgColumn("price", decimal(12, 2), "numeric(12,2)"),
      pgColumn("note", STRING, "text"),
      pgColumn("tags", array(STRING), "text[]"),
      pgColumn("photo", { kind: "bytes" }, "bytea"),
      pgColumn("at", { kind: "timestamp-micros" }, "timestamp with time zone"),
    ],
    key: ["id"],
  });

  it("writes one line per row, tab-separated, in column order", () => {
    const data = copyRows(table.columns, [
      {
        id: 1,
        price: "1.50",
        note: "tab\there",
        tags: ["a b", null],
        photo: Buffer.from("00ff", "hex"),
        at: 0n,
      },
      { id: 2, price: "NaN", note: null, tags: [], photo: null, at: (1n << 63n) - 1n },
      { id: 3, price: "0.00", note: "line\nbreak \\", tags: ['q"'], photo: Buffer.alloc(0), at: -1n },
    ]);
    expect(data).toBe(
      '1\t1.50\ttab\\there\t{"a b",NULL}\t\\\\x00ff\t1970-01-01 00:00:00+00\n' +
        "2\tNaN\t\\N\t{}\t\\N\tinfinity\n" +
        '3\t0.00\tline\\nbreak \\\\\t{"q\\\\""}\t\\\\x\t1969-12-31 23:59:59.999999+00\n',
    );
  });

  it("writes only the given columns", () => {
    expect(copyRows([table.columns[0]!, table.columns[2]!], [{ id: 1, note: "x", price: "9.99" }])).toBe(
      "1\tx\n",
    );
  });

  it("writes nothing for no rows", () => {
    expect(copyRows(table.columns, [])).toBe("");
  });
});
