import { type ColumnType, isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { formatType, mapColumn, type PgQueryable, PgTypeCatalog, textParser } from "../../src/types/index.js";
import type { TypeFactsJson } from "../../src/types/PgTypeCatalog.js";

/**
 * A connection that answers the catalog's two queries from a fixture of pg_type facts (taken
 * from a PostgreSQL 15 server), following the same dependencies as the real recursive query.
 */
type Facts = TypeFactsJson;

const FIXTURE = new Map<number, Facts>();

function add(facts: Partial<Facts> & Pick<Facts, "oid" | "name">): void {
  const schema = facts.schema ?? "pg_catalog";
  FIXTURE.set(facts.oid, {
    schema,
    quotedSchema: schema,
    quotedName: facts.name,
    typtype: "b",
    category: "U",
    isArray: false,
    elementOid: 0,
    delimiter: ",",
    baseTypeOid: 0,
    baseTypmod: -1,
    hasTypmodOut: false,
    enumLabels: null,
    rangeSubtypeOid: null,
    multirangeRangeOid: null,
    attributes: null,
    ...facts,
  });
}

/** A type and its array type. */
function withArray(facts: Partial<Facts> & Pick<Facts, "oid" | "name">, arrayOid: number): void {
  add(facts);
  add({
    oid: arrayOid,
    name: `_${facts.name}`,
    ...(facts.schema === undefined ? {} : { schema: facts.schema, quotedSchema: facts.quotedSchema }),
    quotedName: facts.quotedName === undefined ? `_${facts.name}` : `"_${facts.name}"`,
    category: "A",
    isArray: true,
    elementOid: facts.oid,
  });
}

const BUILTINS: ReadonlyArray<readonly [string, number, number, string?, boolean?]> = [
  ["bool", 16, 1000, "B"],
  ["bytea", 17, 1001],
  ["name", 19, 1003, "S"],
  ["int8", 20, 1016, "N"],
  ["int2", 21, 1005, "N"],
  ["int4", 23, 1007, "N"],
  ["text", 25, 1009, "S"],
  ["oid", 26, 1028, "N"],
  ["xid", 28, 1011],
  ["json", 114, 199],
  ["xml", 142, 143],
  ["point", 600, 1017, "G"],
  ["lseg", 601, 1018, "G"],
  ["path", 602, 1019, "G"],
  ["polygon", 604, 1027, "G"],
  ["line", 628, 629, "G"],
  ["cidr", 650, 651, "I"],
  ["float4", 700, 1021, "N"],
  ["float8", 701, 1022, "N"],
  ["circle", 718, 719, "G"],
  ["macaddr8", 774, 775],
  ["money", 790, 791, "N"],
  ["macaddr", 829, 1040],
  ["inet", 869, 1041, "I"],
  ["bpchar", 1042, 1014, "S", true],
  ["varchar", 1043, 1015, "S", true],
  ["date", 1082, 1182, "D"],
  ["time", 1083, 1183, "D", true],
  ["timestamp", 1114, 1115, "D", true],
  ["timestamptz", 1184, 1185, "D", true],
  ["interval", 1186, 1187, "T", true],
  ["timetz", 1266, 1270, "D", true],
  ["bit", 1560, 1561, "V", true],
  ["varbit", 1562, 1563, "V", true],
  ["numeric", 1700, 1231, "N", true],
  ["regclass", 2205, 2210, "N"],
  ["uuid", 2950, 2951],
  ["pg_lsn", 3220, 3221],
  ["tsvector", 3614, 3643],
  ["tsquery", 3615, 3645],
  ["jsonb", 3802, 3807],
  ["jsonpath", 4072, 4073],
];
for (const [name, oid, arrayOid, category = "U", hasTypmodOut = false] of BUILTINS) {
  withArray({ oid, name, category, hasTypmodOut }, arrayOid);
}
withArray({ oid: 18, name: "char", quotedName: '"char"', category: "Z" }, 1002);
withArray({ oid: 603, name: "box", category: "G", delimiter: ";" }, 1020);
add({ oid: 22, name: "int2vector", category: "A", elementOid: 21 }); // not a true array
withArray({ oid: 3904, name: "int4range", typtype: "r", category: "R", rangeSubtypeOid: 23 }, 3905);
withArray({ oid: 4451, name: "int4multirange", typtype: "m", category: "R", multirangeRangeOid: 3904 }, 6150);
add({ oid: 2249, name: "record", typtype: "p", category: "P" });

const NUMERIC_12_2 = ((12 << 16) | 2) + 4;
const user = { schema: "public", quotedSchema: "public" } as const;
withArray({ ...user, oid: 16400, name: "mood", typtype: "e", enumLabels: ["sad", "ok", "happy"] }, 16399);
withArray(
  { ...user, oid: 16410, name: "Mood Ring", quotedName: '"Mood Ring"', typtype: "e", enumLabels: ["x"] },
  16409,
);
withArray(
  { ...user, oid: 16420, name: "price", typtype: "d", baseTypeOid: 1700, baseTypmod: NUMERIC_12_2 },
  16419,
);
withArray({ ...user, oid: 16430, name: "cheap", typtype: "d", baseTypeOid: 16420 }, 16429);
add({ ...user, oid: 16440, name: "int_list", typtype: "d", baseTypeOid: 1007 });
add({ ...user, oid: 16450, name: "sized", typtype: "d", baseTypeOid: 1043, baseTypmod: 14 });
withArray(
  {
    ...user,
    oid: 16460,
    name: "pair",
    typtype: "c",
    category: "C",
    attributes: [
      { name: "a", typeOid: 23, typmod: -1 },
      { name: "b", typeOid: 1043, typmod: 14 },
    ],
  },
  16459,
);
withArray(
  { ...user, oid: 16470, name: "floatrange", typtype: "r", category: "R", rangeSubtypeOid: 701 },
  16469,
);
add({ ...user, oid: 16480, name: "floatmultirange", typtype: "m", category: "R", multirangeRangeOid: 16470 });
withArray({ ...user, oid: 16490, name: "geometry", hasTypmodOut: true }, 16489);
add({ ...user, oid: 16500, name: "mood_domain", typtype: "d", baseTypeOid: 16400 });
add({
  schema: "My Schema",
  quotedSchema: '"My Schema"',
  oid: 16510,
  name: "t",
  typtype: "e",
  enumLabels: [],
});
const GEOMETRY_POINT_4326 = 1107460;

function dependencies(facts: Facts): number[] {
  const deps = [
    facts.elementOid,
    facts.baseTypeOid,
    facts.rangeSubtypeOid ?? 0,
    facts.multirangeRangeOid ?? 0,
  ];
  for (const attribute of facts.attributes ?? []) deps.push(attribute.typeOid);
  return deps.filter((oid) => oid !== 0);
}

class FakeConnection implements PgQueryable {
  readonly queries: string[] = [];

  async query(text: string, values: unknown[] = []): Promise<{ rows: unknown[] }> {
    this.queries.push(text.includes("WITH RECURSIVE") ? "types" : "modifiers");
    if (text.includes("WITH RECURSIVE")) {
      const seen = new Set<number>();
      const pending = [...(values[0] as number[])];
      while (pending.length > 0) {
        const oid = pending.pop() as number;
        const facts = FIXTURE.get(oid);
        if (seen.has(oid) || facts === undefined) continue;
        seen.add(oid);
        pending.push(...dependencies(facts));
      }
      return { rows: [...seen].map((oid) => ({ facts: JSON.stringify(FIXTURE.get(oid)) })) };
    }
    const [oids, typmods] = values as [number[], number[]];
    return {
      rows: oids.map((oid, index) => ({
        facts: {
          oid,
          typmod: typmods[index],
          modifier: typmods[index] === GEOMETRY_POINT_4326 ? "(Point,4326)" : `(${typmods[index]})`,
        },
      })),
    };
  }
}

async function loadedCatalog(): Promise<PgTypeCatalog> {
  const catalog = new PgTypeCatalog(new FakeConnection());
  await catalog.load([...FIXTURE.keys(), { typeOid: 16490, typmod: GEOMETRY_POINT_4326 }]);
  return catalog;
}

const catalog = await loadedCatalog();

const numericTypmod = (precision: number, scale: number) => ((precision << 16) | (scale & 0x7ff)) + 4;
/** interval typmod: field mask (datetime.h bits) and precision (0xffff = none). */
const intervalTypmod = (fields: number, precision: number) => (fields << 16) | precision;
const YEAR = 1 << 2;
const DAY_TO_SECOND = (1 << 3) | (1 << 10) | (1 << 11) | (1 << 12);

const INT: ColumnType = { kind: "int" };
const LONG: ColumnType = { kind: "long" };
const STRING: ColumnType = { kind: "string" };
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
const LABELS = { labels: ["sad", "ok", "happy"] };

/** [type OID, typmod, dimensions, sourceType, column type, source properties]. */
type Case = [number, number, number, string, ColumnType, Record<string, unknown>?];
const CASES: Case[] = [
  [21, -1, 0, "smallint", INT],
  [23, -1, 0, "integer", INT],
  [20, -1, 0, "bigint", LONG],
  [26, -1, 0, "oid", LONG],
  [700, -1, 0, "real", { kind: "float" }],
  [701, -1, 0, "double precision", { kind: "double" }],
  [1700, numericTypmod(38, 10), 0, "numeric(38,10)", decimal(38, 10)],
  [1700, numericTypmod(10, 0), 0, "numeric(10,0)", decimal(10, 0)],
  [1700, numericTypmod(1000, 1000), 0, "numeric(1000,1000)", decimal(1000, 1000)],
  [1700, numericTypmod(2, -3), 0, "numeric(2,-3)", decimal(5, 0)],
  [1700, numericTypmod(3, 5), 0, "numeric(3,5)", decimal(5, 5)],
  [1700, -1, 0, "numeric", STRING],
  [16, -1, 0, "boolean", { kind: "boolean" }],
  [25, -1, 0, "text", STRING],
  [1043, 24, 0, "character varying(20)", STRING],
  [1043, -1, 0, "character varying", STRING],
  [1042, 5, 0, "character(1)", STRING],
  [1042, -1, 0, "bpchar", STRING],
  [19, -1, 0, "name", STRING],
  [18, -1, 0, '"char"', STRING],
  [17, -1, 0, "bytea", { kind: "bytes" }],
  [1082, -1, 0, "date", { kind: "date" }],
  [1083, -1, 0, "time without time zone", { kind: "time-micros" }],
  [1083, 3, 0, "time(3) without time zone", { kind: "time-micros" }],
  [1266, -1, 0, "time with time zone", STRING],
  [1266, 6, 0, "time(6) with time zone", STRING],
  [1114, -1, 0, "timestamp without time zone", { kind: "local-timestamp-micros" }],
  [1114, 0, 0, "timestamp(0) without time zone", { kind: "local-timestamp-micros" }],
  [1184, -1, 0, "timestamp with time zone", { kind: "timestamp-micros" }],
  [1184, 3, 0, "timestamp(3) with time zone", { kind: "timestamp-micros" }],
  [1186, -1, 0, "interval", STRING],
  [1186, intervalTypmod(DAY_TO_SECOND, 3), 0, "interval day to second(3)", STRING],
  [1186, intervalTypmod(0x7fff, 2), 0, "interval(2)", STRING],
  [1186, intervalTypmod(YEAR, 0xffff), 0, "interval year", STRING],
  [2950, -1, 0, "uuid", { kind: "uuid" }],
  [114, -1, 0, "json", STRING],
  [3802, -1, 0, "jsonb", STRING],
  [4072, -1, 0, "jsonpath", STRING],
  [142, -1, 0, "xml", STRING],
  [1560, 8, 0, "bit(8)", STRING],
  [1560, -1, 0, '"bit"', STRING],
  [1562, 16, 0, "bit varying(16)", STRING],
  [1562, -1, 0, "bit varying", STRING],
  [869, -1, 0, "inet", STRING],
  [650, -1, 0, "cidr", STRING],
  [829, -1, 0, "macaddr", STRING],
  [774, -1, 0, "macaddr8", STRING],
  [790, -1, 0, "money", STRING],
  [600, -1, 0, "point", STRING],
  [601, -1, 0, "lseg", STRING],
  [602, -1, 0, "path", STRING],
  [603, -1, 0, "box", STRING],
  [604, -1, 0, "polygon", STRING],
  [628, -1, 0, "line", STRING],
  [718, -1, 0, "circle", STRING],
  [3614, -1, 0, "tsvector", STRING],
  [3615, -1, 0, "tsquery", STRING],
  [3220, -1, 0, "pg_lsn", STRING],
  [28, -1, 0, "xid", STRING],
  [2205, -1, 0, "regclass", STRING],
  [22, -1, 0, "int2vector", STRING],
  [2249, -1, 0, "record", STRING],
  [3904, -1, 0, "int4range", STRING, { subtype: "integer" }],
  [4451, -1, 0, "int4multirange", STRING],
  // Arrays: the column's typmod is its element's; declared dimensions nest the arrays.
  [1007, -1, 0, "integer[]", array(INT)],
  [1007, -1, 1, "integer[]", array(INT)],
  [1007, -1, 2, "integer[]", array(array(INT), false)],
  [1007, -1, 3, "integer[]", array(array(array(INT), false), false)],
  [1231, numericTypmod(10, 2), 0, "numeric(10,2)[]", array(decimal(10, 2))],
  [1231, -1, 0, "numeric[]", array(STRING)],
  [1015, 24, 0, "character varying(20)[]", array(STRING)],
  [1185, 3, 0, "timestamp(3) with time zone[]", array({ kind: "timestamp-micros" })],
  [1001, -1, 0, "bytea[]", array({ kind: "bytes" })],
  [1002, -1, 0, '"char"[]', array(STRING)],
  [1020, -1, 0, "box[]", array(STRING)],
  [3905, -1, 0, "int4range[]", array(STRING), { subtype: "integer" }],
  // User types: schema-qualified and quoted like format_type.
  [16400, -1, 0, "public.mood", STRING, LABELS],
  [16399, -1, 0, "public.mood[]", array(STRING), LABELS],
  [16410, -1, 0, 'public."Mood Ring"', STRING, { labels: ["x"] }],
  [16510, -1, 0, '"My Schema".t', STRING, { labels: [] }],
  [16420, -1, 0, "public.price", decimal(12, 2), { baseType: "numeric(12,2)" }],
  [16419, -1, 0, "public.price[]", array(decimal(12, 2)), { baseType: "numeric(12,2)" }],
  [16430, -1, 0, "public.cheap", decimal(12, 2), { baseType: "public.price" }],
  [16440, -1, 0, "public.int_list", array(INT), { baseType: "integer[]" }],
  [16450, -1, 0, "public.sized", STRING, { baseType: "character varying(10)" }],
  [16500, -1, 0, "public.mood_domain", STRING, { ...LABELS, baseType: "public.mood" }],
  [
    16460,
    -1,
    0,
    "public.pair",
    STRING,
    {
      attributes: [
        { name: "a", type: "integer" },
        { name: "b", type: "character varying(10)" },
      ],
    },
  ],
  [16470, -1, 0, "public.floatrange", STRING, { subtype: "double precision" }],
  // Its range named, so the sink can recreate both.
  [
    16480,
    -1,
    0,
    "public.floatmultirange",
    STRING,
    { multirangeOf: "public.floatrange", rangeSubtype: "double precision" },
  ],
  [16490, -1, 0, "public.geometry", STRING],
  [16490, GEOMETRY_POINT_4326, 0, "public.geometry(Point,4326)", STRING],
  [16489, GEOMETRY_POINT_4326, 0, "public.geometry(Point,4326)[]", array(STRING)],
];

describe("mapColumn", () => {
  it.each(CASES)(
    "type %i typmod %i dims %i → %s",
    (oid, typmod, dimensions, sourceType, type, properties) => {
      const mapping = mapColumn(oid, typmod, catalog, { dimensions });
      expect(mapping).toEqual(
        properties === undefined ? { type, sourceType } : { type, sourceType, sourceProperties: properties },
      );
      expect(formatType(oid, typmod, catalog)).toBe(sourceType);
    },
  );

  it("maps every type of the fixture without throwing", () => {
    for (const oid of FIXTURE.keys()) {
      expect(mapColumn(oid, -1, catalog).sourceType).not.toBe("");
    }
  });

  it("refuses a type that was not loaded, saying how to load it", () => {
    const empty = new PgTypeCatalog(new FakeConnection());
    expect(() => mapColumn(16400, -1, empty)).toThrow(/TRB_USAGE.*catalog\.load\(\[16400\]\)/);
  });

  it("refuses an extension typmod that was not loaded with the type", async () => {
    const partial = new PgTypeCatalog(new FakeConnection());
    await partial.load([16490]);
    expect(() => mapColumn(16490, 42, partial)).toThrow(/TRB_USAGE.*typmod: 42/);
    await partial.load([{ typeOid: 16490, typmod: 42 }]);
    expect(mapColumn(16490, 42, partial).sourceType).toBe("public.geometry(42)");
  });
});

/** [type OID, typmod, dimensions, text, value]. */
type ParseCase = [number, number, number, string, unknown];
const PARSE_CASES: ParseCase[] = [
  [23, -1, 0, "-2147483648", -2147483648],
  [20, -1, 0, "9223372036854775807", 9223372036854775807n],
  [26, -1, 0, "4294967295", 4294967295n],
  [1700, numericTypmod(10, 2), 0, "NaN", "NaN"],
  [1700, numericTypmod(10, 2), 0, "-12345678.90", "-12345678.90"],
  [1700, -1, 0, "-Infinity", "-Infinity"],
  [16420, -1, 0, "NaN", "NaN"],
  [16430, -1, 0, "1.50", "1.50"],
  [16400, -1, 0, "happy", "happy"],
  [22, -1, 0, "1 2", "1 2"],
  [16460, -1, 0, '(1,"a b")', '(1,"a b")'],
  [1007, -1, 0, "{1,NULL,3}", [1, null, 3]],
  [1007, -1, 0, "{}", []],
  [
    1007,
    -1,
    2,
    "{{1,2},{3,NULL}}",
    [
      [1, 2],
      [3, null],
    ],
  ],
  [1007, -1, 2, "{}", []],
  [1007, -1, 0, "[0:2]={7,8,9}", [7, 8, 9]],
  [1016, -1, 0, "{-9223372036854775808}", [-9223372036854775808n]],
  [1000, -1, 0, "{t,f,NULL}", [true, false, null]],
  [1021, -1, 0, "{1.1,NaN,-0}", [Math.fround(1.1), Number.NaN, -0]],
  [1231, numericTypmod(10, 2), 0, "{1.50,NaN,NULL}", ["1.50", "NaN", null]],
  [1231, -1, 0, "{Infinity,-Infinity,1e-5}", ["Infinity", "-Infinity", "1e-5"]],
  [16419, -1, 0, "{12.00,NaN}", ["12.00", "NaN"]],
  [16440, -1, 0, "{4,5}", [4, 5]],
  [1020, -1, 0, "{(1,1),(0,0);(3,3),(2,2)}", ["(1,1),(0,0)", "(3,3),(2,2)"]],
  [16459, -1, 0, '{"(1,\\"a b\\")",NULL,"(,)"}', ['(1,"a b")', null, "(,)"]],
  [1185, -1, 0, '{"2024-01-01 00:00:00+00",infinity}', [1704067200000000n, 9223372036854775807n]],
  [1182, -1, 0, "{1970-01-02,-infinity}", [1, -2147483648]],
  [1183, -1, 0, "{24:00:00}", [86400000000n]],
  [1001, -1, 0, '{"\\\\x00ff",NULL}', [Buffer.from([0, 255]), null]],
  [2951, -1, 0, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]],
  [1009, -1, 0, '{"NULL",null,"",a\\,b}', ["NULL", null, "", "a,b"]],
  [16399, -1, 0, "{sad,happy}", ["sad", "happy"]],
];

describe("textParser by column type", () => {
  it.each(PARSE_CASES)("type %i typmod %i dims %i parses %s", (oid, typmod, dimensions, text, value) => {
    expect(textParser(oid, typmod, catalog, { dimensions })(text)).toEqual(value);
  });

  it.each([
    ["a 1-D value in a 2-D column", 2, "{1,2}"],
    ["a 2-D value in a 1-D column", 1, "{{1},{2}}"],
    ["a 3-D value in a 2-D column", 2, "{{{1}}}"],
  ])("refuses %s with TRB_PG_VALUE_OUT_OF_RANGE", (_name, dimensions, text) => {
    const parse = textParser(1007, -1, catalog, { dimensions });
    try {
      parse(text);
      expect.unreachable();
    } catch (error) {
      expect(isTributaryError(error, "TRB_PG_VALUE_OUT_OF_RANGE")).toBe(true);
      expect(String(error)).toMatch(/dimension/);
    }
  });
});
