/**
 * The target table of a topic, derived from the table's writer schemas (core's
 * `buildTableSchemas`) and the sink's name mapping: which columns it has, in which order, under
 * which names, holding which values, and which of them form the key.
 */
import {
  type AvroField,
  type AvroRecordSchema,
  type AvroSchema,
  COLUMN_PROPERTY,
  type ColumnType,
  columnNameOf,
  SOURCE_TYPE_PROPERTY,
} from "@tributary/core";
import { avroColumnType } from "./avro-column-type.js";
import { mappingInvalid, schemaUnsupported } from "./errors.js";
import {
  DEFAULT_MAPPING,
  mapColumnName,
  mapSchemaName,
  mapTableName,
  type NameMapping,
} from "./name-mapping.js";
import { parseSourceType } from "./source-type.js";

export interface ColumnModel {
  /** Target column name (after mapping and capitalization). */
  readonly name: string;
  /** Column name in the source database. */
  readonly sourceName: string;
  /** Avro field name: the key of the column's value in row images, keys and `unchanged`. */
  readonly field: string;
  /** The column's Avro type: the in-memory form of its values. */
  readonly type: ColumnType;
  /** `tributary.sourceType`, e.g. `numeric(12,2)`, `character varying(20)`, `public.mood[]`; null when absent. */
  readonly sourceType: string | null;
  /** The other `tributary.<name>` properties without their prefix: `labels`, `baseType`, `attributes`, `subtype`, `notNull`. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** The source column is NOT NULL (`tributary.notNull`, or a field without a null branch). */
  readonly notNull: boolean;
  /** Position in the key, from 0; null for a column outside the key. */
  readonly keyPosition: number | null;
  /** Separator of array elements in the column's text form: `;` for arrays of `box`, else `,`. */
  readonly arrayDelimiter: string;
  /** A PostgreSQL source column of a type outside `pg_catalog` (enum, domain, composite, range, extension type). */
  readonly userType: UserTypeRef | null;
  /**
   * The column's type on the target as SQL text, when known from the target's catalog (see
   * `withTargetTypes`); statements then cast to it instead of the dialect's type for the column.
   */
  readonly targetType?: string;
}

export interface UserTypeRef {
  /** The type's schema and name in the source, unquoted. */
  readonly sourceSchema: string;
  readonly sourceName: string;
  /** Where the sink creates or looks for it: the source schema through the schema mapping, the source name. */
  readonly schema: string;
  readonly name: string;
  /** Type modifier text after the name, e.g. `(Point,4326)`; empty for none. */
  readonly modifier: string;
  /** Array dimensions of the column (`public.mood[]` → 1). */
  readonly dimensions: number;
}

export interface SourceTable {
  readonly database: string;
  /** PostgreSQL schema; null for MariaDB/MySQL (whose database then plays the schema's part). */
  readonly schema: string | null;
  readonly table: string;
  /** The `source.connector` of the table's events: `postgres`, `mysql`. */
  readonly connector: string;
}

export interface TableModel {
  readonly source: SourceTable;
  /** The source is PostgreSQL: `sourceType` is PostgreSQL type text a target of the family can reuse. */
  readonly fromPostgres: boolean;
  /** Target schema and table. */
  readonly schema: string;
  readonly table: string;
  /** In the order of the row record's fields. */
  readonly columns: readonly ColumnModel[];
  /** Key columns in key order; empty for a table without any key. */
  readonly key: readonly ColumnModel[];
  /** Avro field names of `key`, in key order. */
  readonly keyFields: readonly string[];
  readonly byField: ReadonlyMap<string, ColumnModel>;
}

export interface TableModelOptions {
  /** The `source.connector` of the table's events (`postgres`, `mysql`). */
  readonly sourceConnector: string;
  readonly mapping?: NameMapping;
  /** Longest identifier the target keeps, in UTF-8 bytes (PostgreSQL: 63); longer names are refused, never cut. */
  readonly maxIdentifierBytes?: number;
}

const PROPERTY_PREFIX = "tributary.";

/**
 * The model of a topic's table from its envelope (value) schema and key schema (null for a
 * table without a key). Both are the writer schemas the events were encoded with.
 */
export function buildTableModel(
  value: AvroRecordSchema,
  key: AvroRecordSchema | null,
  options: TableModelOptions,
): TableModel {
  const mapping = options.mapping ?? DEFAULT_MAPPING;
  const source: SourceTable = {
    database: stringProperty(value, "tributary.database") ?? "",
    schema: stringProperty(value, "tributary.schema") ?? null,
    table: stringProperty(value, "tributary.table") ?? "",
    connector: options.sourceConnector,
  };
  const where = `the schema of ${[source.database, source.schema, source.table].filter(Boolean).join(".")}`;
  if (source.table === "") {
    throw schemaUnsupported(
      `${where} has no tributary.table property; it was not written by a Tributary source`,
    );
  }
  const sourceSchema = source.schema ?? source.database;
  const target = mapTableName(mapping, sourceSchema, source.table);
  const row = rowRecord(value, where);
  const keyFields = keyFieldNames(value, key, row, where);
  const fromPostgres = options.sourceConnector === "postgres";
  const columns = row.fields.map((field): ColumnModel => {
    const fieldWhere = `${where}, field ${field.name}`;
    const { type, nullable } = avroColumnType(field.type, fieldWhere);
    const properties: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(field)) {
      if (name.startsWith(PROPERTY_PREFIX) && name !== SOURCE_TYPE_PROPERTY && name !== COLUMN_PROPERTY) {
        properties[name.slice(PROPERTY_PREFIX.length)] = property;
      }
    }
    const sourceName = columnNameOf(field);
    const sourceType = typeof field[SOURCE_TYPE_PROPERTY] === "string" ? field[SOURCE_TYPE_PROPERTY] : null;
    const keyPosition = keyFields.indexOf(field.name);
    const parsed = fromPostgres && sourceType !== null ? parseSourceType(sourceType) : null;
    const userType: UserTypeRef | null =
      parsed === null || parsed.userType === null
        ? null
        : {
            sourceSchema: parsed.userType.schema,
            sourceName: parsed.userType.name,
            schema: mapSchemaName(mapping, parsed.userType.schema),
            name: parsed.userType.name,
            modifier: parsed.userType.modifier,
            dimensions: parsed.dimensions,
          };
    return {
      name: mapColumnName(mapping, sourceSchema, source.table, sourceName),
      sourceName,
      field: field.name,
      type,
      sourceType,
      properties,
      notNull: !nullable || properties.notNull === true || keyPosition >= 0,
      keyPosition: keyPosition >= 0 ? keyPosition : null,
      arrayDelimiter: parsed !== null && parsed.element === "box" && parsed.dimensions > 0 ? ";" : ",",
      userType,
    };
  });
  checkNames(target.schema, target.table, columns, options.maxIdentifierBytes ?? 63);
  const byField = new Map(columns.map((column) => [column.field, column]));
  return {
    source,
    fromPostgres,
    schema: target.schema,
    table: target.table,
    columns,
    key: keyFields.map((field) => byField.get(field) as ColumnModel),
    keyFields,
    byField,
  };
}

/**
 * The model with the target's own column types (target column name → SQL type text, e.g. from
 * `format_type(atttypid, atttypmod)`), which statements cast to. Columns not in `types` keep the
 * dialect's type.
 */
export function withTargetTypes(model: TableModel, types: ReadonlyMap<string, string>): TableModel {
  const columns = model.columns.map((column) => {
    const targetType = types.get(column.name);
    return targetType === undefined ? column : { ...column, targetType };
  });
  const byField = new Map(columns.map((column) => [column.field, column]));
  return {
    ...model,
    columns,
    key: model.keyFields.map((field) => byField.get(field) as ColumnModel),
    byField,
  };
}

/** The model's column of an Avro field name, or an error naming the table. */
export function columnOfField(model: TableModel, field: string): ColumnModel {
  const column = model.byField.get(field);
  if (column === undefined) {
    throw schemaUnsupported(`table ${model.schema}.${model.table} has no column for field ${field}`, {
      field,
    });
  }
  return column;
}

function stringProperty(schema: AvroRecordSchema, name: string): string | undefined {
  const value = schema[name];
  return typeof value === "string" ? value : undefined;
}

/** The `Value` record: the non-null branch of the envelope's `before` field (or the record itself). */
export function rowRecord(value: AvroRecordSchema, where: string): AvroRecordSchema {
  if (value.name !== "Envelope" && !value.name.endsWith(".Envelope")) {
    return value;
  }
  const before = value.fields.find((field) => field.name === "before");
  const branches: readonly AvroSchema[] = Array.isArray(before?.type) ? (before?.type as AvroSchema[]) : [];
  const record = branches.find(
    (branch): branch is AvroRecordSchema =>
      typeof branch === "object" &&
      !Array.isArray(branch) &&
      (branch as { type?: unknown }).type === "record",
  );
  if (record === undefined) {
    throw schemaUnsupported(`${where} has no row record in its before field`);
  }
  return record;
}

function keyFieldNames(
  value: AvroRecordSchema,
  key: AvroRecordSchema | null,
  row: AvroRecordSchema,
  where: string,
): string[] {
  const fields = new Set(row.fields.map((field) => field.name));
  let names: string[];
  if (key !== null) {
    names = key.fields.map((field) => field.name);
  } else {
    // Without a key schema, the envelope's `tributary.key` lists the key's source column names.
    const declared = value["tributary.key"];
    const columns = Array.isArray(declared) ? declared.filter((name) => typeof name === "string") : [];
    const byColumn = new Map<string, AvroField>(row.fields.map((field) => [columnNameOf(field), field]));
    names = columns.map((column) => byColumn.get(column)?.name ?? column);
  }
  for (const name of names) {
    if (!fields.has(name)) {
      throw schemaUnsupported(`${where} has key field ${name}, which is not among the row's fields`, {
        field: name,
      });
    }
  }
  return names;
}

function checkNames(schema: string, table: string, columns: readonly ColumnModel[], maxBytes: number): void {
  const check = (name: string, what: string) => {
    if (name === "" || name.includes("\u0000")) {
      throw mappingInvalid(`the target ${what} name of ${schema}.${table} is empty or holds a NUL character`);
    }
    const bytes = Buffer.byteLength(name, "utf8");
    if (bytes > maxBytes) {
      throw mappingInvalid(
        `the target ${what} name "${name}" is ${bytes} bytes long but the target keeps ${maxBytes}; ` +
          "map it to a shorter name (tables / columns in the sink's mapping) so it is not cut",
        { name },
      );
    }
  };
  check(schema, "schema");
  check(table, "table");
  const seen = new Map<string, string>();
  for (const column of columns) {
    check(column.name, "column");
    const other = seen.get(column.name);
    if (other !== undefined) {
      throw mappingInvalid(
        `source columns ${other} and ${column.sourceName} of ${schema}.${table} both map to target column ` +
          `"${column.name}"; rename one of them in the sink's column mapping or change the capitalization`,
        { column: column.name },
      );
    }
    seen.set(column.name, column.sourceName);
  }
}
