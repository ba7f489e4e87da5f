import { type AvroSchema, type ColumnType, columnTypeToAvro, isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { avroColumnType } from "../src/avro-column-type.js";
import { array, decimal } from "./support/models.js";

const TYPES: readonly ColumnType[] = [
  { kind: "boolean" },
  { kind: "int" },
  { kind: "long" },
  { kind: "float" },
  { kind: "double" },
  { kind: "string" },
  { kind: "bytes" },
  decimal(12, 2, false),
  decimal(38, 10, true),
  decimal(1, 0, true),
  { kind: "date" },
  { kind: "time-micros" },
  { kind: "timestamp-micros" },
  { kind: "local-timestamp-micros" },
  { kind: "uuid" },
  array({ kind: "int" }),
  array({ kind: "int" }, false),
  array(array(decimal(10, 2)), false),
  array(decimal(5, 0, false)),
  array(array(array({ kind: "timestamp-micros" }), false), false),
];

const plain = (type: ColumnType): ColumnType =>
  type.kind === "decimal" && type.specialValues !== true
    ? { kind: "decimal", precision: type.precision, scale: type.scale }
    : type.kind === "array"
      ? { ...type, items: plain(type.items) }
      : type;

describe("avroColumnType inverts core's columnTypeToAvro", () => {
  it.each(TYPES.map((type) => [JSON.stringify(type), type] as const))("%s", (_, type) => {
    const avro = columnTypeToAvro(type);
    expect(avroColumnType(avro, "f")).toEqual({ type: plain(type), nullable: false });
    const nullable: AvroSchema = Array.isArray(avro) ? ["null", ...avro] : ["null", avro];
    expect(avroColumnType(nullable, "f")).toEqual({ type: plain(type), nullable: true });
  });

  it("takes the null branch in any position", () => {
    expect(avroColumnType(["long", "null"], "f")).toEqual({ type: { kind: "long" }, nullable: true });
  });

  it.each<[string, AvroSchema]>([
    ["a named reference", "tributary.Source"],
    ["a record", { type: "record", name: "R", fields: [] }],
    ["an enum", { type: "enum", name: "E", symbols: ["a"] }],
    ["a map", { type: "map", values: "string" }],
    ["a two-branch union", ["null", "int", "string"]],
    ["timestamp-millis", { type: "long", logicalType: "timestamp-millis" }],
    ["a decimal on fixed", { type: "fixed", name: "F", size: 8, logicalType: "decimal", precision: 10 }],
    ["a special string alone", { type: "string", logicalType: "tributary-numeric-special" }],
  ])("refuses %s", (_, schema) => {
    try {
      avroColumnType(schema, "field x of t");
    } catch (error) {
      expect(isTributaryError(error, "TRB_SINK_SCHEMA_UNSUPPORTED")).toBe(true);
      expect(String(error)).toContain("field x of t");
      return;
    }
    expect.unreachable("accepted");
  });
});
