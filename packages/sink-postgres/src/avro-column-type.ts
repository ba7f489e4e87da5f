/**
 * A row field's Avro type → the column type it was written from (the inverse of core's
 * `columnTypeToAvro`): the in-memory form of its values and what a created column must hold.
 */
import type { AvroSchema, ColumnType } from "@tributary/core";
import { schemaUnsupported } from "./errors.js";

/** Logical type of the string branch beside a decimal that holds NaN / ±Infinity (core's logical-types). */
const NUMERIC_SPECIAL = "tributary-numeric-special";

export interface AvroColumnType {
  readonly type: ColumnType;
  /** The Avro type has a null branch. */
  readonly nullable: boolean;
}

/** The column type of a row field's Avro type; `where` names the field in errors. */
export function avroColumnType(schema: AvroSchema, where: string): AvroColumnType {
  if (Array.isArray(schema)) {
    const branches = schema as readonly AvroSchema[];
    const nonNull = branches.filter((branch) => branch !== "null" && !isNullObject(branch));
    const nullable = nonNull.length < branches.length;
    if (nonNull.length === 1) {
      return { type: plainType(nonNull[0] as AvroSchema, where), nullable };
    }
    if (nonNull.length === 2) {
      const [first, second] = nonNull as [AvroSchema, AvroSchema];
      const decimal = plainType(first, where);
      if (decimal.kind === "decimal" && isNumericSpecial(second)) {
        return { type: { ...decimal, specialValues: true }, nullable };
      }
    }
    throw unsupported(where, "a union other than [null, T] or a decimal with its special values");
  }
  return { type: plainType(schema, where), nullable: false };
}

function isNullObject(schema: AvroSchema): boolean {
  return (
    typeof schema === "object" && !Array.isArray(schema) && (schema as { type?: unknown }).type === "null"
  );
}

function isNumericSpecial(schema: AvroSchema): boolean {
  return (
    typeof schema === "object" &&
    !Array.isArray(schema) &&
    (schema as { type?: unknown }).type === "string" &&
    (schema as { logicalType?: unknown }).logicalType === NUMERIC_SPECIAL
  );
}

function plainType(schema: AvroSchema, where: string): ColumnType {
  if (typeof schema === "string") {
    return primitive(schema, undefined, where);
  }
  if (Array.isArray(schema)) {
    throw unsupported(where, "a union inside a union");
  }
  const object = schema as { type: unknown; logicalType?: unknown; items?: unknown };
  if (object.type === "array") {
    const items = avroColumnType(object.items as AvroSchema, `${where} (array items)`);
    return { kind: "array", items: items.type, itemsNullable: items.nullable };
  }
  if (typeof object.type !== "string") {
    throw unsupported(where, "a nested type object");
  }
  if (object.logicalType === "decimal") {
    const { precision, scale = 0 } = schema as { precision?: unknown; scale?: unknown };
    if (object.type !== "bytes" || typeof precision !== "number" || typeof scale !== "number") {
      throw unsupported(where, "a decimal that is not on bytes with a numeric precision and scale");
    }
    return { kind: "decimal", precision, scale };
  }
  return primitive(
    object.type,
    typeof object.logicalType === "string" ? object.logicalType : undefined,
    where,
  );
}

function primitive(name: string, logicalType: string | undefined, where: string): ColumnType {
  switch (`${name}/${logicalType ?? ""}`) {
    case "boolean/":
      return { kind: "boolean" };
    case "int/":
      return { kind: "int" };
    case "long/":
      return { kind: "long" };
    case "float/":
      return { kind: "float" };
    case "double/":
      return { kind: "double" };
    case "string/":
      return { kind: "string" };
    case "bytes/":
      return { kind: "bytes" };
    case "int/date":
      return { kind: "date" };
    case "long/time-micros":
      return { kind: "time-micros" };
    case "long/timestamp-micros":
      return { kind: "timestamp-micros" };
    case "long/local-timestamp-micros":
      return { kind: "local-timestamp-micros" };
    case "string/uuid":
      return { kind: "uuid" };
    default:
      throw unsupported(
        where,
        logicalType === undefined ? `Avro type ${name}` : `${name} with logical type ${logicalType}`,
      );
  }
}

function unsupported(where: string, what: string) {
  return schemaUnsupported(
    `${where} has ${what}, which no Tributary source writes; the sink applies only the column types of ` +
      "DESIGN.md section 2 (check which connector produced the topic)",
    { where },
  );
}
