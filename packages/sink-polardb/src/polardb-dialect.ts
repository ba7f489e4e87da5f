/**
 * PolarDB for PostgreSQL in Oracle-compatible mode: created tables take Oracle-mode types
 * (NUMBER, VARCHAR2, CHAR, CLOB, BLOB, RAW, DATE, TIMESTAMP, BINARY_FLOAT/BINARY_DOUBLE); arrays
 * stay PostgreSQL arrays of those, and a PostgreSQL source's types Oracle has no counterpart for
 * (json, jsonb, inet, interval, enums, …) keep the PostgreSQL dialect's type. Statements are the
 * PostgreSQL dialect's.
 */
import {
  type ColumnModel,
  type Dialect,
  familyDialect,
  postgresColumnType,
  type TableModel,
  type TypeOptions,
} from "@tributary/sink-postgres";

/** Oracle's limits: NUMBER holds 38 digits, VARCHAR2 32767 characters (extended), CHAR 2000, RAW 2000 bytes. */
const NUMBER_MAX_PRECISION = 38;
const VARCHAR2_MAX = 32_767;
const CHAR_MAX = 2000;
const RAW_MAX = 2000;

const VARYING = /^(?:character varying|varchar)\((\d+)\)$/i;
const FIXED = /^(?:character|char)\((\d+)\)$/i;
const BINARY = /^(?:binary|varbinary)\((\d+)\)$/i;
const SMALL_INTEGER = /^(?:smallint|tinyint(?:\(\d+\))?(?: unsigned)?|smallint\(\d+\))$/i;
const TIME_PRECISION = /^(?:timestamp|time)\((\d)\)/i;
/** String-typed source types that are plain text, which CLOB holds. */
const PLAIN_TEXT =
  /^(?:text|character varying|varchar|bpchar|tinytext|mediumtext|longtext|enum\(.*|set\(.*)$/i;

function precisionOf(sourceType: string | null): number {
  const match = sourceType === null ? null : TIME_PRECISION.exec(sourceType);
  return match === null ? 6 : Number(match[1]);
}

/** The Oracle-mode type of a created PolarDB column. */
export function polardbColumnType(column: ColumnModel, table: TableModel, options: TypeOptions = {}): string {
  const { type, sourceType } = column;
  if (type.kind === "array") {
    // PolarDB keeps PostgreSQL arrays; only the element type is Oracle's.
    const element: ColumnModel = {
      ...column,
      type: type.items,
      sourceType: sourceType === null ? null : sourceType.replace(/(?:\[\])+$/, ""),
      userType: column.userType === null ? null : { ...column.userType, dimensions: 0 },
    };
    return `${polardbColumnType(element, table, options)}[]`;
  }
  switch (type.kind) {
    case "boolean":
      return "BOOLEAN";
    case "int":
      return sourceType !== null && SMALL_INTEGER.test(sourceType) ? "NUMBER(5)" : "NUMBER(10)";
    case "long":
      return "NUMBER(19)";
    case "float":
      return "BINARY_FLOAT";
    case "double":
      return "BINARY_DOUBLE";
    case "decimal":
      return type.precision <= NUMBER_MAX_PRECISION ? `NUMBER(${type.precision},${type.scale})` : "NUMBER";
    case "date":
      return "DATE";
    case "time-micros":
      return `TIME(${precisionOf(sourceType)})`;
    case "timestamp-micros":
      return `TIMESTAMP(${precisionOf(sourceType)}) WITH TIME ZONE`;
    case "local-timestamp-micros":
      return `TIMESTAMP(${precisionOf(sourceType)})`;
    case "uuid":
      return "VARCHAR2(36)";
    case "bytes": {
      const binary = sourceType === null ? null : BINARY.exec(sourceType);
      return binary !== null && Number(binary[1]) <= RAW_MAX ? `RAW(${binary[1]})` : "BLOB";
    }
    case "string": {
      const varying = sourceType === null ? null : VARYING.exec(sourceType);
      if (varying !== null) return Number(varying[1]) <= VARCHAR2_MAX ? `VARCHAR2(${varying[1]})` : "CLOB";
      const fixed = sourceType === null ? null : FIXED.exec(sourceType);
      if (fixed !== null) return Number(fixed[1]) <= CHAR_MAX ? `CHAR(${fixed[1]})` : "CLOB";
      if (table.fromPostgres && sourceType === "numeric") return "NUMBER";
      if (sourceType === null || !table.fromPostgres || PLAIN_TEXT.test(sourceType)) return "CLOB";
      // Other PostgreSQL types (jsonb, inet, interval, enums, …) exist in PolarDB as they are.
      return postgresColumnType(column, table, options);
    }
  }
}

export const polardbDialect: Dialect = familyDialect({
  name: "polardb",
  columnType: polardbColumnType,
  rowLocator: ["tableoid", "ctid"],
  upsert: "on-conflict",
  tableSuffix: () => "",
  addColumnIfNotExists: true,
});
