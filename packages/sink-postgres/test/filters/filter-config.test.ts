import { describe, expect, it } from "vitest";
import { postgresSinkConfigSchema } from "../../src/config.js";
import { compileRowExpression, RowExpressionInvalid } from "../../src/filters/row-expression.js";
import { TablePatterns } from "../../src/filters/table-pattern.js";

const base = {
  connector: "postgres-sink",
  name: "replica",
  kafka: { brokers: ["127.0.0.1:9092"] },
  topics: { pattern: "^shop\\." },
  target: { database: "shop" },
};

function issues(filters: unknown): string[] {
  const result = postgresSinkConfigSchema.safeParse({ ...base, filters });
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("filters config", () => {
  it("defaults to no filter, every operation of a listed table, tolerance none and no offset gaps", () => {
    const config = postgresSinkConfigSchema.parse({ ...base, filters: { "public.orders": {} } });
    expect(config.filters["public.orders"]?.operations).toEqual([
      "insert",
      "update",
      "delete",
      "truncate",
      "ddl",
    ]);
    expect(postgresSinkConfigSchema.parse(base)).toMatchObject({
      filters: {},
      errors: { tolerance: "none" },
      allowOffsetGaps: false,
    });
  });

  it("refuses an expression that does not parse, naming the table and the parse error", () => {
    expect(issues({ "public.orders": { where: "row.amount > " } })).toEqual([
      expect.stringMatching(
        /^filters\.public\.orders\.where: the row filter of public\.orders does not parse: Unexpected token: EOF/,
      ),
    ]);
  });

  it("refuses unknown variables, non-bool results, unknown operations and keys that are no table", () => {
    expect(issues({ "public.orders": { where: "amount > 1" } })).toEqual([
      expect.stringContaining("does not type-check: Unknown variable: amount"),
    ]);
    expect(issues({ "public.orders": { where: "row.qty + 1" } })).toEqual([
      expect.stringContaining("gives a value of type int, expected a bool"),
    ]);
    expect(issues({ "public.orders": { operations: ["upsert"] } })).toHaveLength(1);
    expect(issues({ orders: {} })).toEqual([
      expect.stringContaining("expected a source table as schema.table"),
    ]);
    expect(issues({ "public.orders": { wher: "true" } })).toHaveLength(1);
  });

  it("compiles only with the library's interpreter: no code generation from the text", () => {
    expect(() => compileRowExpression("globalThis.process.exit(1)")).toThrow(RowExpressionInvalid);
    expect(compileRowExpression("op == 'c'").matches({}, "c")).toBe(true);
  });
});

describe("TablePatterns", () => {
  it("prefers the exact name, then the pattern with most literal characters, then the first written", () => {
    const patterns = new TablePatterns({
      "*.*": "any",
      "public.*": "public",
      "public.ord*": "ord",
      "public.orders": "exact",
      "public.or*": "or",
    });
    expect(patterns.lookup("public.orders")).toBe("exact");
    expect(patterns.lookup("public.order_lines")).toBe("ord");
    expect(patterns.lookup("public.other")).toBe("public");
    expect(patterns.lookup("sales.x")).toBe("any");
    const ties = new TablePatterns({ "a.?": "first", "?.b": "second" });
    expect(ties.lookup("a.b")).toBe("first");
    expect(new TablePatterns({ "a.b*": 1 }).lookup("aXb")).toBeUndefined();
  });
});
