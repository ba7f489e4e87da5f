/**
 * recordPartEncoder must write exactly what partEncoder (avsc) writes for the envelope's source
 * and transaction blocks, and refuse what it refuses.
 */
import { describe, expect, it } from "vitest";
import {
  AvroBinaryWriter,
  buildTableSchemas,
  compileSchema,
  type PartEncoder,
  partEncoder,
  recordPartEncoder,
  type SourceInfo,
} from "../../src/index.js";

const schemas = buildTableSchemas({
  database: "db",
  schema: "public",
  table: "t",
  columns: [{ name: "id", type: { kind: "int" }, nullable: false, sourceType: "integer" }],
  key: ["id"],
});
const writer = compileSchema(schemas.value);

function bytes(encoder: PartEncoder, value: unknown): string {
  const output = new AvroBinaryWriter(4);
  output.writeByte(7); // something before, to write at a position other than 0
  encoder(value, output);
  return output.copy().toString("hex");
}

const base: SourceInfo = {
  connector: "postgres",
  name: "naïve 😀",
  database: "db",
  schema: "public",
  table: "t",
  lsn: 123456789n,
  file: null,
  pos: null,
  gtid: null,
  txId: "771",
  commitTsMs: 1_700_000_000_000n,
  snapshot: false,
};

describe("recordPartEncoder", () => {
  it.each([
    ["a streamed change", base],
    ["a snapshot row", { ...base, lsn: null, txId: null, commitTsMs: null, snapshot: true }],
    [
      "a MySQL-like block",
      { ...base, schema: null, lsn: null, file: "binlog.000042", pos: 4n, gtid: "0-1-99" },
    ],
    ["longs beyond 2^52", { ...base, lsn: 2n ** 63n - 1n, commitTsMs: -(2n ** 60n), pos: 2n ** 52n + 1n }],
    ["long names", { ...base, name: "x".repeat(300), table: "é".repeat(40) }],
  ])("writes the source block of %s as avsc does", (_, source) => {
    expect(bytes(recordPartEncoder(writer, ["source"]), source)).toBe(
      bytes(partEncoder(writer, ["source"]), source),
    );
  });

  it.each([
    ["none", null],
    ["a transaction", { id: "771", total_order: 1n, data_collection_order: 1n }],
    ["large orders", { id: "x".repeat(100), total_order: 2n ** 40n, data_collection_order: 2n ** 62n }],
  ])("writes the transaction block (%s) as avsc does", (_, transaction) => {
    expect(bytes(recordPartEncoder(writer, ["transaction"]), transaction)).toBe(
      bytes(partEncoder(writer, ["transaction"]), transaction),
    );
  });

  it.each([
    ["a number where a long goes", { ...base, lsn: 5 }],
    ["a missing field", { ...base, table: undefined }],
    ["a string where a boolean goes", { ...base, snapshot: "yes" }],
    ["a long beyond 64 bits", { ...base, lsn: 2n ** 64n }],
  ])("refuses %s as avsc does", (_, source) => {
    expect(() => bytes(partEncoder(writer, ["source"]), source)).toThrow();
    expect(() => bytes(recordPartEncoder(writer, ["source"]), source)).toThrow();
  });

  it("leaves parts that are not simple records to partEncoder", () => {
    const row = { id: 5 };
    expect(bytes(recordPartEncoder(writer, ["after"]), row)).toBe(bytes(partEncoder(writer, ["after"]), row));
  });
});
