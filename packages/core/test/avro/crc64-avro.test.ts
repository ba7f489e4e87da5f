import { describe, expect, it } from "vitest";
import { fingerprintOfText } from "../../src/avro/canonical-form.js";
import { CRC64_AVRO_EMPTY, crc64Avro, crc64AvroHalves } from "../../src/avro/crc64-avro.js";

/**
 * Test vectors: Apache Avro's share/test/data/schema-tests.txt (github.com/apache/avro), which
 * pairs Parsing Canonical Forms with their CRC-64-AVRO fingerprint as a signed Java long (the
 * Java implementation cross-checks them with a direct, slow implementation of the algorithm).
 */
const AVRO_VECTORS: ReadonlyArray<readonly [canonical: string, javaLong: string]> = [
  ['"null"', "7195948357588979594"],
  ['"boolean"', "-6970731678124411036"],
  ['"int"', "8247732601305521295"],
  ['"long"', "-3434872931120570953"],
  ['"float"', "5583340709985441680"],
  ['"double"', "-8181574048448539266"],
  ['"bytes"', "5746618253357095269"],
  ['"string"', "-8142146995180207161"],
  ["[]", "-1241056759729112623"],
  ['["int"]', "-5232228896498058493"],
  ['["int","boolean"]', "5392556393470105090"],
  ['{"name":"foo","type":"record","fields":[]}', "-4824392279771201922"],
  ['{"name":"x.y.foo","type":"record","fields":[]}', "5916914534497305771"],
  ['{"name":"a.b.foo","type":"record","fields":[]}', "-4616218487480524110"],
  ['{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}', "7843277075252814651"],
  [
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    "-4860222112080293046",
  ],
  ['{"name":"foo","type":"enum","symbols":["A1"]}', "-6342190197741309591"],
  ['{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}', "-4448647247586288245"],
  ['{"name":"foo","type":"fixed","size":15}', "1756455273707447556"],
  ['{"name":"x.y.z.foo","type":"fixed","size":32}', "-3064184465700546786"],
  ['{"type":"array","items":"null"}', "-589620603366471059"],
  ['{"type":"map","values":"string"}', "-8732877298790414990"],
  [
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    "-1759257747318642341",
  ],
];

describe("crc64Avro", () => {
  it("returns the spec's EMPTY constant for empty input", () => {
    expect(crc64Avro("")).toBe(0xc15d213aa4d7a795n);
    expect(crc64Avro(new Uint8Array(0))).toBe(CRC64_AVRO_EMPTY);
  });

  it.each(AVRO_VECTORS)("matches Apache Avro's fingerprint of %s", (canonical, javaLong) => {
    expect(crc64Avro(canonical)).toBe(BigInt.asUintN(64, BigInt(javaLong)));
  });

  it("hashes a string as its UTF-8 bytes", () => {
    const text = "é 😀 日本";
    expect(crc64Avro(text)).toBe(crc64Avro(Buffer.from(text, "utf8")));
    expect(crc64Avro(text)).not.toBe(crc64Avro(Buffer.from(text, "latin1")));
  });

  it("agrees with its 32-bit halves", () => {
    const { hi, lo } = crc64AvroHalves('"int"');
    expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(crc64Avro('"int"'));
    expect(hi).toBeGreaterThanOrEqual(0);
    expect(lo).toBeGreaterThanOrEqual(0);
  });

  it("writes fingerprints little-endian, as single-object messages carry them", () => {
    // 7195948357588979594 = 0x63dd24e7cc258f8a, written low byte first.
    expect(fingerprintOfText('"null"')).toBe("8a8f25cce724dd63");
    expect(fingerprintOfText("")).toBe("95a7d7a43a215dc1");
  });

  it("hashes a megabyte quickly", () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const started = performance.now();
    crc64Avro(big);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
