/**
 * AnalyticDB for PostgreSQL (Greenplum-based): created tables (and staging tables) are
 * distributed by the key, a table without a key randomly, so a row's changes go to the segment
 * that holds it. Upserts delete the rows' keys and insert the rows, which every AnalyticDB table
 * takes (INSERT … ON CONFLICT is not available on all of them); rows with unchanged columns
 * update in place. A physical row is `(gp_segment_id, ctid)`: ctid alone repeats across
 * segments. Greenplum 6 is PostgreSQL 9.4-based: no ADD COLUMN IF NOT EXISTS.
 */
import type { TableModel } from "../table-model.js";
import type { Dialect } from "./dialect.js";
import { familyDialect } from "./family-statements.js";
import { postgresColumnType } from "./postgres-types.js";
import { quoteIdentifier } from "./sql-text.js";

/** ` DISTRIBUTED BY ("k1", …)`, or ` DISTRIBUTED RANDOMLY` for a table without a key. */
export function distributionClause(table: TableModel): string {
  return table.key.length === 0
    ? " DISTRIBUTED RANDOMLY"
    : ` DISTRIBUTED BY (${table.key.map((column) => quoteIdentifier(column.name)).join(", ")})`;
}

export const analyticdbDialect: Dialect = familyDialect({
  name: "analyticdb",
  columnType: postgresColumnType,
  rowLocator: ["gp_segment_id", "ctid"],
  upsert: "delete-insert",
  tableSuffix: distributionClause,
  addColumnIfNotExists: false,
});
