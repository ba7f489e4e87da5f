import { isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  createIfMissing,
  dollarQuote,
  qualifiedName,
  quoteIdentifier,
  quoteLiteral,
} from "../../src/sql/sql-text.js";

describe("quoteIdentifier", () => {
  it.each([
    ["orders", '"orders"'],
    ["Orders", '"Orders"'],
    ["order items", '"order items"'],
    ['say "hi"', '"say ""hi"""'],
    ["select", '"select"'],
    ["ünïcødé 😀", '"ünïcødé 😀"'],
    ["a.b", '"a.b"'],
    ["$1", '"$1"'],
  ])("%j → %s", (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it("qualifies with a schema", () => {
    expect(qualifiedName("My Schema", 't"1')).toBe('"My Schema"."t""1"');
  });

  it("refuses NUL", () => {
    expect(() => quoteIdentifier("a\u0000b")).toThrow(/NUL/);
    try {
      quoteIdentifier("\u0000");
    } catch (error) {
      expect(isTributaryError(error, "TRB_CFG_INVALID")).toBe(true);
    }
  });
});

describe("quoteLiteral", () => {
  it.each([
    ["happy", "'happy'"],
    ["it's", "'it''s'"],
    ["", "''"],
    ["back\\slash", "E'back\\\\slash'"],
    ["both ' and \\", "E'both '' and \\\\'"],
    ["ünï", "'ünï'"],
  ])("%j → %s", (text, quoted) => {
    expect(quoteLiteral(text)).toBe(quoted);
  });
});

describe("dollarQuote and createIfMissing", () => {
  it("picks a tag the body does not hold", () => {
    expect(dollarQuote("x")).toBe("$tributary$x$tributary$");
    expect(dollarQuote("a $tributary$ b")).toBe("$tributary_1$a $tributary$ b$tributary_1$");
    expect(dollarQuote("$tributary$ $tributary_1$")).toBe(
      "$tributary_2$$tributary$ $tributary_1$$tributary_2$",
    );
  });

  it("wraps DDL in a block that ignores an existing object", () => {
    expect(createIfMissing('CREATE TYPE "s"."e" AS ENUM (\'a\')')).toBe(
      'DO $tributary$\nBEGIN\n  CREATE TYPE "s"."e" AS ENUM (\'a\');\n' +
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;\nEND\n$tributary$",
    );
  });
});
