/**
 * Source names → target names (DESIGN.md section 5): explicit renames of schemas, tables and
 * columns, then the capitalization policy for every name no rename gave. A name a rename gives
 * is taken exactly as written; `capitalization` only changes names carried over from the
 * source.
 */
import { mappingInvalid } from "./errors.js";

export type Capitalization = "source" | "lower" | "upper";

export interface NameMapping {
  /** Source schema (MariaDB/MySQL: database) → target schema. */
  readonly schemas?: Readonly<Record<string, string>>;
  /** `"schema.table"` → `"schema.table"` (or just `"table"`, keeping the schema the schema mapping gives). */
  readonly tables?: Readonly<Record<string, string>>;
  /** `"schema.table.column"` (source names) → target column name. */
  readonly columns?: Readonly<Record<string, string>>;
  readonly capitalization: Capitalization;
}

export const DEFAULT_MAPPING: NameMapping = { capitalization: "source" };

export interface TargetTableName {
  readonly schema: string;
  readonly table: string;
}

export function capitalize(name: string, policy: Capitalization): string {
  switch (policy) {
    case "source":
      return name;
    case "lower":
      return name.toLowerCase();
    case "upper":
      return name.toUpperCase();
  }
}

function lookup(record: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The target schema of a source schema (tables and the user types their columns use). */
export function mapSchemaName(mapping: NameMapping, sourceSchema: string): string {
  return lookup(mapping.schemas, sourceSchema) ?? capitalize(sourceSchema, mapping.capitalization);
}

/** The target schema and table of a source table. */
export function mapTableName(
  mapping: NameMapping,
  sourceSchema: string,
  sourceTable: string,
): TargetTableName {
  const key = `${sourceSchema}.${sourceTable}`;
  const renamed = lookup(mapping.tables, key);
  if (renamed === undefined) {
    return {
      schema: mapSchemaName(mapping, sourceSchema),
      table: capitalize(sourceTable, mapping.capitalization),
    };
  }
  const parts = parseQualifiedName(renamed, `tables["${key}"]`);
  return parts.length === 2
    ? { schema: parts[0] as string, table: parts[1] as string }
    : { schema: mapSchemaName(mapping, sourceSchema), table: parts[0] as string };
}

/** The target name of a source column. */
export function mapColumnName(
  mapping: NameMapping,
  sourceSchema: string,
  sourceTable: string,
  sourceColumn: string,
): string {
  return (
    lookup(mapping.columns, `${sourceSchema}.${sourceTable}.${sourceColumn}`) ??
    capitalize(sourceColumn, mapping.capitalization)
  );
}

/**
 * `table`, `schema.table`, or either part in double quotes (`"my.schema"."Orders"`, `""` for a
 * quote inside) → its one or two names.
 */
export function parseQualifiedName(text: string, where: string): string[] {
  const parts: string[] = [];
  let position = 0;
  const fail = (reason: string) =>
    mappingInvalid(
      `${where} is "${text}", which is not a table name: ${reason}; write table, schema.table, or quote a part ` +
        'that holds a dot ("my.schema".orders)',
      { where },
    );
  for (;;) {
    let name: string;
    if (text.charAt(position) === '"') {
      let end = position + 1;
      name = "";
      for (;;) {
        const quote = text.indexOf('"', end);
        if (quote < 0) throw fail("a quoted part has no closing quote");
        name += text.slice(end, quote);
        if (text.charAt(quote + 1) === '"') {
          name += '"';
          end = quote + 2;
        } else {
          position = quote + 1;
          break;
        }
      }
    } else {
      const dot = text.indexOf(".", position);
      const end = dot < 0 ? text.length : dot;
      name = text.slice(position, end);
      if (name.includes('"')) throw fail("a quote inside an unquoted part");
      position = end;
    }
    if (name === "") throw fail("an empty part");
    parts.push(name);
    if (position === text.length) break;
    if (text.charAt(position) !== ".") throw fail("text after a quoted part");
    position++;
  }
  if (parts.length > 2) throw fail("more than two parts");
  return parts;
}
