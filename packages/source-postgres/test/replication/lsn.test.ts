import { isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  compareLsn,
  formatLsn,
  INVALID_LSN,
  type Lsn,
  maxLsn,
  minLsn,
  parseLsn,
  toLsn,
} from "../../src/replication/index.js";

describe("parseLsn / formatLsn", () => {
  it.each([
    ["0/0", 0n, "0/0"],
    ["16/B374D848", (0x16n << 32n) | 0xb374d848n, "16/B374D848"],
    ["16/b374d848", (0x16n << 32n) | 0xb374d848n, "16/B374D848"],
    ["00000016/0000000A", (0x16n << 32n) | 0xan, "16/A"],
    ["0/1", 1n, "0/1"],
    ["1/0", 1n << 32n, "1/0"],
    ["FFFFFFFF/FFFFFFFF", (1n << 64n) - 1n, "FFFFFFFF/FFFFFFFF"],
  ])("%s is %s and formats as %s", (text, value, formatted) => {
    const lsn = parseLsn(text);
    expect(lsn).toBe(value);
    expect(formatLsn(lsn)).toBe(formatted);
    expect(parseLsn(formatLsn(lsn))).toBe(lsn);
  });

  it.each([
    "",
    "16",
    "16/",
    "/1",
    "G/1",
    "1/G",
    "123456789/0",
    "0/123456789",
    " 1/2",
    "1/2 ",
    "1//2",
    "-1/2",
    "0x1/2",
  ])("refuses %j with TRB_PG_LSN_INVALID", (text) => {
    expect(() => parseLsn(text)).toThrow(expect.objectContaining({ code: "TRB_PG_LSN_INVALID" }));
    try {
      parseLsn(text);
    } catch (error) {
      expect(isTributaryError(error, "TRB_PG_LSN_INVALID")).toBe(true);
      expect(String(error)).toContain("16/B374D848");
    }
  });
});

describe("toLsn", () => {
  it("accepts 0 … 2^64-1 and refuses anything else", () => {
    expect(toLsn(0n)).toBe(INVALID_LSN);
    expect(toLsn((1n << 64n) - 1n)).toBe((1n << 64n) - 1n);
    expect(() => toLsn(-1n)).toThrow(expect.objectContaining({ code: "TRB_PG_LSN_INVALID" }));
    expect(() => toLsn(1n << 64n)).toThrow(expect.objectContaining({ code: "TRB_PG_LSN_INVALID" }));
  });
});

describe("ordering", () => {
  const a = parseLsn("0/FFFFFFFF");
  const b = parseLsn("1/0");
  const c = parseLsn("1/A");

  it("orders by the 64-bit value, not by the text", () => {
    expect("0/FFFFFFFF" > "1/0").toBe(false);
    expect("9/0" > "10/0").toBe(true); // the string trap
    expect(compareLsn(parseLsn("9/0"), parseLsn("10/0"))).toBe(-1);
    expect(compareLsn(a, b)).toBe(-1);
    expect(compareLsn(b, a)).toBe(1);
    expect(compareLsn(c, parseLsn("1/a"))).toBe(0);
    expect(a < b && b < c).toBe(true);
  });

  it("sorts and picks extremes", () => {
    const sorted: Lsn[] = [c, a, b].sort(compareLsn);
    expect(sorted.map(formatLsn)).toEqual(["0/FFFFFFFF", "1/0", "1/A"]);
    expect(maxLsn(a, c)).toBe(c);
    expect(minLsn(a, c)).toBe(a);
    expect(c - b).toBe(10n); // byte distance
  });
});
