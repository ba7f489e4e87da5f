/**
 * PostgreSQL column type → Tributary column type (DESIGN.md section 2): the Avro type a column's
 * values travel as, and the source type a sink of the same family recreates the column from.
 */
import type { ColumnType } from "@tributary/core";
import type { PgTypeCatalog, PgTypeInfo } from "./PgTypeCatalog.js";
import { PG_TYPE } from "./pg-type-oids.js";
import { formatType, numericTypmod } from "./typmod.js";

export interface PgColumnMapping {
  readonly type: ColumnType;
  /** The column type as `format_type` writes it, types outside `pg_catalog` schema-qualified. */
  readonly sourceType: string;
  /**
   * Facts a sink needs to recreate the type: enum `labels`, a domain's `baseType`, a
   * composite's `attributes`, a range's `subtype`. An array carries its element type's.
   */
  readonly sourceProperties?: Record<string, unknown>;
}

export interface PgColumnOptions {
  /**
   * Dimensions of an array column (`pg_attribute.attndims`); 0 or absent means 1. PostgreSQL
   * does not enforce them, so a value with another number of dimensions is refused by the
   * column's text parser.
   */
  readonly dimensions?: number;
}

const STRING: ColumnType = { kind: "string" };

/** The column type of a base type by its built-in OID; a string for every other one (user OIDs start at 16384). */
function builtinType(oid: number, typmod: number): ColumnType {
  switch (oid) {
    case PG_TYPE.int2:
    case PG_TYPE.int4:
      return { kind: "int" };
    case PG_TYPE.int8:
    case PG_TYPE.oid:
      return { kind: "long" };
    case PG_TYPE.float4:
      return { kind: "float" };
    case PG_TYPE.float8:
      return { kind: "double" };
    case PG_TYPE.numeric:
      return numericType(typmod);
    case PG_TYPE.bool:
      return { kind: "boolean" };
    case PG_TYPE.bytea:
      return { kind: "bytes" };
    case PG_TYPE.date:
      return { kind: "date" };
    case PG_TYPE.time:
      return { kind: "time-micros" };
    case PG_TYPE.timestamp:
      return { kind: "local-timestamp-micros" };
    case PG_TYPE.timestamptz:
      return { kind: "timestamp-micros" };
    case PG_TYPE.uuid:
      return { kind: "uuid" };
    default:
      return STRING;
  }
}

/**
 * `numeric(p,s)` → a decimal that also holds NaN (PostgreSQL allows NaN in any numeric column).
 * A negative scale (`numeric(2,-3)`: integers, rounded to thousands) becomes decimal(p-s, 0);
 * a scale above the precision (`numeric(3,5)`) becomes decimal(s, s): both hold every value
 * of the column exactly. Unconstrained `numeric` is a string, as its values have no bound.
 */
export function numericType(typmod: number): ColumnType {
  const numeric = numericTypmod(typmod);
  if (numeric === null) {
    return STRING;
  }
  const { precision, scale } = numeric;
  if (scale < 0) {
    return { kind: "decimal", precision: precision - scale, scale: 0, specialValues: true };
  }
  return { kind: "decimal", precision: Math.max(precision, scale), scale, specialValues: true };
}

/** `element` nested `dimensions` deep; only the innermost items are nullable (PostgreSQL has no null sub-arrays). */
export function arrayType(element: ColumnType, dimensions: number): ColumnType {
  let type: ColumnType = { kind: "array", items: element, itemsNullable: true };
  for (let level = 1; level < dimensions; level++) {
    type = { kind: "array", items: type, itemsNullable: false };
  }
  return type;
}

/** The number of nested Avro arrays an array column maps to. */
export function arrayDimensions(options: PgColumnOptions): number {
  const dimensions = options.dimensions ?? 0;
  return dimensions > 0 ? dimensions : 1;
}

/**
 * The mapping of a column of type `typeOid` with modifier `typmod` (`atttypmod`, or the typmod
 * of a pgoutput Relation message). Pure: the type must have been loaded with `catalog.load`.
 */
export function mapColumn(
  typeOid: number,
  typmod: number,
  catalog: PgTypeCatalog,
  options: PgColumnOptions = {},
): PgColumnMapping {
  const info = catalog.get(typeOid);
  const sourceType = formatType(typeOid, typmod, catalog);
  if (info.isArray) {
    const element = mapColumn(info.elementOid, typmod, catalog);
    return withProperties(
      { type: arrayType(element.type, arrayDimensions(options)), sourceType },
      element.sourceProperties,
    );
  }
  switch (info.kind) {
    case "domain": {
      const base = mapColumn(info.baseTypeOid, info.baseTypmod, catalog, options);
      return {
        type: base.type,
        sourceType,
        sourceProperties: { ...base.sourceProperties, baseType: base.sourceType },
      };
    }
    case "enum":
      return { type: STRING, sourceType, sourceProperties: { labels: [...info.enumLabels] } };
    case "composite":
      return { type: STRING, sourceType, sourceProperties: { attributes: attributesOf(info, catalog) } };
    case "range":
      return {
        type: STRING,
        sourceType,
        sourceProperties: { subtype: formatType(info.rangeSubtypeOid, -1, catalog) },
      };
    case "multirange": {
      // A user range's multirange: the sink recreates it with its range type, which it names.
      const range = catalog.get(info.multirangeRangeOid);
      if (range.schema === "pg_catalog") return { type: STRING, sourceType };
      return {
        type: STRING,
        sourceType,
        sourceProperties: {
          multirangeOf: formatType(range.oid, -1, catalog),
          rangeSubtype: formatType(range.rangeSubtypeOid, -1, catalog),
        },
      };
    }
    case "base":
      return { type: builtinType(typeOid, typmod), sourceType };
    default:
      return { type: STRING, sourceType };
  }
}

function attributesOf(info: PgTypeInfo, catalog: PgTypeCatalog): Array<{ name: string; type: string }> {
  return info.attributes.map((attribute) => ({
    name: attribute.name,
    type: formatType(attribute.typeOid, attribute.typmod, catalog),
  }));
}

function withProperties(
  mapping: PgColumnMapping,
  properties: Record<string, unknown> | undefined,
): PgColumnMapping {
  return properties === undefined ? mapping : { ...mapping, sourceProperties: properties };
}
