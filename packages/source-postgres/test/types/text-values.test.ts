import { isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  parseBoolean,
  parseBytea,
  parseFloat4,
  parseFloat8,
  parseInt32,
  parseInt64,
  parseText,
  parseUuid,
  type TextParser,
} from "../../src/types/index.js";

function refuses(parser: TextParser, text: string): void {
  try {
    parser(text);
  } catch (error) {
    expect(isTributaryError(error, "TRB_PG_VALUE_INVALID")).toBe(true);
    // Row values may be personal data: messages name the type, never the value.
    if (text.length > 2) expect(String(error)).not.toContain(text);
    return;
  }
  expect.unreachable(`accepted ${JSON.stringify(text)}`);
}

describe("integers", () => {
  it.each([
    ["0", 0],
    ["-32768", -32768],
    ["32767", 32767],
    ["-2147483648", -2147483648],
    ["2147483647", 2147483647],
  ])("int2/int4 %s", (text, value) => {
    expect(parseInt32(text)).toBe(value);
  });

  it.each([
    ["0", 0n],
    ["-9223372036854775808", -9223372036854775808n],
    ["9223372036854775807", 9223372036854775807n],
    ["4294967295", 4294967295n],
    ["9007199254740993", 9007199254740993n], // beyond 2^53: exact only as a bigint
  ])("int8/oid %s", (text, value) => {
    expect(parseInt64(text)).toBe(value);
  });

  it.each(["1.5", "abc", "1e3x", "NaN"])("int4 refuses %j", (text) => refuses(parseInt32, text));
  it.each(["1.5", "abc", "0x1g"])("int8 refuses %j", (text) => refuses(parseInt64, text));
});

describe("floats (extra_float_digits=3: shortest exact text)", () => {
  it.each([
    ["0", 0],
    ["1.5", 1.5],
    ["0.1", 0.1],
    ["-1.7976931348623157e+308", -Number.MAX_VALUE],
    ["5e-324", Number.MIN_VALUE],
    ["2.2250738585072014e-308", 2.2250738585072014e-308],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
  ])("float8 %s", (text, value) => {
    expect(parseFloat8(text)).toBe(value);
  });

  it("float8 keeps NaN and -0", () => {
    expect(parseFloat8("NaN")).toBeNaN();
    expect(Object.is(parseFloat8("-0"), -0)).toBe(true);
    expect(Object.is(parseFloat8("0"), 0)).toBe(true);
  });

  it.each([
    ["1.1", Math.fround(1.1)],
    ["3.4028235e+38", 3.4028234663852886e38],
    ["1e-45", Math.fround(1e-45)],
    ["1.17549435e-38", Math.fround(1.17549435e-38)],
    ["16777217", 16777216],
    ["Infinity", Number.POSITIVE_INFINITY],
  ])("float4 %s is the number the float4 holds", (text, value) => {
    expect(parseFloat4(text)).toBe(value);
    expect(Math.fround(parseFloat4(text))).toBe(parseFloat4(text));
  });

  it("float4 keeps NaN and -0", () => {
    expect(parseFloat4("NaN")).toBeNaN();
    expect(Object.is(parseFloat4("-0"), -0)).toBe(true);
  });

  it.each(["nan", "inf", "abc", "1,5"])("refuses %j", (text) => {
    refuses(parseFloat8, text);
    refuses(parseFloat4, text);
  });
});

describe("booleans, bytea, uuid, text", () => {
  it("booleans are t and f", () => {
    expect([parseBoolean("t"), parseBoolean("f")]).toEqual([true, false]);
  });
  it.each(["true", "false", "T", "1", ""])("boolean refuses %j", (text) => refuses(parseBoolean, text));

  it.each([
    ["\\x", []],
    ["\\x00", [0]],
    ["\\x00ff7F80", [0, 255, 127, 128]],
  ])("bytea %s", (text, bytes) => {
    expect(parseBytea(text)).toEqual(Buffer.from(bytes));
  });
  it.each(["", "\\x0", "\\xzz", "\\000", "abc", "x00"])("bytea refuses %j (escape output or junk)", (text) =>
    refuses(parseBytea, text),
  );

  it("uuids come out lower-case", () => {
    expect(parseUuid("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")).toBe("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    expect(parseUuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")).toBe("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  });

  it("text passes through unchanged, padding and all", () => {
    for (const value of ["", "  padded  ", "naïve 😀 𠜎", "\\x00", "P1Y2M3DT4H5M6.7S", "NaN"]) {
      expect(parseText(value)).toBe(value);
    }
  });
});
