import {
  type ColumnType,
  type ColumnValue,
  isTributaryError,
  lowerBoundsOf,
  withLowerBounds,
} from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  arrayParser,
  parseBoolean,
  parseBytea,
  parseDate,
  parseFloat4,
  parseFloat8,
  parseInt32,
  parseInt64,
  parseText,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  parseUuid,
  type TextParser,
} from "../../source-postgres/src/types/index.js";
import {
  DATE_NEGATIVE_INFINITY,
  DATE_POSITIVE_INFINITY,
  formatDate,
  formatTime,
  formatTimestamp,
  formatTimestamptz,
  TIMESTAMP_NEGATIVE_INFINITY,
  TIMESTAMP_POSITIVE_INFINITY,
} from "../src/datetime-format.js";
import { formatFloat, textArrayLiteral, valueFormatter } from "../src/value-text.js";
import { array, decimal } from "./support/models.js";

const format = (type: ColumnType, value: ColumnValue, delimiter?: string) =>
  valueFormatter(type, { column: "c", ...(delimiter === undefined ? {} : { delimiter }) })(value);

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("dates", () => {
  it.each([
    [0, "1970-01-01"],
    [-1, "1969-12-31"],
    [19_782, "2024-02-29"],
    [-719_162, "0001-01-01"],
    [-719_163, "0001-12-31 BC"], // the day before 1 AD is in 1 BC (astronomical year 0)
    [-735_160, "0044-03-15 BC"],
    [-2_440_588, "4714-11-24 BC"], // PostgreSQL's first date
    [2_145_042_905, "5874897-12-31"], // and its last
    [2_932_896, "9999-12-31"],
    [2_932_897, "10000-01-01"],
    [-25_567, "1900-01-01"],
    [10_956, "1999-12-31"],
    [11_016, "2000-02-29"],
    [DATE_POSITIVE_INFINITY, "infinity"],
    [DATE_NEGATIVE_INFINITY, "-infinity"],
  ])("%i → %s, and the source parses it back", (days, text) => {
    expect(formatDate(days)).toBe(text);
    expect(format({ kind: "date" }, days)).toBe(text);
    expect(parseDate(text)).toBe(days);
  });

  it("round-trips 20000 random days across PostgreSQL's range", () => {
    const next = random(1);
    for (let i = 0; i < 20_000; i++) {
      const days = Math.floor(-2_440_588 + next() * (2_145_042_905 + 2_440_588));
      expect(parseDate(formatDate(days))).toBe(days);
    }
  });

  it("round-trips every day from 1 BC to 2 AD and around 1582 and 1900", () => {
    for (const [from, to] of [
      [-719_600, -718_700],
      [-141_500, -141_400],
      [-25_600, -25_500],
    ] as const) {
      for (let days = from; days <= to; days++) expect(parseDate(formatDate(days))).toBe(days);
    }
  });
});

describe("times", () => {
  it.each([
    [0n, "00:00:00"],
    [1n, "00:00:00.000001"],
    [49_506_123_456n, "13:45:06.123456"],
    [49_506_500_000n, "13:45:06.5"],
    [43_200_000_000n, "12:00:00"],
    [86_399_999_999n, "23:59:59.999999"],
    [86_400_000_000n, "24:00:00"],
  ])("%s → %s, and back", (micros, text) => {
    expect(formatTime(micros)).toBe(text);
    expect(format({ kind: "time-micros" }, micros)).toBe(text);
    expect(parseTime(text)).toBe(micros);
  });

  it("round-trips 20000 random times", () => {
    const next = random(2);
    for (let i = 0; i < 20_000; i++) {
      const micros = BigInt(Math.floor(next() * 86_400_000_001));
      expect(parseTime(formatTime(micros))).toBe(micros);
    }
  });
});

describe("timestamps", () => {
  const at = (iso: string, micros = 0n) => BigInt(Date.parse(iso)) * 1000n + micros;

  it.each([
    [0n, "1970-01-01 00:00:00"],
    [-1n, "1969-12-31 23:59:59.999999"],
    [at("2024-02-29T12:34:56Z", 123_456n), "2024-02-29 12:34:56.123456"],
    [at("2024-02-29T12:34:56Z", 500_000n), "2024-02-29 12:34:56.5"],
    [-63_517_780_800_000_000n, "0044-03-15 12:00:00 BC"],
    [-210_866_803_200_000_000n, "4714-11-24 00:00:00 BC"],
    [TIMESTAMP_POSITIVE_INFINITY - 1n, "294247-01-10 04:00:54.775806"],
    [-62_135_596_800_000_000n, "0001-01-01 00:00:00"],
    [-62_135_596_800_000_001n, "0001-12-31 23:59:59.999999 BC"],
    [TIMESTAMP_POSITIVE_INFINITY, "infinity"],
    [TIMESTAMP_NEGATIVE_INFINITY, "-infinity"],
  ])("timestamp %s → %s, and back", (micros, text) => {
    expect(formatTimestamp(micros)).toBe(text);
    expect(format({ kind: "local-timestamp-micros" }, micros)).toBe(text);
    expect(parseTimestamp(text)).toBe(micros);
  });

  it.each([
    [0n, "1970-01-01 00:00:00+00"],
    [at("2024-02-29T06:30:00Z"), "2024-02-29 06:30:00+00"],
    [-63_517_780_800_000_000n, "0044-03-15 12:00:00+00 BC"],
    [-1n, "1969-12-31 23:59:59.999999+00"],
    [TIMESTAMP_POSITIVE_INFINITY, "infinity"],
    [TIMESTAMP_NEGATIVE_INFINITY, "-infinity"],
  ])("timestamptz %s → %s (the server's UTC text), and back", (micros, text) => {
    expect(formatTimestamptz(micros)).toBe(text);
    expect(format({ kind: "timestamp-micros" }, micros)).toBe(text);
    expect(parseTimestamptz(text)).toBe(micros);
  });

  it("round-trips 20000 random timestamps across PostgreSQL's range, both kinds", () => {
    const next = random(3);
    const low = -210_866_803_200_000_000;
    const high = 9_223_371_331_200_000_000; // 294247 AD
    for (let i = 0; i < 20_000; i++) {
      const micros = BigInt(Math.floor(low + next() * (high - low))) + BigInt(Math.floor(next() * 1_000_000));
      expect(parseTimestamp(formatTimestamp(micros))).toBe(micros);
      expect(parseTimestamptz(formatTimestamptz(micros))).toBe(micros);
    }
  });
});

describe("numbers", () => {
  it.each<[number, string]>([
    [0, "0"],
    [-0, "-0"],
    [1.5, "1.5"],
    [0.1, "0.1"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [Number.NEGATIVE_INFINITY, "-Infinity"],
    [Number.MAX_VALUE, "1.7976931348623157e+308"],
    [Number.MIN_VALUE, "5e-324"],
    [1e21, "1e+21"],
    [123456789012345680000, "123456789012345680000"],
  ])("float8 %s → %s", (value, text) => {
    expect(formatFloat(value)).toBe(text);
    expect(format({ kind: "double" }, value)).toBe(text);
  });

  it("round-trips float8 and float4 values exactly, NaN and -0 included", () => {
    const next = random(4);
    const values = [
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_VALUE,
      5e-324,
    ];
    for (let i = 0; i < 5_000; i++) {
      values.push((next() - 0.5) * 10 ** Math.floor(next() * 600 - 300));
    }
    for (const value of values) {
      expect(Object.is(parseFloat8(format({ kind: "double" }, value) as string), value)).toBe(true);
      const single = Math.fround(value);
      expect(Object.is(parseFloat4(format({ kind: "float" }, single) as string), single)).toBe(true);
    }
  });

  it.each<[ColumnType, ColumnValue, string]>([
    [{ kind: "int" }, -2_147_483_648, "-2147483648"],
    [{ kind: "int" }, 2_147_483_647, "2147483647"],
    [{ kind: "long" }, -9_223_372_036_854_775_808n, "-9223372036854775808"],
    [{ kind: "long" }, 9_007_199_254_740_993n, "9007199254740993"],
    [{ kind: "long" }, 42, "42"],
    [decimal(12, 2), "-99999999.99", "-99999999.99"],
    [decimal(12, 2), "NaN", "NaN"],
    [decimal(12, 2), "0.00", "0.00"],
    [decimal(38, 10), "1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"],
    [{ kind: "string" }, "Infinity", "Infinity"],
    [
      { kind: "string" },
      "-123456789012345678901234567890.000000000000000000001",
      "-123456789012345678901234567890.000000000000000000001",
    ],
  ])("%j %s → %s", (type, value, text) => {
    expect(format(type, value)).toBe(text);
  });

  it("round-trips integers through the source's parsers", () => {
    for (const value of [0, 1, -1, 2_147_483_647, -2_147_483_648, 32_767]) {
      expect(parseInt32(format({ kind: "int" }, value) as string)).toBe(value);
    }
    for (const value of [0n, -9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n, 4_294_967_295n]) {
      expect(parseInt64(format({ kind: "long" }, value) as string)).toBe(value);
    }
  });
});

describe("other scalars", () => {
  it.each<[ColumnType, ColumnValue, string, TextParser]>([
    [{ kind: "boolean" }, true, "t", parseBoolean],
    [{ kind: "boolean" }, false, "f", parseBoolean],
    [{ kind: "bytes" }, Buffer.from("00ff", "hex"), "\\x00ff", parseBytea],
    [{ kind: "bytes" }, Buffer.alloc(0), "\\x", parseBytea],
    [{ kind: "bytes" }, Buffer.from("deadbeef", "hex"), "\\xdeadbeef", parseBytea],
    [
      { kind: "uuid" },
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      parseUuid,
    ],
    [{ kind: "string" }, "naïve 😀 𠜎", "naïve 😀 𠜎", parseText],
    [{ kind: "string" }, "", "", parseText],
    [{ kind: "string" }, 'tab\tnew\nline "q" \\', 'tab\tnew\nline "q" \\', parseText],
    [{ kind: "string" }, "NULL", "NULL", parseText],
    [{ kind: "string" }, "P1Y2M3DT4H5M6.7S", "P1Y2M3DT4H5M6.7S", parseText],
  ])("%j %j → %j, and back", (type, value, text, parse) => {
    expect(format(type, value)).toBe(text);
    expect(parse(text)).toEqual(value);
  });

  it("passes null through as SQL NULL for every type", () => {
    for (const kind of ["boolean", "int", "long", "double", "string", "bytes", "date", "uuid"] as const) {
      expect(format({ kind } as ColumnType, null)).toBeNull();
    }
    expect(format(array({ kind: "int" }), null)).toBeNull();
  });
});

describe("arrays", () => {
  const INT: ColumnType = { kind: "int" };
  it.each<[ColumnType, ColumnValue[], string]>([
    [array(INT), [], "{}"],
    [array(INT), [1, null, 3], '{"1",NULL,"3"}'],
    [
      array(array(INT), false),
      [
        [1, 2],
        [3, null],
      ],
      '{{"1","2"},{"3",NULL}}',
    ],
    [
      array({ kind: "string" }),
      ["a b", "", "NULL", null, 'x"y\\z', "{}", "é,ü"],
      '{"a b","","NULL",NULL,"x\\"y\\\\z","{}","é,ü"}',
    ],
    [array({ kind: "bytes" }), [Buffer.from("00ff", "hex"), null], '{"\\\\x00ff",NULL}'],
    [
      array({ kind: "date" }),
      [0, DATE_POSITIVE_INFINITY, -735_160],
      '{"1970-01-01","infinity","0044-03-15 BC"}',
    ],
    [array(decimal(10, 2)), ["1.50", "NaN"], '{"1.50","NaN"}'],
  ])("%j %j → %s", (type, value, literal) => {
    expect(format(type, value)).toBe(literal);
  });

  it("separates elements with the column's delimiter (box[] uses ';')", () => {
    expect(format(array({ kind: "string" }), ["(1,1),(0,0)", "(3,3),(2,2)"], ";")).toBe(
      '{"(1,1),(0,0)";"(3,3),(2,2)"}',
    );
  });

  const cases: [string, ColumnType, TextParser, ColumnValue[]][] = [
    ["int4[]", array(INT), parseInt32, [1, null, -2_147_483_648]],
    [
      "int8[][]",
      array(array({ kind: "long" }), false),
      parseInt64,
      [
        [1n, 2n],
        [3n, null],
      ],
    ],
    [
      "text[]",
      array({ kind: "string" }),
      parseText,
      ["a b", "", "NULL", null, 'x"y\\z', "{}", "é,ü", " lead", "trail ", "line\nbreak"],
    ],
    ["bytea[]", array({ kind: "bytes" }), parseBytea, [Buffer.from("5c22", "hex"), Buffer.alloc(0), null]],
    ["date[]", array({ kind: "date" }), parseDate, [19_782, -735_160, DATE_POSITIVE_INFINITY, null]],
    ["time[]", array({ kind: "time-micros" }), parseTime, [86_400_000_000n, 1n]],
    [
      "timestamptz[]",
      array({ kind: "timestamp-micros" }),
      parseTimestamptz,
      [TIMESTAMP_NEGATIVE_INFINITY, -63_517_780_800_000_000n, null],
    ],
    [
      "timestamp[]",
      array({ kind: "local-timestamp-micros" }),
      parseTimestamp,
      [0n, TIMESTAMP_POSITIVE_INFINITY],
    ],
    ["float8[]", array({ kind: "double" }), parseFloat8, [Number.NaN, -0, Number.POSITIVE_INFINITY, 0.1]],
    ["bool[]", array({ kind: "boolean" }), parseBoolean, [true, false, null]],
    ["uuid[]", array({ kind: "uuid" }), parseUuid, ["00000000-0000-0000-0000-000000000000", null]],
    ["numeric[]", array(decimal(10, 2)), parseText, ["1.50", "NaN", null]],
  ];

  it.each(cases)("%s round-trips through the source's array parser", (_, type, element, value) => {
    const dimensions = type.kind === "array" && type.items.kind === "array" ? 2 : 1;
    const parse = arrayParser(element, ",", dimensions);
    const parsed = parse(format(type, value) as string) as ColumnValue[];
    expect(parsed.length).toBe(value.length);
    (parsed as ColumnValue[]).forEach((item, i) => {
      const expected = value[i] as ColumnValue;
      if (typeof expected === "number") expect(Object.is(item, expected)).toBe(true);
      else expect(item).toEqual(expected);
    });
  });

  it.each<[string, ColumnType, ColumnValue[], number[], string]>([
    ["1-D from 0", array(INT), [7, 8, 9], [0], '[0:2]={"7","8","9"}'],
    ["1-D from -5", array(INT), [1], [-5], '[-5:-5]={"1"}'],
    [
      "2-D",
      array(array(INT), false),
      [
        [1, 2],
        [3, 4],
      ],
      [0, 1],
      '[0:1][1:2]={{"1","2"},{"3","4"}}',
    ],
    ["all 1 (unmarked)", array(INT), [1, 2], [1], '{"1","2"}'],
    ["empty (no bounds to show)", array(INT), [], [0], "{}"],
  ])("leads an array marked with lower bounds (%s) by its bounds", (_, type, value, bounds, literal) => {
    const text = format(type, withLowerBounds(value, bounds)) as string;
    expect(text).toBe(literal);
    const dimensions = bounds.length;
    const parsed = arrayParser(parseInt32, ",", dimensions)(text) as ColumnValue[];
    expect(parsed).toEqual(value);
    expect(lowerBoundsOf(parsed)).toEqual(
      value.length === 0 || bounds.every((b) => b === 1) ? undefined : bounds,
    );
  });

  it("round-trips box[] through the source's parser with ';'", () => {
    const value = ["(1,1),(0,0)", null, "(3,3),(2,2)"];
    expect(arrayParser(parseText, ";", 1)(format(array({ kind: "string" }), value, ";") as string)).toEqual(
      value,
    );
  });

  it("round-trips 2000 random string arrays", () => {
    const next = random(5);
    const alphabet = ['"', "\\", ",", ";", "{", "}", " ", "\t", "\n", "N", "U", "L", "a", "é", "😀"];
    for (let i = 0; i < 2000; i++) {
      const value = Array.from({ length: Math.floor(next() * 5) }, () =>
        next() < 0.1
          ? null
          : Array.from(
              { length: Math.floor(next() * 6) },
              () => alphabet[Math.floor(next() * alphabet.length)],
            ).join(""),
      );
      expect(arrayParser(parseText, ",", 1)(format(array({ kind: "string" }), value) as string)).toEqual(
        value,
      );
    }
  });

  it("writes a text[] literal of formatted texts", () => {
    expect(textArrayLiteral(["{1,2}", null, 'a"b\\c', ""])).toBe('{"{1,2}",NULL,"a\\"b\\\\c",""}');
    expect(arrayParser(parseText, ",", 1)(textArrayLiteral(["{1,2}", null, 'a"b\\c', ""]))).toEqual([
      "{1,2}",
      null,
      'a"b\\c',
      "",
    ]);
  });
});

describe("refusals", () => {
  function refuses(type: ColumnType, value: ColumnValue | undefined, message: RegExp): void {
    try {
      valueFormatter(type, { column: "secret_col" })(value);
    } catch (error) {
      expect(isTributaryError(error, "TRB_SINK_VALUE_UNSUPPORTED")).toBe(true);
      expect(String(error)).toMatch(message);
      expect(String(error)).toContain("secret_col");
      expect(String(error)).not.toContain("s3cr3t");
      return;
    }
    expect.unreachable("accepted");
  }

  it("refuses a NUL character in text, naming the column but not the value", () => {
    refuses({ kind: "string" }, "s3cr3t\u0000", /NUL character/);
    refuses(array({ kind: "string" }), ["ok", "s3cr3t\u0000"], /NUL character/);
  });

  it.each<[ColumnType, ColumnValue]>([
    [{ kind: "int" }, "s3cr3t"],
    [{ kind: "int" }, 1.5],
    [{ kind: "long" }, 1.5],
    [{ kind: "boolean" }, 1],
    [{ kind: "bytes" }, "s3cr3t"],
    [{ kind: "date" }, 1n],
    [{ kind: "timestamp-micros" }, 1],
    [{ kind: "time-micros" }, 1],
    [{ kind: "local-timestamp-micros" }, "s3cr3t"],
    [decimal(10, 2), 1.5],
    [{ kind: "string" }, 1],
    [array({ kind: "int" }), "s3cr3t"],
  ])("refuses %j %s (not its in-memory form)", (type, value) => {
    refuses(type, value, /is not .* the in-memory form/);
  });

  it("refuses a missing value (an older writer schema)", () => {
    refuses({ kind: "int" }, undefined, /has no value for column/);
  });

  it("refuses a null sub-array", () => {
    refuses(array(array({ kind: "int" }), false), [[1], null], /null sub-array/);
  });
});
