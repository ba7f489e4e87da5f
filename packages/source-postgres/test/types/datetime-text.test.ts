import { isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  DATE_NEGATIVE_INFINITY,
  DATE_POSITIVE_INFINITY,
  daysFromCivil,
  parseDate,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  TIMESTAMP_NEGATIVE_INFINITY,
  TIMESTAMP_POSITIVE_INFINITY,
} from "../../src/types/index.js";

/** Days since 1970-01-01 by JavaScript's own proleptic Gregorian calendar (astronomical years). */
function oracleDays(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime() / 86_400_000;
}

function expectCode(code: string, action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(isTributaryError(error) && error.code).toBe(code);
    return;
  }
  expect.unreachable(`expected ${code}`);
}

describe("daysFromCivil", () => {
  it("agrees with JavaScript's calendar on every first and last day of a month over 2,000 years", () => {
    for (let year = -800; year <= 2400; year += 7) {
      for (let month = 1; month <= 12; month++) {
        expect(daysFromCivil(year, month, 1)).toBe(oracleDays(year, month, 1));
        const last = new Date(Date.UTC(2001, month, 0)).getUTCDate(); // non-leap month length
        expect(daysFromCivil(year, month, last)).toBe(oracleDays(year, month, last));
      }
    }
  });

  it.each([
    [1970, 1, 1, 0],
    [2000, 1, 1, 10_957],
    [1969, 12, 31, -1],
    [-4713, 11, 24, -2_440_588], // Julian day 0, PostgreSQL's first date
  ])("%i-%i-%i is day %i", (year, month, day, days) => {
    expect(daysFromCivil(year, month, day)).toBe(days);
  });
});

describe("parseDate", () => {
  it.each([
    ["1970-01-01", 0],
    ["2024-02-29", oracleDays(2024, 2, 29)],
    ["2000-02-29", oracleDays(2000, 2, 29)],
    ["1900-03-01", oracleDays(1900, 3, 1)],
    ["0001-01-01", oracleDays(1, 1, 1)],
    ["0001-12-31 BC", oracleDays(0, 12, 31)],
    ["0001-02-29 BC", oracleDays(0, 2, 29)], // 1 BC is a leap year
    ["0044-03-15 BC", -735_160], // from PostgreSQL: '0044-03-15 BC'::date - '1970-01-01'
    ["4714-11-24 BC", -2_440_588],
    ["5874897-12-31", 2_145_042_905], // PostgreSQL's last date
    ["10000-01-01", oracleDays(10000, 1, 1)],
    ["infinity", DATE_POSITIVE_INFINITY],
    ["-infinity", DATE_NEGATIVE_INFINITY],
  ])("%s → %i", (text, days) => {
    expect(parseDate(text)).toBe(days);
  });

  it("uses the INT32 extremes for ±infinity, beyond every finite date", () => {
    expect([DATE_POSITIVE_INFINITY, DATE_NEGATIVE_INFINITY]).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(parseDate("5874897-12-31")).toBeLessThan(DATE_POSITIVE_INFINITY);
  });

  it.each([
    "",
    "2024-2-29",
    "24-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-01-32",
    "2024-01-01 AD",
    "2024-01-01 BCE",
    "2024-01-01 ",
    "02/29/2024",
    "Infinity",
  ])("refuses %j with TRB_PG_VALUE_INVALID", (text) => {
    expectCode("TRB_PG_VALUE_INVALID", () => parseDate(text));
  });
});

describe("parseTime", () => {
  it.each([
    ["00:00:00", 0n],
    ["13:45:06", 49_506_000_000n],
    ["13:45:06.5", 49_506_500_000n],
    ["13:45:06.000001", 49_506_000_001n],
    ["23:59:59.999999", 86_399_999_999n],
    ["24:00:00", 86_400_000_000n],
  ])("%s → %i µs", (text, micros) => {
    expect(parseTime(text)).toBe(micros);
  });

  it.each([
    "24:00:00.000001",
    "25:00:00",
    "12:60:00",
    "12:00:60",
    "12:00",
    "12:00:00.",
    "12:00:00.1234567",
    "12:00:00+00",
    "1:00:00",
  ])("refuses %j", (text) => {
    expectCode("TRB_PG_VALUE_INVALID", () => parseTime(text));
  });
});

const ms = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

describe("parseTimestamp (without time zone)", () => {
  it.each([
    ["1970-01-01 00:00:00", 0n],
    ["2024-02-29 12:34:56", ms("2024-02-29T12:34:56Z")],
    ["2024-02-29 12:34:56.123456", ms("2024-02-29T12:34:56Z") + 123_456n],
    ["1969-12-31 23:59:59.999999", -1n],
    ["1900-02-28 00:00:00.5", ms("1900-02-28T00:00:00Z") + 500_000n],
    ["0044-03-15 12:00:00 BC", -63_517_780_800_000_000n], // from PostgreSQL's extract(epoch …)
    ["4714-11-24 00:00:00 BC", -210_866_803_200_000_000n],
    ["294247-01-10 04:00:54.775806", 9_223_372_036_854_775_806n],
    ["infinity", TIMESTAMP_POSITIVE_INFINITY],
    ["-infinity", TIMESTAMP_NEGATIVE_INFINITY],
  ])("%s → %i", (text, micros) => {
    expect(parseTimestamp(text)).toBe(micros);
  });

  it("agrees with JavaScript's calendar at millisecond precision from 2150 BC to AD 4030", () => {
    for (let ms = -130_000_000_000_000; ms < 65_000_000_000_000; ms += 987_654_321_123) {
      const date = new Date(ms);
      const year = date.getUTCFullYear();
      const pad = (value: number, width = 2) => String(value).padStart(width, "0");
      const text =
        `${pad(year > 0 ? year : 1 - year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
        `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}` +
        `.${pad(date.getUTCMilliseconds(), 3)}${year > 0 ? "" : " BC"}`;
      expect(parseTimestamp(text)).toBe(BigInt(ms) * 1000n);
    }
  });

  it.each(["294247-01-10 04:00:54.775807", "294276-12-31 23:59:59.999999"])(
    "refuses %s, beyond int64 microseconds, with TRB_PG_VALUE_OUT_OF_RANGE",
    (text) => {
      expectCode("TRB_PG_VALUE_OUT_OF_RANGE", () => parseTimestamp(text));
      expect(() => parseTimestamp(text)).toThrow(/294247-01-10 04:00:54\.775806.*never clips/);
    },
  );

  it.each([
    "2024-02-29",
    "2024-02-29T12:00:00",
    "2024-02-29 12:00:00+00",
    "2024-02-29 12:00:00.1234567",
    "2024-02-29 12:00",
    "2024-02-29 12:00:00 bc",
  ])("refuses %j", (text) => {
    expectCode("TRB_PG_VALUE_INVALID", () => parseTimestamp(text));
  });
});

describe("parseTimestamptz", () => {
  it.each([
    ["1970-01-01 00:00:00+00", 0n],
    ["2024-02-29 12:34:56.000001+00", ms("2024-02-29T12:34:56Z") + 1n],
    ["2024-02-29 12:00:00+05:30", ms("2024-02-29T06:30:00Z")],
    ["2024-02-29 12:00:00-03", ms("2024-02-29T15:00:00Z")],
    ["2024-03-01 01:00:00+02", ms("2024-02-29T23:00:00Z")],
    ["1900-01-01 00:00:00+00:09:21", ms("1899-12-31T23:50:39Z")],
    ["0044-03-15 12:00:00+00 BC", -63_517_780_800_000_000n],
    ["0044-03-15 12:00:00.5+00 BC", -63_517_780_799_500_000n],
    ["294247-01-10 04:00:54.775806+00", 9_223_372_036_854_775_806n],
    ["294247-01-10 05:00:54.775806+01", 9_223_372_036_854_775_806n],
    ["infinity", TIMESTAMP_POSITIVE_INFINITY],
    ["-infinity", TIMESTAMP_NEGATIVE_INFINITY],
  ])("%s → %i", (text, micros) => {
    expect(parseTimestamptz(text)).toBe(micros);
  });

  it("refuses the largest PostgreSQL timestamps with TRB_PG_VALUE_OUT_OF_RANGE", () => {
    expectCode("TRB_PG_VALUE_OUT_OF_RANGE", () => parseTimestamptz("294276-12-31 23:59:59.999999+00"));
    expectCode("TRB_PG_VALUE_OUT_OF_RANGE", () => parseTimestamptz("294247-01-10 04:00:54.775807+00"));
    expectCode("TRB_PG_VALUE_OUT_OF_RANGE", () => parseTimestamptz("294247-01-10 05:00:54.775807+01"));
  });

  it.each([
    "2024-02-29 12:00:00",
    "2024-02-29 12:00:00 UTC",
    "2024-02-29 12:00:00Z",
    "2024-02-29 12:00:00+5",
    "2024-02-29 12:00:00+05:3",
    "2024-02-29 12:00:00+00 AD",
  ])("refuses %j", (text) => {
    expectCode("TRB_PG_VALUE_INVALID", () => parseTimestamptz(text));
  });
});
