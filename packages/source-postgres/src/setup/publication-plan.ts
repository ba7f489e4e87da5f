/**
 * What the publication `tributary_<name>` should contain, and the SQL that gets it there from
 * what it contains now (pure).
 *
 * Strategy:
 * - PostgreSQL 15+ and a superuser: `FOR TABLES IN SCHEMA` for every existing schema whose
 *   tables are ALL selected (an include `<schema>.*`, no exclude touching it), so tables
 *   created there later are published with no restart; `TABLE` for the selected tables of
 *   other schemas and for the helper tables when their schema is not published whole.
 * - Otherwise `FOR TABLE` with the selected tables and the helper tables; `refreshPublication()`
 *   adds tables selected later.
 * A schema that is only partly selected is never published whole: every table of a
 * publication that publishes updates needs a replica identity, or the user's UPDATE and DELETE
 * on it fail — so excluded tables must stay out, and a selected table with REPLICA IDENTITY
 * NOTHING, or with no key and no FULL identity, is refused (left out, and reported) rather than
 * published, and keeps its schema from being published whole.
 * Partitioned tables (13+) are published through their root (`publish_via_partition_root`).
 */
import type { HelperTableKind } from "../capture/helper-tables.js";
import { HELPER_TABLES } from "../capture/helper-tables.js";
import { qualifiedName, quoteIdent } from "./sql-quote.js";
import type { TableSelector } from "./table-selection.js";

export interface QualifiedTable {
  schema: string;
  table: string;
}

export interface CatalogTable extends QualifiedTable {
  oid: number;
  kind: "table" | "partitioned";
  persistence: "permanent" | "unlogged" | "temporary";
  replicaIdentity: "default" | "nothing" | "full" | "index";
  isPartition: boolean;
  /** OIDs of the partitioned tables above it, nearest first (empty unless a partition). */
  ancestors: number[];
  hasPrimaryKey: boolean;
  hasIdentityIndex: boolean;
  /** The current user owns it (or is a member of its owner): needed to publish it when not superuser. */
  owned: boolean;
  /** SELECT on it and USAGE on its schema: needed by the snapshot. */
  canSelect: boolean;
}

/** Why a selected table cannot be published: its updates and deletes would have no old key. */
export type RefusalReason = "replica-identity-nothing" | "no-key";

export interface RefusedTable {
  /** The selected table (a partitioned root when a partition of it is the problem). */
  table: CatalogTable;
  /** The leaf table whose replica identity is missing. */
  leaf: CatalogTable;
  reason: RefusalReason;
}

export interface TableSelectionResult {
  /** Selected and publishable, in catalog order. */
  publishable: CatalogTable[];
  refused: RefusedTable[];
  /** Selected but unlogged: logical decoding never sees them. */
  unlogged: CatalogTable[];
}

export function refusalOf(table: CatalogTable): RefusalReason | undefined {
  if (table.kind !== "table") return undefined;
  switch (table.replicaIdentity) {
    case "nothing":
      return "replica-identity-nothing";
    case "full":
      return undefined;
    case "index":
      return table.hasIdentityIndex ? undefined : "no-key";
    default:
      return table.hasPrimaryKey ? undefined : "no-key";
  }
}

/**
 * The selected tables of the catalog. With `partitionRoots` (PostgreSQL 13+) a selected
 * partitioned table stands for its partitions, which are then not listed themselves; without
 * it, partitioned tables cannot be published and their partitions are selected one by one.
 */
export function selectTables(
  tables: readonly CatalogTable[],
  selector: TableSelector,
  options: { partitionRoots: boolean },
): TableSelectionResult {
  const candidates = tables.filter(
    (t) => (options.partitionRoots || t.kind === "table") && selector.includesTable(t.schema, t.table),
  );
  const candidateOids = new Set(candidates.map((t) => t.oid));
  const result: TableSelectionResult = { publishable: [], refused: [], unlogged: [] };
  for (const table of candidates) {
    if (options.partitionRoots && table.ancestors.some((oid) => candidateOids.has(oid))) continue;
    if (table.persistence !== "permanent") {
      if (table.persistence === "unlogged") result.unlogged.push(table);
      continue;
    }
    const leaves =
      table.kind === "table"
        ? [table]
        : tables.filter((t) => t.kind === "table" && t.ancestors.includes(table.oid));
    const refusals: RefusedTable[] = [];
    for (const leaf of leaves) {
      const reason = refusalOf(leaf);
      if (reason) refusals.push({ table, leaf, reason });
    }
    if (refusals.length > 0) result.refused.push(...refusals);
    else result.publishable.push(table);
  }
  return result;
}

export interface PublicationContent {
  /** Published whole (FOR TABLES IN SCHEMA, PostgreSQL 15+). */
  schemas: string[];
  /** Published one by one (FOR TABLE ONLY). */
  tables: QualifiedTable[];
}

export type PublicationMode = "schemas" | "tables";

export interface PublicationPlan {
  mode: PublicationMode;
  content: PublicationContent;
  selection: TableSelectionResult;
}

export interface PlanInput {
  selector: TableSelector;
  tables: readonly CatalogTable[];
  /** Existing non-system schemas. */
  schemas: readonly string[];
  helperSchema: string;
  /** PostgreSQL 15+ and superuser: FOR TABLES IN SCHEMA is available. */
  schemaPublications: boolean;
  /** PostgreSQL 13+: publish_via_partition_root is available. */
  partitionRoots: boolean;
}

export const HELPER_TABLE_ORDER: readonly HelperTableKind[] = ["heartbeat", "ddl", "origin_marker"];

export function planPublication(input: PlanInput): PublicationPlan {
  const selection = selectTables(input.tables, input.selector, { partitionRoots: input.partitionRoots });
  const refusedSchemas = new Set(selection.refused.map((r) => r.table.schema));
  const schemas = input.schemaPublications
    ? input.selector
        .schemasToCapture(input.schemas)
        .filter((schema) => input.selector.coversWholeSchema(schema) && !refusedSchemas.has(schema))
    : [];
  const whole = new Set(schemas);
  const tables: QualifiedTable[] = selection.publishable
    .filter((t) => !whole.has(t.schema))
    .map((t) => ({ schema: t.schema, table: t.table }));
  if (!whole.has(input.helperSchema)) {
    for (const kind of HELPER_TABLE_ORDER)
      tables.push({ schema: input.helperSchema, table: HELPER_TABLES[kind] });
  }
  return { mode: input.schemaPublications ? "schemas" : "tables", content: { schemas, tables }, selection };
}

export interface PublicationState extends PublicationContent {
  allTables: boolean;
  publish: { insert: boolean; update: boolean; delete: boolean; truncate: boolean };
  /** undefined before PostgreSQL 13. */
  viaPartitionRoot: boolean | undefined;
  /** The current user owns the publication (or is a member of its owner). */
  owned: boolean;
}

export interface PublicationOptions {
  /** PostgreSQL 11+: truncate can be published. */
  truncate: boolean;
  /** PostgreSQL 13+: publish_via_partition_root = true. */
  partitionRoots: boolean;
}

function withClause(options: PublicationOptions): string {
  const publish = options.truncate ? "insert, update, delete, truncate" : "insert, update, delete";
  const items = [`publish = '${publish}'`];
  if (options.partitionRoots) items.push("publish_via_partition_root = true");
  return `(${items.join(", ")})`;
}

const tableList = (tables: readonly QualifiedTable[]): string =>
  tables.map((t) => `ONLY ${qualifiedName(t.schema, t.table)}`).join(", ");

export function createPublicationSql(
  name: string,
  content: PublicationContent,
  options: PublicationOptions,
): string {
  const objects: string[] = [];
  if (content.schemas.length > 0)
    objects.push(`TABLES IN SCHEMA ${content.schemas.map(quoteIdent).join(", ")}`);
  if (content.tables.length > 0) objects.push(`TABLE ${tableList(content.tables)}`);
  const target = objects.length > 0 ? ` FOR ${objects.join(", ")}` : "";
  return `CREATE PUBLICATION ${quoteIdent(name)}${target} WITH ${withClause(options)}`;
}

export interface PublicationChanges {
  statements: string[];
  addedSchemas: string[];
  droppedSchemas: string[];
  addedTables: QualifiedTable[];
  droppedTables: QualifiedTable[];
  optionsChanged: boolean;
  /** FOR ALL TABLES cannot be narrowed: dropped and created again. */
  recreated: boolean;
}

const tableKey = (t: QualifiedTable): string => JSON.stringify([t.schema, t.table]);

/** The statements that turn `current` into `desired`, in an order PostgreSQL accepts. */
export function publicationChanges(
  name: string,
  current: PublicationState,
  desired: PublicationContent,
  options: PublicationOptions,
): PublicationChanges {
  const pub = quoteIdent(name);
  if (current.allTables) {
    return {
      statements: [`DROP PUBLICATION ${pub}`, createPublicationSql(name, desired, options)],
      addedSchemas: [...desired.schemas],
      droppedSchemas: [],
      addedTables: [...desired.tables],
      droppedTables: [],
      optionsChanged: false,
      recreated: true,
    };
  }
  const currentTables = new Set(current.tables.map(tableKey));
  const desiredTables = new Set(desired.tables.map(tableKey));
  const droppedTables = current.tables.filter((t) => !desiredTables.has(tableKey(t)));
  const addedTables = desired.tables.filter((t) => !currentTables.has(tableKey(t)));
  const droppedSchemas = current.schemas.filter((s) => !desired.schemas.includes(s));
  const addedSchemas = desired.schemas.filter((s) => !current.schemas.includes(s));
  const optionsChanged =
    !current.publish.insert ||
    !current.publish.update ||
    !current.publish.delete ||
    (options.truncate && !current.publish.truncate) ||
    (options.partitionRoots && current.viaPartitionRoot !== true);
  const statements: string[] = [];
  if (droppedTables.length > 0)
    statements.push(`ALTER PUBLICATION ${pub} DROP TABLE ${tableList(droppedTables)}`);
  if (droppedSchemas.length > 0) {
    statements.push(
      `ALTER PUBLICATION ${pub} DROP TABLES IN SCHEMA ${droppedSchemas.map(quoteIdent).join(", ")}`,
    );
  }
  if (optionsChanged) statements.push(`ALTER PUBLICATION ${pub} SET ${withClause(options)}`);
  if (addedSchemas.length > 0) {
    statements.push(
      `ALTER PUBLICATION ${pub} ADD TABLES IN SCHEMA ${addedSchemas.map(quoteIdent).join(", ")}`,
    );
  }
  if (addedTables.length > 0) statements.push(`ALTER PUBLICATION ${pub} ADD TABLE ${tableList(addedTables)}`);
  return {
    statements,
    addedSchemas,
    droppedSchemas,
    addedTables,
    droppedTables,
    optionsChanged,
    recreated: false,
  };
}
