import { describe, expect, it } from "vitest";
import type { AvroSchema } from "../../src/avro/avro-schema.js";
import {
  extendedCanonicalForm,
  fingerprintFromBytes,
  fingerprintToBytes,
  isFingerprint,
  parsingCanonicalForm,
  parsingFingerprint,
  schemaFingerprint,
} from "../../src/avro/canonical-form.js";
import { isTributaryError } from "../../src/errors/TributaryError.js";

/**
 * Inputs and Parsing Canonical Forms from Apache Avro's share/test/data/schema-tests.txt
 * (github.com/apache/avro); the fingerprint column is Avro's signed-long fingerprint.
 */
const AVRO_CASES: ReadonlyArray<readonly [id: string, input: string, canonical: string, javaLong?: string]> =
  [
    ["000", '"null"', '"null"', "7195948357588979594"],
    ["001", '{"type":"null"}', '"null"'],
    ["002", '"boolean"', '"boolean"', "-6970731678124411036"],
    ["003", '{"type":"boolean"}', '"boolean"'],
    ["004", '"int"', '"int"', "8247732601305521295"],
    ["005", '{"type":"int"}', '"int"'],
    ["006", '"long"', '"long"', "-3434872931120570953"],
    ["007", '{"type":"long"}', '"long"'],
    ["008", '"float"', '"float"', "5583340709985441680"],
    ["009", '{"type":"float"}', '"float"'],
    ["010", '"double"', '"double"', "-8181574048448539266"],
    ["011", '{"type":"double"}', '"double"'],
    ["012", '"bytes"', '"bytes"', "5746618253357095269"],
    ["013", '{"type":"bytes"}', '"bytes"'],
    ["014", '"string"', '"string"', "-8142146995180207161"],
    ["015", '{"type":"string"}', '"string"'],
    ["016", "[  ]", "[]", "-1241056759729112623"],
    ["017", '[ "int"  ]', '["int"]', "-5232228896498058493"],
    ["018", '[ "int" , {"type":"boolean"} ]', '["int","boolean"]', "5392556393470105090"],
    [
      "019",
      '{"fields":[], "type":"record", "name":"foo"}',
      '{"name":"foo","type":"record","fields":[]}',
      "-4824392279771201922",
    ],
    [
      "020",
      '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
      '{"name":"x.y.foo","type":"record","fields":[]}',
      "5916914534497305771",
    ],
    [
      "021",
      '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
      '{"name":"a.b.foo","type":"record","fields":[]}',
      "-4616218487480524110",
    ],
    [
      "022",
      '{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}',
      '{"name":"foo","type":"record","fields":[]}',
      "-4824392279771201922",
    ],
    [
      "023",
      '{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}',
      '{"name":"foo","type":"record","fields":[]}',
      "-4824392279771201922",
    ],
    [
      "025",
      '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
      '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
      "7843277075252814651",
    ],
    [
      "026",
      `{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"},
                {"order":"descending","name":"f2","doc":"Hello","type":"int"}],
      "type":"record", "name":"foo"
    }`,
      '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
      "-4860222112080293046",
    ],
    [
      "027",
      '{"type":"enum", "name":"foo", "symbols":["A1"]}',
      '{"name":"foo","type":"enum","symbols":["A1"]}',
      "-6342190197741309591",
    ],
    [
      "028",
      '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
      '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
      "-4448647247586288245",
    ],
    [
      "029",
      '{"name":"foo","type":"fixed","size":15}',
      '{"name":"foo","type":"fixed","size":15}',
      "1756455273707447556",
    ],
    [
      "030",
      '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
      '{"name":"x.y.z.foo","type":"fixed","size":32}',
      "-3064184465700546786",
    ],
    [
      "031",
      '{ "items":{"type":"null"}, "type":"array"}',
      '{"type":"array","items":"null"}',
      "-589620603366471059",
    ],
    ["032", '{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', "-8732877298790414990"],
    [
      "033",
      `{"name":"PigValue","type":"record",
      "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}`,
      '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
      "-1759257747318642341",
    ],
  ];

/** The fingerprint hex of a signed Java long: its 8 bytes little-endian. */
function hexOfJavaLong(javaLong: string): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64LE(BigInt(javaLong));
  return bytes.toString("hex");
}

describe("parsingCanonicalForm", () => {
  for (const [id, input, canonical, javaLong] of AVRO_CASES) {
    it(`Avro case ${id}`, () => {
      const schema = JSON.parse(input) as AvroSchema;
      expect(parsingCanonicalForm(schema)).toBe(canonical);
      if (javaLong !== undefined) {
        expect(parsingFingerprint(schema)).toBe(hexOfJavaLong(javaLong));
      }
    });
  }

  it.each<[string, AvroSchema, string]>([
    [
      "nested records inherit the enclosing namespace; references are qualified",
      {
        type: "record",
        name: "Outer",
        namespace: "a.b",
        fields: [
          { name: "inner", type: { type: "record", name: "Inner", fields: [{ name: "x", type: "int" }] } },
          { name: "again", type: "Inner" },
          { name: "other", type: { type: "enum", name: "c.E", symbols: ["X"] } },
          { name: "ref", type: ["null", "c.E"] },
        ],
      },
      '{"name":"a.b.Outer","type":"record","fields":[{"name":"inner","type":{"name":"a.b.Inner","type":"record",' +
        '"fields":[{"name":"x","type":"int"}]}},{"name":"again","type":"a.b.Inner"},' +
        '{"name":"other","type":{"name":"c.E","type":"enum","symbols":["X"]}},{"name":"ref","type":["null","c.E"]}]}',
    ],
    [
      "an explicit namespace on a nested type wins; primitives are never qualified",
      {
        type: "record",
        name: "R",
        namespace: "n1",
        fields: [
          { name: "f", type: { type: "fixed", name: "F", namespace: "n2", size: 4 } },
          { name: "g", type: "long" },
        ],
      },
      '{"name":"n1.R","type":"record","fields":[{"name":"f","type":{"name":"n2.F","type":"fixed","size":4}},' +
        '{"name":"g","type":"long"}]}',
    ],
    [
      "logical types and properties are stripped",
      {
        type: "record",
        name: "R",
        fields: [
          {
            name: "d",
            type: { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 },
            "tributary.sourceType": "numeric(10,2)",
          },
          { name: "m", type: { type: "map", values: { type: "long", logicalType: "timestamp-micros" } } },
        ],
      },
      '{"name":"R","type":"record","fields":[{"name":"d","type":"bytes"},{"name":"m","type":{"type":"map","values":"long"}}]}',
    ],
  ])("%s", (_name, schema, canonical) => {
    expect(parsingCanonicalForm(schema)).toBe(canonical);
  });

  it.each<[string, unknown]>([
    ["a record without fields", { type: "record", name: "R" }],
    ["a record without a name", { type: "record", fields: [] }],
    ["an enum without symbols", { type: "enum", name: "E" }],
    ["a fixed without a size", { type: "fixed", name: "F" }],
    ["a field without a type", { type: "record", name: "R", fields: [{ name: "x" }] }],
    ["a number", 42],
    ["null", null],
  ])("rejects %s with TRB_SCHEMA_INVALID", (_name, schema) => {
    expect(() => parsingCanonicalForm(schema as AvroSchema)).toThrowError(
      expect.objectContaining({ code: "TRB_SCHEMA_INVALID" }),
    );
  });
});

const decimal = (precision: number, scale: number): AvroSchema => ({
  type: "record",
  name: "R",
  fields: [{ name: "amount", type: { type: "bytes", logicalType: "decimal", precision, scale } }],
});

const withSourceType = (sourceType: string, extra: Record<string, unknown> = {}): AvroSchema => ({
  type: "record",
  name: "R",
  fields: [{ name: "at", type: "long", "tributary.sourceType": sourceType, ...extra }],
});

describe("extendedCanonicalForm", () => {
  it.each<[string, AvroSchema, string]>([
    ["a plain primitive", "int", '"int"'],
    ["a primitive object without extensions", { type: "long", "connect.name": "x" }, '"long"'],
    [
      "a logical type keeps its object form",
      { type: "long", logicalType: "timestamp-micros" },
      '{"type":"long","logicalType":"timestamp-micros"}',
    ],
    [
      "decimal attributes in the fixed order, whatever the input order",
      { scale: 2, precision: 10, logicalType: "decimal", type: "bytes" },
      '{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}',
    ],
    [
      "field default and tributary properties sorted by name, after the parsing attributes",
      {
        type: "record",
        name: "R",
        doc: "dropped",
        "tributary.table": "t",
        "tributary.database": "d",
        fields: [
          {
            "tributary.sourceType": "mood",
            "tributary.labels": ["sad", "ok"],
            doc: "dropped",
            order: "descending",
            default: "ok",
            type: "string",
            name: "m",
            "other.prop": 1,
          },
        ],
      },
      '{"name":"R","type":"record","fields":[{"name":"m","type":"string","default":"ok",' +
        '"tributary.labels":["sad","ok"],"tributary.sourceType":"mood"}],"tributary.database":"d","tributary.table":"t"}',
    ],
    [
      "object values with sorted keys and no whitespace",
      { type: "string", "tributary.props": { z: [1, 2], a: { y: null, b: true } } },
      '{"type":"string","tributary.props":{"a":{"b":true,"y":null},"z":[1,2]}}',
    ],
    [
      "strings escaped as JSON, Unicode kept",
      { type: "string", "tributary.column": 'naïve "quoted" 😀' },
      '{"type":"string","tributary.column":"naïve \\"quoted\\" 😀"}',
    ],
  ])("%s", (_name, schema, canonical) => {
    expect(extendedCanonicalForm(schema)).toBe(canonical);
  });

  it("equals the parsing canonical form for schemas without extensions", () => {
    // Case 026 has a field default, which the extended form keeps.
    for (const [, input] of AVRO_CASES.filter(([id]) => id !== "026")) {
      const schema = JSON.parse(input) as AvroSchema;
      expect(extendedCanonicalForm(schema)).toBe(parsingCanonicalForm(schema));
    }
  });

  it("is a fixed point: the extended form of the parsed extended form is itself", () => {
    const schema: AvroSchema = {
      type: "record",
      name: "Envelope",
      namespace: "tributary.db.public.t",
      "tributary.key": ["id"],
      fields: [
        { name: "id", type: "long", "tributary.sourceType": "int8" },
        {
          name: "price",
          type: ["null", { type: "bytes", logicalType: "decimal", precision: 12, scale: 4 }],
          default: null,
        },
        { name: "tags", type: { type: "array", items: "string" }, default: [] },
      ],
    };
    const form = extendedCanonicalForm(schema);
    expect(extendedCanonicalForm(JSON.parse(form) as AvroSchema)).toBe(form);
  });
});

describe("fingerprints", () => {
  it("are stable: equal schemas, however written, share one fingerprint", () => {
    const a = decimal(10, 2);
    const b = JSON.parse(JSON.stringify(decimal(10, 2), null, 4)) as AvroSchema;
    expect(schemaFingerprint(a)).toBe(schemaFingerprint(b));
    expect(schemaFingerprint(withSourceType("int8", { doc: "x" }))).toBe(
      schemaFingerprint(withSourceType("int8")),
    );
  });

  it("tell decimal(10,2) from decimal(12,4), which plain Avro fingerprints do not", () => {
    expect(parsingFingerprint(decimal(10, 2))).toBe(parsingFingerprint(decimal(12, 4)));
    expect(schemaFingerprint(decimal(10, 2))).not.toBe(schemaFingerprint(decimal(12, 4)));
    expect(schemaFingerprint(decimal(10, 2))).not.toBe(schemaFingerprint(decimal(10, 3)));
  });

  it("tell different source types and tributary properties apart", () => {
    const fingerprints = [
      schemaFingerprint(withSourceType("timestamptz(6)")),
      schemaFingerprint(withSourceType("timestamp(6)")),
      schemaFingerprint(withSourceType("timestamptz(6)", { "tributary.column": "At" })),
      schemaFingerprint(withSourceType("timestamptz(6)", { default: 0 })),
    ];
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    expect(new Set(fingerprints.map((_, i) => parsingFingerprint(withSourceType(String(i))))).size).toBe(1);
  });

  it("are 16 lowercase hex characters that convert to and from the message bytes", () => {
    const fingerprint = schemaFingerprint(decimal(10, 2));
    expect(isFingerprint(fingerprint)).toBe(true);
    expect(isFingerprint("ABCDEF0123456789")).toBe(false);
    expect(isFingerprint("abc")).toBe(false);
    const bytes = fingerprintToBytes(fingerprint);
    expect(bytes).toHaveLength(8);
    expect(fingerprintFromBytes(Buffer.concat([Buffer.from([0xc3, 0x01]), bytes]), 2)).toBe(fingerprint);
  });

  it("refuse attributes that have no JSON form", () => {
    const error = (() => {
      try {
        schemaFingerprint({ type: "string", "tributary.x": Number.NaN });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(isTributaryError(error, "TRB_SCHEMA_INVALID")).toBe(true);
  });
});
