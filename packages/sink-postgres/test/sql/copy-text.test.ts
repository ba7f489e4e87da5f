import { describe, expect, it } from "vitest";
import { copyField, copyRows, copyRowsUtf8 } from "../../src/sql/copy-text.js";
import { array, decimal, INT, LONG, model, pgColumn, STRING } from "../support/models.js";

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

describe("copyRowsUtf8", () => {
  const table = model({
    columns: [
      pgColumn("id", LONG, "bigint"),
      pgColumn("small", INT, "integer"),
      pgColumn("flag", { kind: "boolean" }, "boolean"),
      pgColumn("real", { kind: "float" }, "real"),
      pgColumn("ratio", { kind: "double" }, "double precision"),
      pgColumn("price", decimal(12, 2), "numeric(12,2)"),
      pgColumn("note", STRING, "text"),
      pgColumn("uid", { kind: "uuid" }, "uuid"),
      pgColumn("photo", { kind: "bytes" }, "bytea"),
      pgColumn("day", { kind: "date" }, "date"),
      pgColumn("clock", { kind: "time-micros" }, "time without time zone"),
      pgColumn("at", { kind: "timestamp-micros" }, "timestamp with time zone"),
      pgColumn("local", { kind: "local-timestamp-micros" }, "timestamp without time zone"),
      pgColumn("tags", array(STRING), "text[]"),
      pgColumn("grid", array(array(INT)), "integer[][]"),
    ],
    key: ["id"],
  });
  const rows = [
    {
      id: 1n,
      small: -7,
      flag: true,
      real: 1.5,
      ratio: Number.NaN,
      price: "1.50",
      note: "tab\there, line\nbreak, cr\r, back\\slash, \\N, \\.",
      uid: "0b0e2a4c-7f43-4a4e-9a3b-111111111111",
      photo: Buffer.from("00ff5c0a", "hex"),
      day: 19_000,
      clock: 45_296_000_001n,
      at: 1_700_000_000_123_456n,
      local: -1n,
      tags: ['q"uote', "back\\slash", null, "tab\t", "ünï 😀"],
      grid: [
        [1, 2],
        [3, null],
      ],
    },
    {
      id: 2n,
      small: null,
      flag: false,
      real: Number.POSITIVE_INFINITY,
      ratio: -0,
      price: "NaN",
      note: "ünïcödé 😀 𝄞 中文",
      uid: null,
      photo: Buffer.alloc(0),
      day: -1,
      clock: 0n,
      at: (1n << 63n) - 1n,
      local: -(1n << 63n),
      tags: [],
      grid: [],
    },
    {
      id: 3n,
      small: 0,
      flag: null,
      real: Number.NEGATIVE_INFINITY,
      ratio: 1e-300,
      price: "-Infinity",
      note: "",
      uid: "ffffffff-ffff-ffff-ffff-ffffffffffff",
      photo: null,
      day: null,
      clock: null,
      at: null,
      local: null,
      tags: null,
      grid: null,
    },
    {
      id: 4n,
      small: 1,
      flag: true,
      real: 0.1,
      ratio: 2,
      price: "0.01",
      note: "a\tb\\c\n",
      uid: null,
      photo: null,
      day: 0,
      clock: 1n,
      at: 0n,
      local: 0n,
      tags: ["a".repeat(100), "b\tc".repeat(30)],
      grid: [[7]],
    },
  ];

  it("writes exactly the UTF-8 bytes of copyRows' text, for every type, NULLs, escapes and unicode, short and long", () => {
    const text = copyRows(table.columns, rows);
    expect(text.split("\n")).toHaveLength(rows.length + 1);
    expect(Buffer.concat(copyRowsUtf8(table.columns, rows)).toString("utf8")).toBe(text);
  });

  it("starts a new chunk when a row does not fit, and a chunk of its own for a row larger than a chunk", () => {
    const note = table.columns.find((column) => column.field === "note")!;
    const id = table.columns.find((column) => column.field === "id")!;
    const many = Array.from({ length: 40_000 }, (_, index) => ({
      id: BigInt(index),
      note: "ü".repeat(index % 50),
    }));
    many.push({ id: -1n, note: "😀".repeat(1_000_000) });
    const chunks = copyRowsUtf8([id, note], many);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.toString("utf8")).not.toContain("\uFFFD");
    expect(Buffer.concat(chunks).toString("utf8")).toBe(copyRows([id, note], many));
  });

  it("writes nothing for no rows", () => {
    expect(copyRowsUtf8(table.columns, [])).toEqual([]);
  });
});
