/**
 * A column of every type the PostgreSQL source maps, with four rows of edge values (SQL text)
 * and the value each must decode to; shared by the type-zoo tests of the type mapping and of the
 * connector.
 */
import type { ColumnType } from "@tributary/core";

/** The user-defined types the columns use; create them before `ZOO_TABLE_COLUMNS_SQL`. */
export const ZOO_TYPES_SQL = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE DOMAIN price AS numeric(12,2) CHECK (VALUE = 'NaN' OR VALUE >= 0);
  CREATE DOMAIN cheap AS price CHECK (VALUE = 'NaN' OR VALUE < 100);
  CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
  CREATE TYPE pair AS (a int4, b text);
  CREATE TYPE floatrange AS RANGE (subtype = float8);
`;

const INT: ColumnType = { kind: "int" };
const LONG: ColumnType = { kind: "long" };
const STRING: ColumnType = { kind: "string" };
const DATE: ColumnType = { kind: "date" };
const TIMESTAMP: ColumnType = { kind: "timestamp-micros" };
const LOCAL_TIMESTAMP: ColumnType = { kind: "local-timestamp-micros" };
const TIME: ColumnType = { kind: "time-micros" };
const decimal = (precision: number, scale: number): ColumnType => ({
  kind: "decimal",
  precision,
  scale,
  specialValues: true,
});
const array = (items: ColumnType, itemsNullable = true): ColumnType => ({
  kind: "array",
  items,
  itemsNullable,
});

export const INT64_MAX = 9_223_372_036_854_775_807n;
export const INT64_MIN = -9_223_372_036_854_775_808n;
export const INT32_MAX = 2_147_483_647;
export const INT32_MIN = -2_147_483_648;
/** Microseconds since 1970 of an ISO instant. */
const at = (iso: string, micros = 0n) => BigInt(Date.parse(iso)) * 1000n + micros;
/** Days since 1970 of an ISO date. */
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const bytes = (hex: string) => Buffer.from(hex, "hex");

export interface ZooColumn {
  readonly name: string;
  /** The column type in CREATE TABLE. */
  readonly sql: string;
  readonly type: ColumnType;
  readonly sourceType: string;
  readonly properties?: Record<string, unknown>;
  /** SQL expressions of the column in rows 1 to 4 (row 5 is all NULL). */
  readonly values: readonly [string, string, string, string];
  /** The decoded values of rows 1 to 4. */
  readonly expected: readonly [unknown, unknown, unknown, unknown];
}

const MOOD = { labels: ["sad", "ok", "happy"] };

export const ZOO: readonly ZooColumn[] = [
  {
    name: "c_int2",
    sql: "int2",
    type: INT,
    sourceType: "smallint",
    values: ["-32768", "32767", "0", "-1"],
    expected: [-32768, 32767, 0, -1],
  },
  {
    name: "c_int4",
    sql: "int4",
    type: INT,
    sourceType: "integer",
    values: ["-2147483648", "2147483647", "0", "42"],
    expected: [INT32_MIN, INT32_MAX, 0, 42],
  },
  {
    name: "c_int8",
    sql: "int8",
    type: LONG,
    sourceType: "bigint",
    values: ["-9223372036854775808", "9223372036854775807", "9007199254740993", "0"],
    expected: [INT64_MIN, INT64_MAX, 9_007_199_254_740_993n, 0n],
  },
  {
    name: "c_oid",
    sql: "oid",
    type: LONG,
    sourceType: "oid",
    values: ["0", "4294967295", "16384", "1"],
    expected: [0n, 4_294_967_295n, 16_384n, 1n],
  },
  {
    name: "c_float4",
    sql: "float4",
    type: { kind: "float" },
    sourceType: "real",
    values: ["1.1", "'NaN'", "'-0'", "'3.4028235e38'"],
    expected: [Math.fround(1.1), Number.NaN, -0, 3.4028234663852886e38],
  },
  {
    name: "c_float8",
    sql: "float8",
    type: { kind: "double" },
    sourceType: "double precision",
    values: ["0.1", "'NaN'", "'-0'", "'Infinity'"],
    expected: [0.1, Number.NaN, -0, Number.POSITIVE_INFINITY],
  },
  {
    name: "c_float8_edges",
    sql: "double precision",
    type: { kind: "double" },
    sourceType: "double precision",
    values: ["'-Infinity'", "'5e-324'", "'1.7976931348623157e308'", "-1.5"],
    expected: [Number.NEGATIVE_INFINITY, 5e-324, Number.MAX_VALUE, -1.5],
  },
  {
    name: "c_numeric",
    sql: "numeric(10,2)",
    type: decimal(10, 2),
    sourceType: "numeric(10,2)",
    values: ["12.5", "'NaN'", "-99999999.99", "0"],
    expected: ["12.50", "NaN", "-99999999.99", "0.00"],
  },
  {
    name: "c_numeric_wide",
    sql: "numeric(38,10)",
    type: decimal(38, 10),
    sourceType: "numeric(38,10)",
    values: ["1234567890123456789012345678.0123456789", "-0.0000000001", "0", "1"],
    expected: ["1234567890123456789012345678.0123456789", "-0.0000000001", "0.0000000000", "1.0000000000"],
  },
  {
    name: "c_numeric_negative_scale",
    sql: "numeric(2,-3)",
    type: decimal(5, 0),
    sourceType: "numeric(2,-3)",
    values: ["12345", "-99000", "'NaN'", "0"],
    expected: ["12000", "-99000", "NaN", "0"],
  },
  {
    name: "c_numeric_large_scale",
    sql: "numeric(3,5)",
    type: decimal(5, 5),
    sourceType: "numeric(3,5)",
    values: ["0.00123", "-0.00999", "0", "'NaN'"],
    expected: ["0.00123", "-0.00999", "0.00000", "NaN"],
  },
  {
    name: "c_numeric_free",
    sql: "numeric",
    type: STRING,
    sourceType: "numeric",
    values: ["'Infinity'", "'-Infinity'", "'NaN'", "-123456789012345678901234567890.000000000000000000001"],
    expected: ["Infinity", "-Infinity", "NaN", "-123456789012345678901234567890.000000000000000000001"],
  },
  {
    name: "c_bool",
    sql: "bool",
    type: { kind: "boolean" },
    sourceType: "boolean",
    values: ["true", "false", "'t'", "'no'"],
    expected: [true, false, true, false],
  },
  {
    name: "c_text",
    sql: "text",
    type: STRING,
    sourceType: "text",
    values: ["'naïve 😀 𠜎'", "''", "E'tab\\tnew\\nline \"q\" \\\\'", "'NULL'"],
    expected: ["naïve 😀 𠜎", "", 'tab\tnew\nline "q" \\', "NULL"],
  },
  {
    name: "c_varchar",
    sql: "varchar(20)",
    type: STRING,
    sourceType: "character varying(20)",
    values: ["'abc'", "'  padded  '", "''", "repeat('é', 20)"],
    expected: ["abc", "  padded  ", "", "é".repeat(20)],
  },
  {
    name: "c_bpchar",
    sql: "char(5)",
    type: STRING,
    sourceType: "character(5)",
    values: ["'ab'", "''", "'abcde'", "'é'"],
    expected: ["ab   ", "     ", "abcde", "é    "],
  },
  {
    name: "c_name",
    sql: "name",
    type: STRING,
    sourceType: "name",
    values: ["'pg_class'", "'Mixed Case'", "''", "repeat('n', 63)"],
    expected: ["pg_class", "Mixed Case", "", "n".repeat(63)],
  },
  {
    name: "c_char",
    sql: '"char"',
    type: STRING,
    sourceType: '"char"',
    values: ["'a'", "'Z'", "' '", "'\\'"],
    expected: ["a", "Z", " ", "\\"],
  },
  {
    name: "c_bytea",
    sql: "bytea",
    type: { kind: "bytes" },
    sourceType: "bytea",
    values: ["'\\x00ff'", "''", "'\\xDEADBEEF'", "decode(repeat('ab', 5000), 'hex')"],
    expected: [bytes("00ff"), bytes(""), bytes("deadbeef"), bytes("ab".repeat(5000))],
  },
  {
    name: "c_date",
    sql: "date",
    type: DATE,
    sourceType: "date",
    values: ["'2024-02-29'", "'0044-03-15 BC'", "'infinity'", "'-infinity'"],
    expected: [day("2024-02-29"), -735_160, INT32_MAX, INT32_MIN],
  },
  {
    name: "c_date_extremes",
    sql: "date",
    type: DATE,
    sourceType: "date",
    values: ["'4714-11-24 BC'", "'5874897-12-31'", "'1970-01-01'", "'1900-03-01'"],
    expected: [-2_440_588, 2_145_042_905, 0, day("1900-03-01")],
  },
  {
    name: "c_time",
    sql: "time",
    type: TIME,
    sourceType: "time without time zone",
    values: ["'13:45:06.123456'", "'24:00:00'", "'00:00:00'", "'23:59:59.999999'"],
    expected: [49_506_123_456n, 86_400_000_000n, 0n, 86_399_999_999n],
  },
  {
    name: "c_time3",
    sql: "time(3)",
    type: TIME,
    sourceType: "time(3) without time zone",
    values: ["'13:45:06.123456'", "'23:59:59.9999'", "'00:00:00.0005'", "'12:00:00'"],
    expected: [49_506_123_000n, 86_400_000_000n, 1_000n, 43_200_000_000n],
  },
  {
    name: "c_timetz",
    sql: "timetz",
    type: STRING,
    sourceType: "time with time zone",
    values: ["'12:34:56.789+05:30'", "'00:00:00-01'", "'24:00:00+00'", "'23:59:59.999999-15:59'"],
    expected: ["12:34:56.789+05:30", "00:00:00-01", "24:00:00+00", "23:59:59.999999-15:59"],
  },
  {
    name: "c_timestamp",
    sql: "timestamp",
    type: LOCAL_TIMESTAMP,
    sourceType: "timestamp without time zone",
    values: ["'2024-02-29 12:34:56.123456'", "'0044-03-15 12:00:00 BC'", "'infinity'", "'-infinity'"],
    expected: [at("2024-02-29T12:34:56Z", 123_456n), -63_517_780_800_000_000n, INT64_MAX, INT64_MIN],
  },
  {
    name: "c_timestamp_extremes",
    sql: "timestamp",
    type: LOCAL_TIMESTAMP,
    sourceType: "timestamp without time zone",
    values: [
      "'294247-01-10 04:00:54.775806'",
      "'4714-11-24 00:00:00 BC'",
      "'1969-12-31 23:59:59.999999'",
      "'2000-02-29 00:00:00'",
    ],
    expected: [INT64_MAX - 1n, -210_866_803_200_000_000n, -1n, at("2000-02-29T00:00:00Z")],
  },
  {
    name: "c_timestamp0",
    sql: "timestamp(0)",
    type: LOCAL_TIMESTAMP,
    sourceType: "timestamp(0) without time zone",
    values: ["'2024-02-29 12:34:56.5'", "'1999-12-31 23:59:59.7'", "'1970-01-01'", "'infinity'"],
    expected: [at("2024-02-29T12:34:57Z"), at("2000-01-01T00:00:00Z"), 0n, INT64_MAX],
  },
  {
    name: "c_timestamptz",
    sql: "timestamptz",
    type: TIMESTAMP,
    sourceType: "timestamp with time zone",
    values: ["'2024-02-29 12:00:00+05:30'", "'0044-03-15 12:00:00+00 BC'", "'infinity'", "'-infinity'"],
    expected: [at("2024-02-29T06:30:00Z"), -63_517_780_800_000_000n, INT64_MAX, INT64_MIN],
  },
  {
    name: "c_timestamptz3",
    sql: "timestamptz(3)",
    type: TIMESTAMP,
    sourceType: "timestamp(3) with time zone",
    values: [
      "'2024-02-29 23:59:59.9999+00'",
      "'2024-03-01 00:30:00.123456-01'",
      "'294247-01-10 04:00:54.775+00'",
      "'1900-01-01 00:00:00+00'",
    ],
    expected: [
      at("2024-03-01T00:00:00Z"),
      at("2024-03-01T01:30:00.123Z"),
      INT64_MAX - 807n,
      at("1900-01-01T00:00:00Z"),
    ],
  },
  {
    name: "c_interval",
    sql: "interval",
    type: STRING,
    sourceType: "interval",
    values: ["'1 year 2 months 3 days 04:05:06.7'", "'-1 days -00:00:01'", "'0'", "'178000000 years'"],
    expected: ["P1Y2M3DT4H5M6.7S", "P-1DT-1S", "PT0S", "P178000000Y"],
  },
  {
    name: "c_interval_ds",
    sql: "interval day to second(3)",
    type: STRING,
    sourceType: "interval day to second(3)",
    values: ["'1 day 02:03:04.56789'", "'-0.001 seconds'", "'100 hours'", "'1 month'"],
    expected: ["P1DT2H3M4.568S", "PT-0.001S", "PT100H", "P1M"],
  },
  {
    name: "c_uuid",
    sql: "uuid",
    type: { kind: "uuid" },
    sourceType: "uuid",
    values: [
      "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
      "'00000000-0000-0000-0000-000000000000'",
      "'{ffffffff-ffff-ffff-ffff-ffffffffffff}'",
      "'a0eebc999c0b4ef8bb6d6bb9bd380a11'",
    ],
    expected: [
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    ],
  },
  {
    name: "c_json",
    sql: "json",
    type: STRING,
    sourceType: "json",
    values: [`'{"b": 1,  "a": [1, 2]}'`, "'null'", `'"x\\u00e9"'`, "'[]'"],
    expected: ['{"b": 1,  "a": [1, 2]}', "null", '"x\\u00e9"', "[]"],
  },
  {
    name: "c_jsonb",
    sql: "jsonb",
    type: STRING,
    sourceType: "jsonb",
    values: [`'{"b": 1,  "a": [1, 2]}'`, "'null'", `'"x\\u00e9"'`, "'1.50'"],
    expected: ['{"a": [1, 2], "b": 1}', "null", '"xé"', "1.50"],
  },
  {
    name: "c_xml",
    sql: "xml",
    type: STRING,
    sourceType: "xml",
    values: [`'<a x="1">t</a>'`, "'text only'", "'<e/>'", `'<?xml version="1.0"?><r/>'`],
    expected: ['<a x="1">t</a>', "text only", "<e/>", "<r/>"],
  },
  {
    name: "c_int_array",
    sql: "int4[]",
    type: array(INT),
    sourceType: "integer[]",
    values: ["'{1,NULL,3}'", "'{}'", "'[0:2]={7,8,9}'", "ARRAY[-2147483648]"],
    expected: [[1, null, 3], [], [7, 8, 9], [INT32_MIN]],
  },
  {
    name: "c_int_array2",
    sql: "int4[][]",
    type: array(array(INT), false),
    sourceType: "integer[]",
    values: ["'{{1,2},{3,NULL}}'", "'{}'", "'[0:1][1:2]={{1,2},{3,4}}'", "'{{5}}'"],
    expected: [
      [
        [1, 2],
        [3, null],
      ],
      [],
      [
        [1, 2],
        [3, 4],
      ],
      [[5]],
    ],
  },
  {
    name: "c_text_array",
    sql: "text[]",
    type: array(STRING),
    sourceType: "text[]",
    values: [
      `ARRAY['a b', '', 'NULL', NULL, 'x"y\\z', '{}', 'é,ü', ' lead', 'trail ']`,
      "'{}'",
      "ARRAY[NULL]::text[]",
      "ARRAY[E'line\\nbreak', 'null', 'a;b']",
    ],
    expected: [
      ["a b", "", "NULL", null, 'x"y\\z', "{}", "é,ü", " lead", "trail "],
      [],
      [null],
      ["line\nbreak", "null", "a;b"],
    ],
  },
  {
    name: "c_numeric_array",
    sql: "numeric(10,2)[]",
    type: array(decimal(10, 2)),
    sourceType: "numeric(10,2)[]",
    values: ["'{1.5,NaN,NULL}'", "'{}'", "ARRAY[-99999999.99]", "'[5:5]={0}'"],
    expected: [["1.50", "NaN", null], [], ["-99999999.99"], ["0.00"]],
  },
  {
    name: "c_numeric_free_array",
    sql: "numeric[]",
    type: array(STRING),
    sourceType: "numeric[]",
    values: ["'{Infinity,-Infinity,NaN,1e-20}'", "'{}'", "'{{1,2},{3,4}}'", "ARRAY[NULL::numeric]"],
    expected: [["Infinity", "-Infinity", "NaN", "0.00000000000000000001"], [], null, [null]],
  },
  {
    name: "c_timestamptz_array",
    sql: "timestamptz[]",
    type: array(TIMESTAMP),
    sourceType: "timestamp with time zone[]",
    values: [
      "ARRAY['2024-01-01 00:00:00+00'::timestamptz, 'infinity', NULL]",
      "'{}'",
      `'{"0044-03-15 12:00:00+00 BC",-infinity}'`,
      "ARRAY['2024-02-29 12:00:00+05:30'::timestamptz]",
    ],
    expected: [
      [at("2024-01-01T00:00:00Z"), INT64_MAX, null],
      [],
      [-63_517_780_800_000_000n, INT64_MIN],
      [at("2024-02-29T06:30:00Z")],
    ],
  },
  {
    name: "c_date_array",
    sql: "date[]",
    type: array(DATE),
    sourceType: "date[]",
    values: [`'{2024-02-29,"0044-03-15 BC",infinity,NULL}'`, "'{}'", "'{-infinity}'", "'{1970-01-01}'"],
    expected: [[day("2024-02-29"), -735_160, INT32_MAX, null], [], [INT32_MIN], [0]],
  },
  {
    name: "c_time_array",
    sql: "time(6)[]",
    type: array(TIME),
    sourceType: "time(6) without time zone[]",
    values: ["'{24:00:00,00:00:00.000001}'", "'{}'", "'{NULL}'", "'{12:00:00}'"],
    expected: [[86_400_000_000n, 1n], [], [null], [43_200_000_000n]],
  },
  {
    name: "c_bytea_array",
    sql: "bytea[]",
    type: array({ kind: "bytes" }),
    sourceType: "bytea[]",
    values: [
      "ARRAY['\\x00ff'::bytea, '', NULL]",
      "'{}'",
      "ARRAY['\\x5c22'::bytea]",
      "ARRAY['\\x7b7d'::bytea]",
    ],
    expected: [[bytes("00ff"), bytes(""), null], [], [bytes("5c22")], [bytes("7b7d")]],
  },
  {
    name: "c_box_array",
    sql: "box[]",
    type: array(STRING),
    sourceType: "box[]",
    values: [
      "ARRAY['((0,0),(1,1))'::box, '((2,2),(3,3))']",
      "'{}'",
      "ARRAY[NULL::box]",
      "ARRAY['((1.5,-1),(0,0))'::box]",
    ],
    expected: [["(1,1),(0,0)", "(3,3),(2,2)"], [], [null], ["(1.5,0),(0,-1)"]],
  },
  {
    name: "c_bool_array",
    sql: "bool[]",
    type: array({ kind: "boolean" }),
    sourceType: "boolean[]",
    values: ["'{t,f,NULL}'", "'{}'", "'{true}'", "'{false}'"],
    expected: [[true, false, null], [], [true], [false]],
  },
  {
    name: "c_uuid_array",
    sql: "uuid[]",
    type: array({ kind: "uuid" }),
    sourceType: "uuid[]",
    values: [
      "'{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11,NULL}'",
      "'{}'",
      "'{00000000-0000-0000-0000-000000000000}'",
      "NULL",
    ],
    expected: [
      ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", null],
      [],
      ["00000000-0000-0000-0000-000000000000"],
      null,
    ],
  },
  {
    name: "c_mood",
    sql: "mood",
    type: STRING,
    sourceType: "public.mood",
    properties: MOOD,
    values: ["'happy'", "'sad'", "'ok'", "'happy'"],
    expected: ["happy", "sad", "ok", "happy"],
  },
  {
    name: "c_mood_array",
    sql: "mood[]",
    type: array(STRING),
    sourceType: "public.mood[]",
    properties: MOOD,
    values: ["'{sad,NULL,happy}'", "'{}'", "'{ok}'", "'{}'"],
    expected: [["sad", null, "happy"], [], ["ok"], []],
  },
  {
    name: "c_price",
    sql: "price",
    type: decimal(12, 2),
    sourceType: "public.price",
    properties: { baseType: "numeric(12,2)" },
    values: ["12.5", "'NaN'", "0", "9999999999.99"],
    expected: ["12.50", "NaN", "0.00", "9999999999.99"],
  },
  {
    name: "c_cheap",
    sql: "cheap",
    type: decimal(12, 2),
    sourceType: "public.cheap",
    properties: { baseType: "public.price" },
    values: ["1.5", "'NaN'", "99.99", "0.01"],
    expected: ["1.50", "NaN", "99.99", "0.01"],
  },
  {
    name: "c_price_array",
    sql: "price[]",
    type: array(decimal(12, 2)),
    sourceType: "public.price[]",
    properties: { baseType: "numeric(12,2)" },
    values: ["'{1,NaN,NULL}'", "'{}'", "'{0.5}'", "'{}'"],
    expected: [["1.00", "NaN", null], [], ["0.50"], []],
  },
  {
    name: "c_posint",
    sql: "posint",
    type: INT,
    sourceType: "public.posint",
    properties: { baseType: "integer" },
    values: ["1", "2147483647", "7", "8"],
    expected: [1, INT32_MAX, 7, 8],
  },
  {
    name: "c_pair",
    sql: "pair",
    type: STRING,
    sourceType: "public.pair",
    properties: {
      attributes: [
        { name: "a", type: "integer" },
        { name: "b", type: "text" },
      ],
    },
    values: ["ROW(1, 'a b')", "ROW(NULL, '')", `ROW(-1, 'x"y\\z')`, "ROW(NULL, NULL)"],
    expected: ['(1,"a b")', '(,"")', '(-1,"x""y\\\\z")', "(,)"],
  },
  {
    name: "c_pair_array",
    sql: "pair[]",
    type: array(STRING),
    sourceType: "public.pair[]",
    properties: {
      attributes: [
        { name: "a", type: "integer" },
        { name: "b", type: "text" },
      ],
    },
    values: [
      "ARRAY[ROW(1,'x')::pair, NULL, ROW(NULL,'')::pair]",
      "'{}'",
      "ARRAY[ROW(2,'a,b')::pair]",
      "'{}'",
    ],
    expected: [["(1,x)", null, '(,"")'], [], ['(2,"a,b")'], []],
  },
  {
    name: "c_floatrange",
    sql: "floatrange",
    type: STRING,
    sourceType: "public.floatrange",
    properties: { subtype: "double precision" },
    values: ["'[1.5,2.5)'", "'empty'", "'(,)'", "'[-Infinity,Infinity]'"],
    expected: ["[1.5,2.5)", "empty", "(,)", "[-Infinity,Infinity]"],
  },
  {
    name: "c_floatmultirange",
    sql: "floatmultirange",
    type: STRING,
    sourceType: "public.floatmultirange",
    properties: { multirangeOf: "public.floatrange", rangeSubtype: "double precision" },
    values: ["'{[1,2),[3,4]}'", "'{}'", "'{(,0)}'", "'{[1,2),[2,3)}'"],
    expected: ["{[1,2),[3,4]}", "{}", "{(,0)}", "{[1,3)}"],
  },
  {
    name: "c_int4range",
    sql: "int4range",
    type: STRING,
    sourceType: "int4range",
    properties: { subtype: "integer" },
    values: ["'[1,10]'", "'empty'", "'(,5)'", "'(0,)'"],
    expected: ["[1,11)", "empty", "(,5)", "[1,)"],
  },
  {
    name: "c_tstzrange",
    sql: "tstzrange",
    type: STRING,
    sourceType: "tstzrange",
    properties: { subtype: "timestamp with time zone" },
    values: ["'[2024-01-01 00:00:00+05,infinity)'", "'empty'", "'(,)'", "'[-infinity,2000-01-01]'"],
    expected: ['["2023-12-31 19:00:00+00",infinity)', "empty", "(,)", '[-infinity,"2000-01-01 00:00:00+00"]'],
  },
  {
    name: "c_int4multirange",
    sql: "int4multirange",
    type: STRING,
    sourceType: "int4multirange",
    values: ["'{[1,3),[5,7)}'", "'{}'", "'{[1,2],[3,4]}'", "'{(,)}'"],
    expected: ["{[1,3),[5,7)}", "{}", "{[1,5)}", "{(,)}"],
  },
  {
    name: "c_bit",
    sql: "bit(8)",
    type: STRING,
    sourceType: "bit(8)",
    values: ["B'10101010'", "B'00000000'", "B'11111111'", "'x0f'::bit(8)"],
    expected: ["10101010", "00000000", "11111111", "00001111"],
  },
  {
    name: "c_varbit",
    sql: "varbit(16)",
    type: STRING,
    sourceType: "bit varying(16)",
    values: ["B'101'", "B''", "B'1111111111111111'", "B'0'"],
    expected: ["101", "", "1111111111111111", "0"],
  },
  {
    name: "c_inet",
    sql: "inet",
    type: STRING,
    sourceType: "inet",
    values: ["'192.168.0.1/24'", "'::1'", "'10.0.0.1'", "'2001:db8::ff00:42:8329/64'"],
    expected: ["192.168.0.1/24", "::1", "10.0.0.1", "2001:db8::ff00:42:8329/64"],
  },
  {
    name: "c_cidr",
    sql: "cidr",
    type: STRING,
    sourceType: "cidr",
    values: ["'10.0.0.0/8'", "'192.168.1'", "'::/0'", "'2001:db8::/32'"],
    expected: ["10.0.0.0/8", "192.168.1.0/24", "::/0", "2001:db8::/32"],
  },
  {
    name: "c_macaddr",
    sql: "macaddr",
    type: STRING,
    sourceType: "macaddr",
    values: ["'08:00:2b:01:02:03'", "'08-00-2B-01-02-03'", "'0800.2b01.0203'", "'ffffffffffff'"],
    expected: ["08:00:2b:01:02:03", "08:00:2b:01:02:03", "08:00:2b:01:02:03", "ff:ff:ff:ff:ff:ff"],
  },
  {
    name: "c_macaddr8",
    sql: "macaddr8",
    type: STRING,
    sourceType: "macaddr8",
    values: [
      "'08:00:2b:01:02:03:04:05'",
      "'08:00:2b:01:02:03'",
      "'0000000000000000'",
      "'ff-ff-ff-ff-ff-ff-ff-ff'",
    ],
    expected: [
      "08:00:2b:01:02:03:04:05",
      "08:00:2b:ff:fe:01:02:03",
      "00:00:00:00:00:00:00:00",
      "ff:ff:ff:ff:ff:ff:ff:ff",
    ],
  },
  {
    name: "c_money",
    sql: "money",
    type: STRING,
    sourceType: "money",
    values: ["1234.56", "-92233720368547758.08", "0", "92233720368547758.07"],
    expected: ["$1,234.56", "-$92,233,720,368,547,758.08", "$0.00", "$92,233,720,368,547,758.07"],
  },
  {
    name: "c_point",
    sql: "point",
    type: STRING,
    sourceType: "point",
    values: ["'(1,2)'", "'(-1.5,NaN)'", "'(Infinity,-0)'", "'(0.1,1e300)'"],
    expected: ["(1,2)", "(-1.5,NaN)", "(Infinity,-0)", "(0.1,1e+300)"],
  },
  {
    name: "c_line",
    sql: "line",
    type: STRING,
    sourceType: "line",
    values: ["'{1,-1,0}'", "'[(0,0),(1,1)]'", "'{0,1,-2}'", "'{1,0,0.5}'"],
    expected: ["{1,-1,0}", "{1,-1,0}", "{0,1,-2}", "{1,0,0.5}"],
  },
  {
    name: "c_lseg",
    sql: "lseg",
    type: STRING,
    sourceType: "lseg",
    values: ["'[(0,0),(1,1)]'", "'((1,2),(3,4))'", "'0,0,0,0'", "'[(-1,-1),(1,1)]'"],
    expected: ["[(0,0),(1,1)]", "[(1,2),(3,4)]", "[(0,0),(0,0)]", "[(-1,-1),(1,1)]"],
  },
  {
    name: "c_box",
    sql: "box",
    type: STRING,
    sourceType: "box",
    values: ["'((0,0),(1,1))'", "'(3,3),(2,2)'", "'((0,0),(0,0))'", "'((-1,5),(1,-5))'"],
    expected: ["(1,1),(0,0)", "(3,3),(2,2)", "(0,0),(0,0)", "(1,5),(-1,-5)"],
  },
  {
    name: "c_path",
    sql: "path",
    type: STRING,
    sourceType: "path",
    values: ["'[(0,0),(1,1),(2,0)]'", "'((0,0),(1,1))'", "'(0,0)'", "'[(1.5,2.5)]'"],
    expected: ["[(0,0),(1,1),(2,0)]", "((0,0),(1,1))", "((0,0))", "[(1.5,2.5)]"],
  },
  {
    name: "c_polygon",
    sql: "polygon",
    type: STRING,
    sourceType: "polygon",
    values: ["'((0,0),(1,1),(2,0))'", "'(0,0)'", "'((0,0),(0,1),(1,1),(1,0))'", "'((-1,-1))'"],
    expected: ["((0,0),(1,1),(2,0))", "((0,0))", "((0,0),(0,1),(1,1),(1,0))", "((-1,-1))"],
  },
  {
    name: "c_circle",
    sql: "circle",
    type: STRING,
    sourceType: "circle",
    values: ["'<(0,0),1.5>'", "'((1,2),3)'", "'1,2,0'", "'<(-1,-1),0.1>'"],
    expected: ["<(0,0),1.5>", "<(1,2),3>", "<(1,2),0>", "<(-1,-1),0.1>"],
  },
  {
    name: "c_tsvector",
    sql: "tsvector",
    type: STRING,
    sourceType: "tsvector",
    values: ["'a fat cat'", "''", "'fat:1A cat:2B,3'", `'"it''s" naïve'`],
    expected: ["'a' 'cat' 'fat'", "", "'cat':2B,3 'fat':1A", `'"it''s"' 'naïve'`],
  },
  {
    name: "c_tsquery",
    sql: "tsquery",
    type: STRING,
    sourceType: "tsquery",
    values: ["'fat & !rat'", "'a | b <-> c'", "'x:*'", "''"],
    expected: ["'fat' & !'rat'", "'a' | 'b' <-> 'c'", "'x':*", ""],
  },
  {
    name: "c_pg_lsn",
    sql: "pg_lsn",
    type: STRING,
    sourceType: "pg_lsn",
    values: ["'16/B374D848'", "'0/0'", "'FFFFFFFF/FFFFFFFF'", "'0/1'"],
    expected: ["16/B374D848", "0/0", "FFFFFFFF/FFFFFFFF", "0/1"],
  },
  {
    name: "c_jsonpath",
    sql: "jsonpath",
    type: STRING,
    sourceType: "jsonpath",
    values: ["'$.a[*] ? (@ > 1)'", "'$'", "'strict $.\"x y\"'", "'$.a.b'"],
    expected: ['$."a"[*]?(@ > 1)', "$", 'strict $."x y"', '$."a"."b"'],
  },
];

/** The column definitions of the zoo, for CREATE TABLE. */
export const ZOO_COLUMNS_SQL = ZOO.map((column) => `${column.name} ${column.sql}`).join(", ");
