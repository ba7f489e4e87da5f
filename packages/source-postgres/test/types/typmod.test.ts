import { describe, expect, it } from "vitest";
import {
  bitLength,
  charLength,
  intervalTypmod,
  numericTypmod,
  timePrecision,
} from "../../src/types/index.js";

// Typmods as a PostgreSQL 15 server stores them in pg_attribute.atttypmod.
describe("numericTypmod", () => {
  it.each([
    ["numeric(38,10)", 2490382, 38, 10],
    ["numeric(10,2)", 655366, 10, 2],
    ["numeric(1,0)", 65540, 1, 0],
    ["numeric(1000,0)", 65536004, 1000, 0],
    ["numeric(1000,1000)", 65537004, 1000, 1000],
    ["numeric(2,-3)", 133121, 2, -3],
    ["numeric(3,5)", 196617, 3, 5],
    ["numeric(1,-1000)", 66588, 1, -1000],
  ])("%s (typmod %i)", (_name, typmod, precision, scale) => {
    expect(numericTypmod(typmod)).toEqual({ precision, scale });
  });

  it("is null for an unconstrained numeric", () => {
    expect(numericTypmod(-1)).toBeNull();
  });
});

describe("charLength, timePrecision, bitLength", () => {
  it.each([
    [24, 20],
    [5, 1],
    [10_485_764, 10_485_760],
    [-1, null],
  ])("varchar/bpchar typmod %i → %s", (typmod, length) => {
    expect(charLength(typmod)).toBe(length);
  });

  it.each([
    [0, 0],
    [3, 3],
    [6, 6],
    [-1, null],
  ])("time/timestamp typmod %i → %s", (typmod, precision) => {
    expect(timePrecision(typmod)).toBe(precision);
  });

  it.each([
    [1, 1],
    [8, 8],
    [-1, null],
  ])("bit typmod %i → %s", (typmod, length) => {
    expect(bitLength(typmod)).toBe(length);
  });
});

describe("intervalTypmod", () => {
  const MONTH = 1 << 1;
  const YEAR = 1 << 2;
  const DAY = 1 << 3;
  const HOUR = 1 << 10;
  const MINUTE = 1 << 11;
  const SECOND = 1 << 12;
  const typmod = (fields: number, precision = 0xffff) => (fields << 16) | precision;

  it.each([
    [typmod(YEAR), " year", null],
    [typmod(MONTH), " month", null],
    [typmod(DAY), " day", null],
    [typmod(HOUR), " hour", null],
    [typmod(MINUTE), " minute", null],
    [typmod(SECOND), " second", null],
    [typmod(SECOND, 3), " second", 3],
    [typmod(YEAR | MONTH), " year to month", null],
    [typmod(DAY | HOUR), " day to hour", null],
    [typmod(DAY | HOUR | MINUTE), " day to minute", null],
    [typmod(DAY | HOUR | MINUTE | SECOND, 3), " day to second", 3],
    [typmod(HOUR | MINUTE), " hour to minute", null],
    [typmod(HOUR | MINUTE | SECOND), " hour to second", null],
    [typmod(MINUTE | SECOND, 0), " minute to second", 0],
    [typmod(0x7fff, 2), "", 2],
    // From the server: interval day to second(3), interval(2), interval year.
    [470286339, " day to second", 3],
    [2147418114, "", 2],
    [327679, " year", null],
  ])("typmod %i → interval%s (%s)", (value, fields, precision) => {
    expect(intervalTypmod(value)).toEqual({ fields, precision });
  });

  it("is null for a plain interval", () => {
    expect(intervalTypmod(-1)).toBeNull();
  });
});
