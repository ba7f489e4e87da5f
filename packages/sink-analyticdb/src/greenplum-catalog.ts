/**
 * What the AnalyticDB sink asks a target's catalog, as SQL text and pure decisions on the rows:
 * whether the target is Greenplum-based, and whether a target table (or any partition of it) is
 * append-optimized. Both queries stay valid on Greenplum 6 (PostgreSQL 9.4-based) and 7.
 */
import { quoteLiteral, type SqlStatement } from "@tributary/sink-postgres";

export const GREENPLUM_DETECTION: SqlStatement = {
  text:
    "SELECT pg_catalog.version() AS version,\n" +
    "  pg_catalog.to_regclass('pg_catalog.gp_segment_configuration') IS NOT NULL AS segments",
  values: [],
};

export interface GreenplumDetectionRow {
  version: string;
  /** The catalog has gp_segment_configuration. */
  segments: boolean;
}

/** Greenplum-based: version() says so (AnalyticDB's reads "… (Greenplum Database 6.x …)"), or it has segments. */
export function isGreenplumFamily(row: GreenplumDetectionRow): boolean {
  return /greenplum|cloudberry/i.test(row.version) || row.segments;
}

/**
 * The table and every partition below it, each with its access method (Greenplum 7:
 * `ao_row`/`ao_column` for append-optimized tables) and whether pg_appendonly lists it
 * (Greenplum 6 and 7). Only run on a Greenplum-family target: plain PostgreSQL has no
 * pg_appendonly.
 */
export function appendOptimizedQuery(qualifiedTable: string): SqlStatement {
  return {
    text:
      "WITH RECURSIVE tree(oid) AS (\n" +
      `  SELECT ${quoteLiteral(qualifiedTable)}::regclass::oid\n` +
      "  UNION ALL SELECT i.inhrelid FROM pg_catalog.pg_inherits AS i JOIN tree ON i.inhparent = tree.oid\n" +
      ")\n" +
      "SELECT c.oid::regclass::text AS name, am.amname AS access_method, ao.relid IS NOT NULL AS appendonly\n" +
      "FROM tree JOIN pg_catalog.pg_class AS c ON c.oid = tree.oid\n" +
      "LEFT JOIN pg_catalog.pg_am AS am ON am.oid = c.relam\n" +
      "LEFT JOIN pg_catalog.pg_appendonly AS ao ON ao.relid = c.oid",
    values: [],
  };
}

export interface StorageRow {
  name: string;
  access_method: string | null;
  appendonly: boolean;
}

const APPEND_OPTIMIZED_METHODS = new Set(["ao_row", "ao_column"]);

/** The names of the append-optimized relations among `rows`. */
export function appendOptimizedRelations(rows: readonly StorageRow[]): string[] {
  return rows
    .filter(
      (row) =>
        row.appendonly || (row.access_method !== null && APPEND_OPTIMIZED_METHODS.has(row.access_method)),
    )
    .map((row) => row.name);
}
