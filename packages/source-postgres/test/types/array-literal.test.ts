import { type ColumnValue, isTributaryError, lowerBoundsOf } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { explicitLowerBounds } from "../../src/types/array-literal.js";
import { arrayParser, parseArrayLiteral, parseInt32, type TextParser } from "../../src/types/index.js";

const COMMA = ",".charCodeAt(0);
const SEMICOLON = ";".charCodeAt(0);
const text: TextParser = (value) => value;
const strings = (literal: string, dimensions = 1) => parseArrayLiteral(literal, text, COMMA, dimensions);

describe("parseArrayLiteral: elements", () => {
  it.each<readonly [string, ColumnValue[]]>([
    ["{}", []],
    ["{a}", ["a"]],
    ["{a,b,c}", ["a", "b", "c"]],
    ['{""}', [""]],
    ['{"",""}', ["", ""]],
    ['{"a,b","c d","{x}","}"}', ["a,b", "c d", "{x}", "}"]],
    ['{"say \\"hi\\"","back\\\\slash"}', ['say "hi"', "back\\slash"]],
    ['{"\\a\\b"}', ["ab"]],
    ['{"\\\\x00ff"}', ["\\x00ff"]],
    ["{NULL}", [null]],
    ["{NULL,null,NuLl}", [null, null, null]],
    ['{"NULL","null"}', ["NULL", "null"]],
    ["{\\NULL}", ["NULL"]],
    ["{NULLx,xNULL,NUL}", ["NULLx", "xNULL", "NUL"]],
    ["{a\\,b,c\\}d,e\\\\f}", ["a,b", "c}d", "e\\f"]],
    ["{a\\ }", ["a "]],
    ["{ a , b }", ["a", "b"]],
    ["{a b}", ["a b"]],
    ['{  "x y"  ,z}', ["x y", "z"]],
    ["  {a}  ", ["a"]],
    ['{"héllo 😀",ü,𠜎}', ["héllo 😀", "ü", "𠜎"]],
    ['{"line\nbreak","tab\there"}', ["line\nbreak", "tab\there"]],
    ['{"(1,\\"a b\\")","(,)"}', ['(1,"a b")', "(,)"]],
    ["{1.5,-0,NaN,Infinity}", ["1.5", "-0", "NaN", "Infinity"]],
  ])("%s", (literal, expected) => {
    expect(strings(literal)).toEqual(expected);
  });

  it("uses the element type's delimiter (box[] separates with ';')", () => {
    expect(parseArrayLiteral("{(1,1),(0,0);(3,3),(2,2)}", text, SEMICOLON, 1)).toEqual([
      "(1,1),(0,0)",
      "(3,3),(2,2)",
    ]);
    expect(parseArrayLiteral('{"a;b";c,d;NULL}', text, SEMICOLON, 1)).toEqual(["a;b", "c,d", null]);
  });

  it("parses elements with the element parser, never NULLs", () => {
    const seen: string[] = [];
    const parse: TextParser = (value) => {
      seen.push(value);
      return parseInt32(value);
    };
    expect(parseArrayLiteral("{1,NULL,-3}", parse, COMMA, 1)).toEqual([1, null, -3]);
    expect(seen).toEqual(["1", "-3"]);
  });

  it("parses arrays whose elements are array literals themselves (arrays of array domains)", () => {
    const inner = arrayParser(parseInt32, ",", 1);
    expect(parseArrayLiteral('{"{1,2}","{}",NULL,"{3}"}', inner, COMMA, 1)).toEqual([[1, 2], [], null, [3]]);
  });

  it("parses a long array in linear time", () => {
    const literal = `{${Array.from({ length: 100_000 }, (_, i) => (i % 10 === 0 ? "NULL" : String(i))).join(",")}}`;
    const started = performance.now();
    const values = parseArrayLiteral(literal, parseInt32, COMMA, 1);
    expect(performance.now() - started).toBeLessThan(500);
    expect(values).toHaveLength(100_000);
    expect(values[99_999]).toBe(99_999);
    expect(values[99_990]).toBeNull();
  });
});

describe("parseArrayLiteral: dimensions and bounds", () => {
  it.each<readonly [string, number, ColumnValue[]]>([
    [
      "{{a,b},{c,d}}",
      2,
      [
        ["a", "b"],
        ["c", "d"],
      ],
    ],
    [
      "{{NULL,b},{c,NULL}}",
      2,
      [
        [null, "b"],
        ["c", null],
      ],
    ],
    ["{{{1,2}},{{3,4}}}", 3, [[["1", "2"]], [["3", "4"]]]],
    ["{ { a } , { b } }", 2, [["a"], ["b"]]],
    ["{}", 2, []],
    ["{}", 3, []],
    ["[0:1]={a,b}", 1, ["a", "b"]],
    ["[-5:-4]={x,y}", 1, ["x", "y"]],
    ["[1:2][0:0]={{a},{b}}", 2, [["a"], ["b"]]],
    ['[2:2]={"="}', 1, ["="]],
  ])("%s with %i dimension(s)", (literal, dimensions, expected) => {
    expect(strings(literal, dimensions)).toEqual(expected);
  });

  it.each<readonly [string, number, readonly number[] | undefined]>([
    ["{a,b}", 1, undefined],
    ["{}", 1, undefined],
    ["[0:1]={a,b}", 1, [0]],
    ["[-5:-4]={x,y}", 1, [-5]],
    ["[1:2][0:0]={{a},{b}}", 2, [1, 0]],
    ['[2:2]={"="}', 1, [2]],
  ])("marks %s with its lower bounds %j", (literal, dimensions, bounds) => {
    expect(lowerBoundsOf(strings(literal, dimensions))).toEqual(bounds);
    expect(explicitLowerBounds(literal)).toEqual(bounds);
  });

  it("refuses explicit bounds of another number of dimensions than the column's", () => {
    expect(() => strings("[0:0][0:0]={{a}}", 1)).toThrow(/declare the column with as many \[\]/);
  });

  it.each([
    ["{a,b}", 2],
    ["{{a},{b}}", 1],
    ["{{{a}}}", 2],
    ["{{a},b}", 2],
    ["{a,{b}}", 1],
  ])("refuses %s as %i-dimensional with TRB_PG_VALUE_OUT_OF_RANGE", (literal, dimensions) => {
    try {
      strings(literal, dimensions);
      expect.unreachable();
    } catch (error) {
      expect(isTributaryError(error, "TRB_PG_VALUE_OUT_OF_RANGE")).toBe(true);
      expect(String(error)).toMatch(/declare the column with as many \[\]/);
      expect(String(error)).not.toContain(literal);
    }
  });
});

describe("parseArrayLiteral: malformed text", () => {
  it.each([
    "",
    "a",
    "(a)",
    "{a",
    "{a,",
    "{a,}",
    "{,a}",
    "{,}",
    '{"a}',
    '{"a"b}',
    '{a"b"}',
    "{a}x",
    "{a}}",
    "[0:1]{a,b}",
    "[0:1]=a",
    "{{a}",
  ])("refuses %j with TRB_PG_VALUE_INVALID", (literal) => {
    try {
      strings(literal, literal.startsWith("{{") ? 2 : 1);
      expect.unreachable();
    } catch (error) {
      expect(isTributaryError(error, "TRB_PG_VALUE_INVALID")).toBe(true);
    }
  });
});
