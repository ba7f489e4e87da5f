/**
 * The key and value (envelope) schemas of a table's topic, built from a description of the
 * table's columns (DESIGN.md section 2).
 */
import { TributaryError } from "../errors/TributaryError.js";
import { ARRAY_LOWER_BOUNDS_FIELD } from "../events/array-bounds.js";
import type { ColumnValue } from "../events/change-event.js";
import { toAvroName, toUniqueAvroNames } from "./avro-names.js";
import type { AvroField, AvroJson, AvroRecordSchema, AvroSchema } from "./avro-schema.js";
import { stableJson } from "./canonical-form.js";
import { DecimalRangeError, toUnscaled, unscaledToBytes } from "./decimal.js";
import { fixedSchemas } from "./fixed-schemas.js";
import { NUMERIC_SPECIAL_LOGICAL_TYPE, NUMERIC_SPECIAL_VALUES } from "./logical-types.js";

export type ColumnType =
  | { kind: "boolean" }
  | { kind: "int" }
  | { kind: "long" }
  | { kind: "float" }
  | { kind: "double" }
  | { kind: "string" }
  | { kind: "bytes" }
  | {
      kind: "decimal";
      precision: number;
      scale: number;
      /**
       * The column may also hold `NaN`, `Infinity` and `-Infinity` (PostgreSQL `numeric`). The
       * Avro type is then the union of the decimal and a string branch of logical type
       * `tributary-numeric-special` holding exactly one of those three words; in memory both are
       * strings (`"12.50"`, `"NaN"`).
       */
      specialValues?: boolean;
    }
  | { kind: "date" }
  | { kind: "time-micros" }
  | { kind: "timestamp-micros" }
  | { kind: "local-timestamp-micros" }
  | { kind: "uuid" }
  | { kind: "array"; items: ColumnType; itemsNullable: boolean };

export interface ColumnDescription {
  /** Column name as in the source database. */
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** Default value in the codec's in-memory form; only used for non-nullable columns. */
  default?: ColumnValue;
  /** Source column type with modifiers, e.g. `numeric(38,10)`, `timestamptz(6)`, `mood`. */
  sourceType: string;
  /** Extra facts about the source type (e.g. enum `labels`), stored as `tributary.<name>` properties. */
  sourceProperties?: Record<string, unknown>;
}

export interface TableDescription {
  database: string;
  /** PostgreSQL schema; null for MariaDB/MySQL. */
  schema: string | null;
  table: string;
  columns: ColumnDescription[];
  /** Key column names in key order; empty for a table without any key. */
  key: string[];
}

export interface TableSchemas {
  /** Record `Key` of the key columns; null when the table has no key. */
  readonly key: AvroRecordSchema | null;
  /**
   * Record `Envelope` (before, after, unchanged, op, source, origin, ts_ms, transaction, and
   * array_lower_bounds when the table has an array column).
   */
  readonly value: AvroRecordSchema;
  /** Column name → Avro field name (they differ only for names Avro cannot hold). */
  readonly fieldNames: ReadonlyMap<string, string>;
}

/** Field property holding the original column name when the field name had to be sanitized. */
export const COLUMN_PROPERTY = "tributary.column";
/** Field property holding the source column type. */
export const SOURCE_TYPE_PROPERTY = "tributary.sourceType";

/** The source column name of a row field: its `tributary.column` property, else the field name. */
export function columnNameOf(field: AvroField): string {
  const original = field[COLUMN_PROPERTY];
  return typeof original === "string" ? original : field.name;
}

/** `tributary.<database>[.<schema>].<table>`, each part made a valid Avro name. */
export function tableNamespace(table: Pick<TableDescription, "database" | "schema" | "table">): string {
  const parts = ["tributary", toAvroName(table.database)];
  if (table.schema !== null) {
    parts.push(toAvroName(table.schema));
  }
  parts.push(toAvroName(table.table));
  return parts.join(".");
}

export function buildTableSchemas(table: TableDescription): TableSchemas {
  const where = `table ${[table.database, table.schema, table.table].filter((p) => p !== null).join(".")}`;
  const columns = new Map<string, ColumnDescription>();
  for (const column of table.columns) {
    if (columns.has(column.name)) {
      throw invalid(`${where} lists column ${column.name} twice`);
    }
    columns.set(column.name, column);
  }
  const keyColumns = table.key.map((name) => {
    const column = columns.get(name);
    if (column === undefined) {
      throw invalid(`${where} has key column ${name}, which is not among its columns`);
    }
    return column;
  });
  if (new Set(table.key).size !== table.key.length) {
    throw invalid(`${where} lists a key column twice: ${table.key.join(", ")}`);
  }

  const fieldNames = toUniqueAvroNames(table.columns.map((column) => column.name));
  const fields = new Map<string, AvroField>();
  for (const column of table.columns) {
    fields.set(column.name, columnField(column, fieldNames.get(column.name) ?? column.name, where));
  }

  const namespace = tableNamespace(table);
  const tableProperties = {
    "tributary.database": table.database,
    "tributary.schema": table.schema,
    "tributary.table": table.table,
  };
  const row: AvroRecordSchema = {
    type: "record",
    name: "Value",
    namespace,
    doc: "A row image of the table.",
    ...tableProperties,
    fields: [...fields.values()],
  };
  const key: AvroRecordSchema | null =
    keyColumns.length === 0
      ? null
      : {
          type: "record",
          name: "Key",
          namespace,
          doc: "The key columns of the table, in key order.",
          ...tableProperties,
          "tributary.key": [...table.key],
          fields: keyColumns.map((column) => fields.get(column.name) as AvroField),
        };
  const fixed = fixedSchemas();
  const value: AvroRecordSchema = {
    type: "record",
    name: "Envelope",
    namespace,
    doc: "One row change of the table.",
    ...tableProperties,
    "tributary.key": [...table.key],
    fields: [
      {
        name: "before",
        type: ["null", row],
        default: null,
        doc: "Row image before the change; null for an insert or when no old image is available.",
      },
      {
        name: "after",
        type: ["null", `${namespace}.Value`],
        default: null,
        doc: "Row image after the change; null for a delete.",
      },
      {
        name: "unchanged",
        type: { type: "array", items: "string" },
        default: [],
        doc: "Columns whose value the database did not send (unchanged TOAST); leave them as they are.",
      },
      { name: "op", type: "string", doc: "c insert, u update, d delete, r snapshot read, t truncate." },
      { name: "source", type: fixed.source, doc: "Where the change comes from." },
      {
        name: "origin",
        type: "string",
        doc: "Origin id of the database where the change was first committed.",
      },
      {
        name: "ts_ms",
        type: "long",
        doc: "When the connector produced the event, milliseconds since the epoch.",
      },
      {
        name: "transaction",
        type: ["null", fixed.transaction],
        default: null,
        doc: "Position of the event in its transaction, or null.",
      },
      ...(table.columns.some((column) => column.type.kind === "array")
        ? [
            {
              name: ARRAY_LOWER_BOUNDS_FIELD,
              type: ["null", fixed.arrayLowerBounds],
              default: null,
              doc: "Lower bounds of the images' arrays that do not start at 1, or null when all do.",
            },
          ]
        : []),
    ],
  };
  return { key, value, fieldNames };
}

/**
 * `schema` with a leading null branch. A union (a decimal with special values) gets the null
 * added to its own branches, since Avro forbids a union directly inside a union.
 */
function nullableAvro(schema: AvroSchema): AvroSchema {
  return Array.isArray(schema) ? ["null", ...schema] : ["null", schema];
}

/**
 * The Avro type of a column type (without the null branch of a nullable column). A decimal with
 * `specialValues` is a union (see `nullableAvro`).
 */
export function columnTypeToAvro(type: ColumnType): AvroSchema {
  switch (type.kind) {
    case "boolean":
    case "int":
    case "long":
    case "float":
    case "double":
    case "string":
    case "bytes":
      return type.kind;
    case "decimal": {
      const { precision, scale } = type;
      if (
        !Number.isSafeInteger(precision) ||
        precision < 1 ||
        !Number.isSafeInteger(scale) ||
        scale < 0 ||
        scale > precision
      ) {
        throw invalid(
          `decimal(${precision},${scale}) is not a valid decimal: need 1 <= precision and 0 <= scale <= precision`,
        );
      }
      const decimal: AvroSchema = { type: "bytes", logicalType: "decimal", precision, scale };
      return type.specialValues === true
        ? [decimal, { type: "string", logicalType: NUMERIC_SPECIAL_LOGICAL_TYPE }]
        : decimal;
    }
    case "date":
      return { type: "int", logicalType: "date" };
    case "time-micros":
    case "timestamp-micros":
    case "local-timestamp-micros":
      return { type: "long", logicalType: type.kind };
    case "uuid":
      return { type: "string", logicalType: "uuid" };
    case "array": {
      const items = columnTypeToAvro(type.items);
      return { type: "array", items: type.itemsNullable ? nullableAvro(items) : items };
    }
  }
}

function columnField(column: ColumnDescription, name: string, where: string): AvroField {
  const avroType = columnTypeToAvro(column.type);
  const properties: Record<string, unknown> = {};
  for (const [property, value] of Object.entries(column.sourceProperties ?? {})) {
    try {
      stableJson(value);
    } catch (error) {
      throw invalid(`${where}, column ${column.name}: source property ${property} is not JSON`, error);
    }
    properties[`tributary.${property}`] = value;
  }
  properties[SOURCE_TYPE_PROPERTY] = column.sourceType;
  if (name !== column.name) {
    properties[COLUMN_PROPERTY] = column.name;
  }
  if (column.nullable) {
    return { name, type: nullableAvro(avroType), default: null, ...properties };
  }
  const avroDefault =
    column.default === undefined || column.default === null
      ? undefined
      : defaultToAvroJson(column.type, column.default, `${where}, column ${column.name}`);
  return avroDefault === undefined
    ? { name, type: avroType, ...properties }
    : { name, type: avroType, default: avroDefault, ...properties };
}

/**
 * A column default in Avro's JSON form for field defaults: bytes and decimals as ISO-8859-1
 * strings of their bytes, longs as JSON numbers. Returns undefined for values JSON cannot
 * carry exactly (NaN, ±Infinity, longs beyond 2^53) and for a decimal's special values (a
 * union's default must be of its first branch): the field then has no Avro default (Avro
 * defaults only serve readers of older data; the source keeps the real one).
 */
export function defaultToAvroJson(type: ColumnType, value: ColumnValue, where: string): AvroJson | undefined {
  const mismatch = (expected: string) =>
    invalid(`${where}: the default must be ${expected} for a ${type.kind} column, got ${typeof value}`);
  switch (type.kind) {
    case "boolean":
      if (typeof value !== "boolean") throw mismatch("a boolean");
      return value;
    case "int":
    case "date":
      if (typeof value !== "number" || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
        throw mismatch("a 32-bit integer number");
      }
      return value;
    case "long":
    case "time-micros":
    case "timestamp-micros":
    case "local-timestamp-micros":
      if (typeof value === "bigint") {
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(value)
          : undefined;
      }
      if (typeof value !== "number" || !Number.isSafeInteger(value)) throw mismatch("a bigint");
      return value;
    case "float":
    case "double":
      if (typeof value !== "number") throw mismatch("a number");
      return Number.isFinite(value) ? value : undefined;
    case "string":
    case "uuid":
      if (typeof value !== "string") throw mismatch("a string");
      return value;
    case "bytes":
      if (!Buffer.isBuffer(value)) throw mismatch("a Buffer");
      return value.toString("latin1");
    case "decimal":
      if (
        type.specialValues === true &&
        typeof value === "string" &&
        NUMERIC_SPECIAL_VALUES.includes(value)
      ) {
        // Avro takes a union field's default from its first branch, the decimal.
        return undefined;
      }
      try {
        return unscaledToBytes(toUnscaled(value, type.precision, type.scale)).toString("latin1");
      } catch (error) {
        if (error instanceof DecimalRangeError) {
          throw invalid(
            `${where}: the default does not fit decimal(${type.precision},${type.scale}): ${error.message}`,
          );
        }
        throw error;
      }
    case "array": {
      if (!Array.isArray(value)) throw mismatch("an array");
      const items: AvroJson[] = [];
      for (const item of value) {
        if (item === null) {
          if (!type.itemsNullable)
            throw invalid(`${where}: the default holds a null item but items are not nullable`);
          items.push(null);
          continue;
        }
        const json = defaultToAvroJson(type.items, item, where);
        if (json === undefined) {
          return undefined;
        }
        items.push(json);
      }
      return items;
    }
  }
}

function invalid(message: string, cause?: unknown): TributaryError {
  return new TributaryError(
    "TRB_SCHEMA_INVALID",
    `${message}; fix the table description the connector built`,
    {
      cause,
    },
  );
}
