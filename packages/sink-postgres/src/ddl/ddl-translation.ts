/**
 * A source table's schema change (`<prefix>._schema_changes`) → the DDL that gives its target
 * table the same shape, through the sink's name mapping (pure). The change carries the table's
 * new column list; the plan is the difference between that list and the target table as it is,
 * with the statement text telling renames apart from a drop and an add (see `ddl-statement.ts`).
 * Comparing with the target makes a change applied twice a no-op.
 *
 * Applied: CREATE TABLE (with the change's key as primary key), RENAME TABLE, ADD COLUMN (with
 * its default when that is a plain expression, so existing rows get the value the source gave
 * them), RENAME COLUMN, ALTER COLUMN … TYPE; DROP COLUMN and DROP TABLE only with
 * `ddl.drops: true`. Skipped and reported: columns of user types (enum, domain… — autoEvolve adds
 * them from the writer schema), a rename into another target schema, and every change the
 * column list does not show (indexes, constraints, defaults, NOT NULL of existing columns).
 */
import { mapColumnName, mapTableName, type NameMapping } from "../name-mapping.js";
import { parseSourceType } from "../source-type.js";
import { ensureSchema } from "../sql/postgres-types.js";
import { qualifiedName, quoteIdentifier, type SqlStatement, statement } from "../sql/sql-text.js";
import { alterTableClauses } from "./ddl-statement.js";

export interface SchemaChangeColumn {
  readonly name: string;
  readonly sourceType: string;
  readonly nullable: boolean;
  readonly default: string | null;
}

/** The fields of a schema-change event the translation reads. */
export interface SchemaChange {
  /** PostgreSQL schema of the table. */
  readonly schema: string;
  /** The table's name after the statement. */
  readonly table: string;
  /** The table's columns after the statement; empty when it was dropped. */
  readonly columns: readonly SchemaChangeColumn[];
  readonly key: readonly string[];
  readonly statement: string;
}

export interface TargetTableShape {
  readonly exists: boolean;
  /** Column name → type as `format_type` writes it, in column order. */
  readonly columns: ReadonlyMap<string, string>;
}

export const ABSENT: TargetTableShape = { exists: false, columns: new Map() };

export type DdlKind =
  | "create_table"
  | "rename_table"
  | "drop_table"
  | "add_column"
  | "rename_column"
  | "drop_column"
  | "alter_type"
  | "other";

export interface DdlStep {
  readonly kind: DdlKind;
  /** What the step is about: `schema.table` or `schema.table.column` (target names). */
  readonly subject: string;
}

export interface DdlPlan {
  readonly statements: SqlStatement[];
  readonly applied: DdlStep[];
  readonly skipped: (DdlStep & { readonly reason: string })[];
}

export interface TranslationOptions {
  readonly mapping: NameMapping;
  /** Apply DROP COLUMN and DROP TABLE. */
  readonly drops: boolean;
}

/** The source table a change renamed its table from, when its statement says so. */
export function renamedFrom(change: SchemaChange): string | undefined {
  const rename = alterTableClauses(change.statement).find(
    (clause) => clause.kind === "rename_table" && clause.to === change.table,
  );
  return rename?.table;
}

/**
 * The plan for `change`, given the target table of its (new) name and, when the change renamed
 * its table, the target table of the old name.
 */
export function translateSchemaChange(
  change: SchemaChange,
  target: TargetTableShape,
  options: TranslationOptions,
  previous?: { readonly table: string; readonly shape: TargetTableShape },
): DdlPlan {
  const plan: DdlPlan = { statements: [], applied: [], skipped: [] };
  const { mapping } = options;
  const name = mapTableName(mapping, change.schema, change.table);
  const subject = `${name.schema}.${name.table}`;
  const tableSql = qualifiedName(name.schema, name.table);
  if (change.columns.length === 0) {
    if (!target.exists) return plan;
    if (!options.drops) {
      plan.skipped.push({ kind: "drop_table", subject, reason: "ddl.drops is false" });
      return plan;
    }
    plan.statements.push(statement(`DROP TABLE IF EXISTS ${tableSql}`));
    plan.applied.push({ kind: "drop_table", subject });
    return plan;
  }
  let current = target;
  if (!target.exists && previous !== undefined && previous.shape.exists) {
    const old = mapTableName(mapping, change.schema, previous.table);
    if (old.schema !== name.schema) {
      plan.skipped.push({
        kind: "rename_table",
        subject,
        reason: `the mapping puts ${previous.table} and ${change.table} in different target schemas`,
      });
      return plan;
    }
    plan.statements.push(
      statement(
        `ALTER TABLE ${qualifiedName(old.schema, old.table)} RENAME TO ${quoteIdentifier(name.table)}`,
      ),
    );
    plan.applied.push({ kind: "rename_table", subject });
    current = previous.shape;
  } else if (!target.exists) {
    createTable(change, options, plan);
    return plan;
  }
  alterColumns(change, current, options, plan, tableSql, subject);
  if (plan.applied.length === 0 && plan.skipped.length === 0) {
    plan.skipped.push({ kind: "other", subject, reason: "no change of the columns or the table's name" });
  }
  return plan;
}

function createTable(change: SchemaChange, options: TranslationOptions, plan: DdlPlan): void {
  const name = mapTableName(options.mapping, change.schema, change.table);
  const subject = `${name.schema}.${name.table}`;
  const userTyped = change.columns.filter((column) => builtinType(column.sourceType) === undefined);
  if (userTyped.length > 0) {
    plan.skipped.push({
      kind: "create_table",
      subject,
      reason: `column(s) ${userTyped.map((c) => c.name).join(", ")} of user types: autoCreate creates it from the first event`,
    });
    return;
  }
  const target = (column: string) => mapColumnName(options.mapping, change.schema, change.table, column);
  const definitions = change.columns.map(
    (column) =>
      `  ${quoteIdentifier(target(column.name))} ${builtinType(column.sourceType)}${column.nullable ? "" : " NOT NULL"}`,
  );
  if (change.key.length > 0) {
    definitions.push(
      `  PRIMARY KEY (${change.key.map((column) => quoteIdentifier(target(column))).join(", ")})`,
    );
  }
  plan.statements.push(
    ensureSchema(name.schema),
    statement(
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(name.schema, name.table)} (\n${definitions.join(",\n")}\n)`,
    ),
  );
  plan.applied.push({ kind: "create_table", subject });
}

function alterColumns(
  change: SchemaChange,
  shape: TargetTableShape,
  options: TranslationOptions,
  plan: DdlPlan,
  tableSql: string,
  subject: string,
): void {
  const target = (column: string) => mapColumnName(options.mapping, change.schema, change.table, column);
  const columns = new Map(shape.columns);
  const wanted = new Map(change.columns.map((column) => [target(column.name), column]));
  const clauses = alterTableClauses(change.statement);
  const alter = (clause: string, kind: DdlKind, column: string) => {
    plan.statements.push(statement(`ALTER TABLE ${tableSql} ${clause}`));
    plan.applied.push({ kind, subject: `${subject}.${column}` });
  };
  for (const clause of clauses) {
    if (clause.kind !== "rename_column") continue;
    // A column mapped by name under the table's old name keeps that mapping only if the user renames it too.
    const from = target(clause.from);
    const to = target(clause.to);
    if (columns.has(from) && !columns.has(to) && wanted.has(to) && !wanted.has(from)) {
      alter(`RENAME COLUMN ${quoteIdentifier(from)} TO ${quoteIdentifier(to)}`, "rename_column", to);
      columns.set(to, columns.get(from) as string);
      columns.delete(from);
    }
  }
  for (const [name, column] of wanted) {
    const type = builtinType(column.sourceType);
    const present = columns.get(name);
    if (type === undefined) {
      if (present === undefined) {
        plan.skipped.push({
          kind: "add_column",
          subject: `${subject}.${name}`,
          reason: `type ${column.sourceType} is a user type: autoEvolve adds it from the writer schema`,
        });
      }
      continue;
    }
    if (present === undefined) {
      const fill = plainDefault(column.default);
      const notNull = !column.nullable && fill !== null ? " NOT NULL" : "";
      alter(
        `ADD COLUMN IF NOT EXISTS ${quoteIdentifier(name)} ${type}${fill === null ? "" : ` DEFAULT ${fill}`}${notNull}`,
        "add_column",
        name,
      );
    } else if (present !== type) {
      const quoted = quoteIdentifier(name);
      alter(`ALTER COLUMN ${quoted} TYPE ${type} USING ${quoted}::${type}`, "alter_type", name);
    }
  }
  for (const clause of clauses) {
    if (clause.kind !== "drop_column") continue;
    const name = target(clause.column);
    if (!columns.has(name) || wanted.has(name)) continue;
    if (!options.drops) {
      plan.skipped.push({ kind: "drop_column", subject: `${subject}.${name}`, reason: "ddl.drops is false" });
      continue;
    }
    alter(`DROP COLUMN IF EXISTS ${quoteIdentifier(name)}`, "drop_column", name);
  }
}

/** The target type of a built-in source type (`numeric(12,2)`, `text[]`); undefined for a user type. */
export function builtinType(sourceType: string): string | undefined {
  const parsed = parseSourceType(sourceType);
  if (parsed.userType !== null) return undefined;
  return `${parsed.element}${parsed.dimensions > 0 ? "[]" : ""}`;
}

/**
 * A default the target can evaluate as the source did: none that reads a sequence (the target
 * has not got it, and the values come from the source anyway) or names a schema-qualified object.
 */
function plainDefault(expression: string | null): string | null {
  if (expression === null) return null;
  if (
    /nextval\s*\(/i.test(expression) ||
    /(?:^|[^\w"])"?[A-Za-z_][\w$]*"?\s*\.\s*"?[A-Za-z_]/.test(expression.replace(/'(?:[^']|'')*'/g, "''"))
  )
    return null;
  return expression;
}
