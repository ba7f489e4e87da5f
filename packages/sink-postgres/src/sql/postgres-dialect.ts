/** The PostgreSQL dialect: upserts with ON CONFLICT over unnested arrays, types kept from a PostgreSQL source. */
import type { Dialect } from "./dialect.js";
import { familyDialect } from "./family-statements.js";
import { postgresColumnType } from "./postgres-types.js";

export const postgresDialect: Dialect = familyDialect({
  name: "postgres",
  columnType: postgresColumnType,
  // ctid repeats across the partitions of a partitioned table; with tableoid it is one row.
  rowLocator: ["tableoid", "ctid"],
  upsert: "on-conflict",
  tableSuffix: () => "",
  addColumnIfNotExists: true,
  binaryCopy: true,
});
