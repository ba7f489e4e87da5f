/**
 * The fixed Avro schemas of the repository's `schemas/` directory: the envelope's source,
 * transaction and array-lower-bounds blocks, heartbeats, schema-change events and conflict records. Read once, on
 * first use, and frozen.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TributaryError } from "../errors/TributaryError.js";
import type { AvroField, AvroRecordSchema, AvroSchema } from "./avro-schema.js";

export interface FixedSchemas {
  /** `tributary.Source` (schemas/source.avsc), the envelope's `source` block. */
  readonly source: AvroRecordSchema;
  /** `tributary.Transaction` (schemas/transaction.avsc). */
  readonly transaction: AvroRecordSchema;
  /** `tributary.ArrayLowerBounds` (schemas/array-lower-bounds.avsc), in envelopes of tables with arrays. */
  readonly arrayLowerBounds: AvroRecordSchema;
  /** `tributary.Heartbeat` (schemas/heartbeat.avsc). */
  readonly heartbeat: AvroRecordSchema;
  /** `tributary.SchemaChange` (schemas/schema-change.avsc), with `tributary.Source` inlined. */
  readonly schemaChange: AvroRecordSchema;
  /** `tributary.Conflict` (schemas/conflict.avsc). */
  readonly conflict: AvroRecordSchema;
}

/**
 * The repository's `schemas/` directory. This module sits at `packages/core/src/avro/` or,
 * compiled, at `packages/core/dist/avro/`: four levels below the repository root either way.
 */
const SCHEMAS_DIRECTORY = new URL("../../../../schemas/", import.meta.url);

export function fixedSchemasDirectory(): string {
  return fileURLToPath(SCHEMAS_DIRECTORY);
}

let loaded: FixedSchemas | undefined;

export function fixedSchemas(): FixedSchemas {
  loaded ??= loadFixedSchemas();
  return loaded;
}

function loadFixedSchemas(): FixedSchemas {
  const source = readRecord("source.avsc", "tributary.Source");
  const transaction = readRecord("transaction.avsc", "tributary.Transaction");
  const arrayLowerBounds = readRecord("array-lower-bounds.avsc", "tributary.ArrayLowerBounds");
  const heartbeat = readRecord("heartbeat.avsc", "tributary.Heartbeat");
  const schemaChange = inlineReferences(readRecord("schema-change.avsc", "tributary.SchemaChange"), {
    "tributary.Source": source,
  });
  const conflict = readRecord("conflict.avsc", "tributary.Conflict");
  return deepFreeze({ source, transaction, arrayLowerBounds, heartbeat, schemaChange, conflict });
}

function readRecord(file: string, fullName: string): AvroRecordSchema {
  const url = new URL(file, SCHEMAS_DIRECTORY);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(url, "utf8"));
  } catch (error) {
    throw new TributaryError(
      "TRB_SCHEMA_INVALID",
      `cannot read the schema file ${fileURLToPath(url)}: ${error instanceof Error ? error.message : String(error)}; ` +
        "the repository's schemas/ directory must be installed next to packages/",
      { cause: error },
    );
  }
  if (!isRecordSchema(parsed) || `${parsed.namespace ?? ""}.${parsed.name}` !== fullName) {
    throw new TributaryError(
      "TRB_SCHEMA_INVALID",
      `the schema file ${fileURLToPath(url)} does not define the record ${fullName}; restore it from the repository`,
    );
  }
  return parsed;
}

function isRecordSchema(value: unknown): value is AvroRecordSchema {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const { type, name, fields } = value as Record<string, unknown>;
  return type === "record" && typeof name === "string" && Array.isArray(fields);
}

/** Replaces the first reference to each named schema by its definition (Avro needs one definition, before later references). */
function inlineReferences(
  record: AvroRecordSchema,
  definitions: Readonly<Record<string, AvroRecordSchema>>,
): AvroRecordSchema {
  const pending = new Map(Object.entries(definitions));
  const visit = (schema: AvroSchema): AvroSchema => {
    if (typeof schema === "string") {
      const definition = pending.get(schema);
      if (definition === undefined) {
        return schema;
      }
      pending.delete(schema);
      return definition;
    }
    if (Array.isArray(schema)) {
      return schema.map(visit);
    }
    const object = schema as Exclude<AvroSchema, string | readonly AvroSchema[]>;
    switch (object.type) {
      case "record":
      case "error":
        return {
          ...object,
          fields: object.fields.map((field: AvroField) => ({ ...field, type: visit(field.type) })),
        };
      case "array":
        return { ...object, items: visit(object.items) };
      case "map":
        return { ...object, values: visit(object.values) };
      default:
        return object;
    }
  };
  const result = visit(record) as AvroRecordSchema;
  if (pending.size > 0) {
    throw new TributaryError(
      "TRB_SCHEMA_INVALID",
      `schema ${record.name} was expected to reference ${[...pending.keys()].join(", ")}`,
    );
  }
  return result;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
  }
  return value;
}
