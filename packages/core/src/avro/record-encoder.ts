/**
 * A faster `partEncoder` for the small fixed records of an envelope (the source and transaction
 * blocks): a record, or a `["null", record]` union, whose fields are strings, ints, longs,
 * booleans or doubles, each possibly `["null", T]`, is written field by field without avsc.
 * A value that does not fit those types exactly is written through avsc, which also raises
 * its errors; every other schema gets `partEncoder` as it is.
 */

import type { AvroField, AvroRecordSchema, AvroSchema } from "./avro-schema.js";
import type { AvroBinaryWriter } from "./binary-writer.js";
import { type PartEncoder, partEncoder, type WriterSchema } from "./codec.js";

type FieldKind = "string" | "int" | "long" | "boolean" | "double";

interface FieldPlan {
  readonly name: string;
  readonly kind: FieldKind;
  readonly nullable: boolean;
}

const KINDS: ReadonlySet<string> = new Set(["string", "int", "long", "boolean", "double"]);
/** Within ±2^52 a long is written from a number exactly as avsc writes it. */
const SAFE_LONG = 2n ** 52n;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function recordPartEncoder(writer: WriterSchema, path: readonly string[]): PartEncoder {
  const general = partEncoder(writer, path);
  const schema = schemaAt(writer.schema, path);
  if (schema === undefined) return general;
  let nullable = false;
  let record: AvroSchema = schema;
  if (Array.isArray(schema)) {
    const branches = schema as readonly AvroSchema[];
    if (branches.length !== 2 || branches[0] !== "null") return general;
    nullable = true;
    record = branches[1] as AvroSchema;
  }
  const plan = recordPlan(record);
  if (plan === undefined) return general;
  return (value, output) => {
    const start = output.position;
    if (!writeRecord(plan, nullable, value, output)) {
      output.position = start;
      general(value, output);
    }
  };
}

/** The schema of the part at `path` (record field names; a `["null", record]` is stepped through). */
function schemaAt(root: AvroSchema, path: readonly string[]): AvroSchema | undefined {
  let schema: AvroSchema | undefined = root;
  for (const name of path) {
    const record: AvroRecordSchema | undefined = isRecord(schema) ? schema : nullableRecord(schema);
    schema = record?.fields.find((field: AvroField) => field.name === name)?.type;
    if (schema === undefined) return undefined;
  }
  return schema;
}

function nullableRecord(schema: AvroSchema | undefined): AvroRecordSchema | undefined {
  if (!Array.isArray(schema)) return undefined;
  const branches = schema as readonly AvroSchema[];
  const branch = branches.length === 2 && branches[0] === "null" ? branches[1] : undefined;
  return branch !== undefined && isRecord(branch) ? branch : undefined;
}

function isRecord(schema: AvroSchema | undefined): schema is AvroRecordSchema {
  return (
    typeof schema === "object" &&
    schema !== null &&
    !Array.isArray(schema) &&
    (schema as { type?: unknown }).type === "record"
  );
}

function recordPlan(schema: AvroSchema): FieldPlan[] | undefined {
  if (!isRecord(schema)) return undefined;
  const plan: FieldPlan[] = [];
  for (const field of schema.fields) {
    let type: AvroSchema = field.type;
    let nullable = false;
    if (Array.isArray(type)) {
      const branches = type as readonly AvroSchema[];
      if (branches.length !== 2 || branches[0] !== "null") return undefined;
      type = branches[1] as AvroSchema;
      nullable = true;
    }
    if (typeof type !== "string" || !KINDS.has(type)) return undefined;
    plan.push({ name: field.name, kind: type as FieldKind, nullable });
  }
  return plan;
}

/** False, with some bytes written, when a value does not fit its field exactly. */
function writeRecord(
  plan: readonly FieldPlan[],
  nullable: boolean,
  value: unknown,
  output: AvroBinaryWriter,
): boolean {
  if (nullable) {
    if (value === null) {
      output.writeByte(0);
      return true;
    }
    output.writeByte(2);
  }
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  for (const field of plan) {
    const item = record[field.name];
    if (field.nullable) {
      if (item === null) {
        output.writeByte(0);
        continue;
      }
      output.writeByte(2);
    }
    switch (field.kind) {
      case "string":
        if (typeof item !== "string") return false;
        output.writeString(item);
        break;
      case "long":
        if (typeof item !== "bigint" || item > SAFE_LONG || item < -SAFE_LONG) return false;
        output.writeLong(Number(item));
        break;
      case "int":
        if (typeof item !== "number" || !Number.isInteger(item) || item < INT32_MIN || item > INT32_MAX)
          return false;
        output.writeLong(item);
        break;
      case "boolean":
        if (typeof item !== "boolean") return false;
        output.writeBoolean(item);
        break;
      case "double":
        if (typeof item !== "number") return false;
        output.writeDouble(item);
        break;
    }
  }
  return true;
}
