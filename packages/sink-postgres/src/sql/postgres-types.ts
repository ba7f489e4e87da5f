/**
 * Column types of created PostgreSQL tables (type binding), and the user types they need.
 *
 * From a PostgreSQL source a column keeps its exact type (`tributary.sourceType`: lengths,
 * precisions, arrays). Enums, composites, ranges and the multiranges of user ranges are recreated
 * from the facts the source sends (`labels`, `attributes`, `subtype`, `multirangeOf` and
 * `rangeSubtype`) in the table's mapped schema; a domain becomes its
 * base type (its constraints are not sent); another type outside `pg_catalog` (an extension's)
 * is kept when the target has it. Every other column, and every column from another source,
 * gets the PostgreSQL type that holds every value of its Avro type.
 */
import type { ColumnType } from "@tributary/core";
import { isBuiltinType, parseSourceType } from "../source-type.js";
import type { ColumnModel, TableModel } from "../table-model.js";
import {
  createIfMissing,
  doBlock,
  dollarQuote,
  qualifiedName,
  quoteIdentifier,
  quoteLiteral,
  type SqlStatement,
  statement,
} from "./sql-text.js";

export interface TypeOptions {
  /**
   * Types the target has, as unquoted `schema.name` (e.g. from pg_type): a source column of a
   * type outside `pg_catalog` with no recipe keeps that type when the target has it, under its
   * mapped schema or else its source schema.
   */
  readonly knownTypes?: ReadonlySet<string>;
}

export type UserTypeRecipe =
  | { readonly kind: "enum"; readonly labels: readonly string[] }
  | {
      readonly kind: "composite";
      readonly attributes: readonly { readonly name: string; readonly type: string }[];
    }
  | { readonly kind: "range"; readonly subtype: string }
  /** The multirange of a user range: created by creating that range (`range`: its unquoted name). */
  | { readonly kind: "multirange"; readonly range: string; readonly subtype: string };

/** The PostgreSQL type that holds every value of an Avro column type. */
export function avroPostgresType(type: ColumnType): string {
  switch (type.kind) {
    case "boolean":
      return "boolean";
    case "int":
      return "integer";
    case "long":
      return "bigint";
    case "float":
      return "real";
    case "double":
      return "double precision";
    case "string":
      return "text";
    case "bytes":
      return "bytea";
    case "decimal":
      // PostgreSQL declares at most 1000 digits; beyond that only an unconstrained numeric holds the values.
      return type.precision <= 1000 ? `numeric(${type.precision},${type.scale})` : "numeric";
    case "date":
      return "date";
    case "time-micros":
      return "time without time zone";
    case "timestamp-micros":
      return "timestamp with time zone";
    case "local-timestamp-micros":
      return "timestamp without time zone";
    case "uuid":
      return "uuid";
    case "array":
      return `${avroPostgresType(type.items)}[]`;
  }
}

/** How to recreate a column's user type from its source properties; null when they do not say. */
export function userTypeRecipe(column: ColumnModel): UserTypeRecipe | null {
  if (column.userType === null) return null;
  const { labels, attributes, subtype } = column.properties;
  if (Array.isArray(labels) && labels.every((label) => typeof label === "string")) {
    return { kind: "enum", labels };
  }
  if (
    Array.isArray(attributes) &&
    attributes.length > 0 &&
    attributes.every(
      (attribute: { name?: unknown; type?: unknown }) =>
        typeof attribute === "object" &&
        attribute !== null &&
        typeof attribute.name === "string" &&
        typeof attribute.type === "string" &&
        isBuiltinType(attribute.type),
    )
  ) {
    return { kind: "composite", attributes: attributes as { name: string; type: string }[] };
  }
  if (typeof subtype === "string" && isBuiltinType(subtype)) {
    return { kind: "range", subtype };
  }
  const { multirangeOf, rangeSubtype } = column.properties;
  if (typeof multirangeOf === "string" && typeof rangeSubtype === "string" && isBuiltinType(rangeSubtype)) {
    const range = parseSourceType(multirangeOf).userType;
    if (range !== null && range.modifier === "")
      return { kind: "multirange", range: range.name, subtype: rangeSubtype };
  }
  return null;
}

function knows(options: TypeOptions, schema: string, name: string): boolean {
  return options.knownTypes?.has(`${schema}.${name}`) === true;
}

/** Nesting depth of an Avro array type (0 for a scalar). */
function arrayDepth(type: ColumnType): number {
  return type.kind === "array" ? 1 + arrayDepth(type.items) : 0;
}

/**
 * `[]` for each level of the column's values. format_type writes one `[]` whatever the declared
 * dimensions, but the Avro type has one array per dimension; declaring them all keeps a target
 * that is itself replicated reading its values with the right shape.
 */
function brackets(column: ColumnModel, declared: number): string {
  return declared > 0 ? "[]".repeat(Math.max(declared, arrayDepth(column.type))) : "";
}

/** The type of a created PostgreSQL column. */
export function postgresColumnType(
  column: ColumnModel,
  table: TableModel,
  options: TypeOptions = {},
): string {
  if (table.fromPostgres && column.sourceType !== null) {
    const ref = column.userType;
    if (ref === null) {
      const parsed = parseSourceType(column.sourceType);
      return `${parsed.element}${brackets(column, parsed.dimensions)}`;
    }
    const dimensions = brackets(column, ref.dimensions);
    if (userTypeRecipe(column) !== null || knows(options, ref.schema, ref.name)) {
      return `${qualifiedName(ref.schema, ref.name)}${ref.modifier}${dimensions}`;
    }
    if (knows(options, ref.sourceSchema, ref.sourceName)) {
      return `${qualifiedName(ref.sourceSchema, ref.sourceName)}${ref.modifier}${dimensions}`;
    }
    const baseType = column.properties.baseType;
    if (typeof baseType === "string" && isBuiltinType(baseType)) {
      return `${baseType}${dimensions}`;
    }
  }
  return avroPostgresType(column.type);
}

/** A statement that creates a schema unless it exists (without needing CREATE on the database when it does). */
export function ensureSchema(schema: string): SqlStatement {
  return statement(
    doBlock(
      `IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = ${quoteLiteral(schema)}) THEN\n` +
        `    CREATE SCHEMA ${quoteIdentifier(schema)};\n  END IF;\n` +
        "EXCEPTION WHEN duplicate_schema OR unique_violation THEN NULL;",
    ),
  );
}

/**
 * Statements that create the user types `columns` use and the target lacks (each once, its
 * schema first), for a PostgreSQL source. Types already there are left as they are.
 */
export function userTypeStatements(columns: readonly ColumnModel[], tableSchema: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  const seen = new Set<string>();
  const schemas = new Set<string>([tableSchema]);
  for (const column of columns) {
    const ref = column.userType;
    const recipe = userTypeRecipe(column);
    if (ref === null || recipe === null) continue;
    const name = qualifiedName(ref.schema, ref.name);
    if (seen.has(name)) continue;
    seen.add(name);
    if (!schemas.has(ref.schema)) {
      schemas.add(ref.schema);
      statements.push(ensureSchema(ref.schema));
    }
    statements.push(statement(createIfMissing(createTypeDdl(ref.schema, name, recipe))));
  }
  return statements;
}

function createTypeDdl(schema: string, name: string, recipe: UserTypeRecipe): string {
  switch (recipe.kind) {
    case "enum":
      return `CREATE TYPE ${name} AS ENUM (${recipe.labels.map(quoteLiteral).join(", ")})`;
    case "composite":
      return `CREATE TYPE ${name} AS (${recipe.attributes
        .map((attribute) => `${quoteIdentifier(attribute.name)} ${attribute.type}`)
        .join(", ")})`;
    case "range":
      return `CREATE TYPE ${name} AS RANGE (SUBTYPE = ${recipe.subtype})`;
    case "multirange":
      // Fails as a duplicate when the range exists (with its own multirange): then that one is used.
      return (
        `CREATE TYPE ${qualifiedName(schema, recipe.range)} AS RANGE ` +
        `(SUBTYPE = ${recipe.subtype}, MULTIRANGE_TYPE_NAME = ${name})`
      );
  }
}

/**
 * For every enum the columns use: a DO block that adds the source's labels the target enum
 * lacks, each in the source's place (after the label before it, or before the first existing
 * label when it is the first), so a target enum follows a newer source schema. PostgreSQL lets a
 * transaction use an added label only after it commits: run these in their own transaction
 * before applying rows (PostgreSQL 12+ for ADD VALUE inside a block).
 */
export function enumLabelStatements(columns: readonly ColumnModel[]): SqlStatement[] {
  const statements: SqlStatement[] = [];
  const seen = new Set<string>();
  for (const column of columns) {
    const ref = column.userType;
    const recipe = userTypeRecipe(column);
    if (ref === null || recipe?.kind !== "enum" || recipe.labels.length === 0) continue;
    const name = qualifiedName(ref.schema, ref.name);
    if (seen.has(name)) continue;
    seen.add(name);
    statements.push(statement(addMissingLabels(name, recipe.labels)));
  }
  return statements;
}

function addMissingLabels(name: string, labels: readonly string[]): string {
  const type = quoteLiteral(name);
  return (
    "DO " +
    dollarQuote(
      `
DECLARE
  labels text[] := ARRAY[${labels.map(quoteLiteral).join(", ")}]::text[];
  present text[] := ARRAY(SELECT enumlabel::text FROM pg_catalog.pg_enum WHERE enumtypid = ${type}::regtype);
  anchor text;
BEGIN
  FOR i IN 1 .. cardinality(labels) LOOP
    CONTINUE WHEN labels[i] = ANY (present);
    IF i > 1 THEN
      EXECUTE format('ALTER TYPE %s ADD VALUE %L AFTER %L', ${type}, labels[i], labels[i - 1]);
    ELSE
      SELECT label INTO anchor FROM unnest(labels[2:]) AS label WHERE label = ANY (present) LIMIT 1;
      IF anchor IS NULL THEN
        EXECUTE format('ALTER TYPE %s ADD VALUE %L', ${type}, labels[i]);
      ELSE
        EXECUTE format('ALTER TYPE %s ADD VALUE %L BEFORE %L', ${type}, labels[i], anchor);
      END IF;
    END IF;
    present := present || labels[i];
  END LOOP;
END
`,
    )
  );
}

const CHARACTER_TYPE =
  /^(?:character varying|varchar|character|char|bpchar|national character varying|national character|nchar|varchar2|nvarchar2)\s*\(\s*\d+(?:\s+(?:byte|char))?\s*\)((?:\[\])*)$/i;
const BIT_TYPE = /^(?:bit varying|varbit|bit)\s*\(\s*\d+\s*\)((?:\[\])*)$/i;

/**
 * The type to cast bound text to before it is assigned to a column of `type`. An explicit cast
 * to `varchar(n)`, `char(n)` or `bit(n)` cuts or pads a value that does not fit; a cast to the
 * unbounded type leaves the length check to the assignment, which refuses it instead.
 */
export function assignmentCastType(type: string): string {
  const character = CHARACTER_TYPE.exec(type);
  if (character !== null) return `text${character[1]}`;
  const bit = BIT_TYPE.exec(type);
  if (bit !== null) return `varbit${bit[1]}`;
  return type;
}
