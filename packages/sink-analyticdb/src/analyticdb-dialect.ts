/**
 * AnalyticDB for PostgreSQL (Greenplum-based). Upserts delete the rows' keys and insert the
 * rows, which every AnalyticDB table takes (INSERT … ON CONFLICT is not available on all of
 * them); a key change is a delete of the old key and an insert; rows with unchanged columns
 * update in place. Greenplum 6 is PostgreSQL 9.4-based: no ADD COLUMN IF NOT EXISTS.
 *
 * On a Greenplum-family target, created tables (and staging tables) are distributed by the key,
 * a table without a key randomly, so a row's changes go to the segment that holds it, and a
 * physical row is located by `(tableoid, gp_segment_id, ctid)`: ctid alone repeats across
 * segments and partitions. On plain PostgreSQL (what the conformance suite runs against) there
 * is neither a distribution clause nor gp_segment_id.
 */
import {
  type Dialect,
  familyDialect,
  postgresColumnType,
  quoteIdentifier,
  type TableModel,
} from "@tributary/sink-postgres";

export interface AnalyticDbTarget {
  /** The target is Greenplum-based (AnalyticDB, Greenplum, Cloudberry): see `isGreenplumFamily`. */
  readonly greenplum: boolean;
}

/** ` DISTRIBUTED BY ("k1", …)`, or ` DISTRIBUTED RANDOMLY` for a table without a key. */
export function distributionClause(table: TableModel): string {
  return table.key.length === 0
    ? " DISTRIBUTED RANDOMLY"
    : ` DISTRIBUTED BY (${table.key.map((column) => quoteIdentifier(column.name)).join(", ")})`;
}

/** The dialect for `target`. */
export function analyticdbDialect(target: AnalyticDbTarget): Dialect {
  return familyDialect({
    name: "analyticdb",
    columnType: postgresColumnType,
    rowLocator: target.greenplum ? ["tableoid", "gp_segment_id", "ctid"] : ["tableoid", "ctid"],
    upsert: "delete-insert",
    tableSuffix: target.greenplum ? distributionClause : () => "",
    addColumnIfNotExists: false,
  });
}
