import type { ClientBase } from "pg";
import { keyPositionSql } from "../setup/helper-objects-sql.js";

export type DdlRow = Record<string, string | null>;

const INDEX_TABLE_QUERY = `
  SELECT n.nspname AS schema_name, c.relname AS object_name,
         (SELECT jsonb_agg(jsonb_build_object(
                    'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                    'nullable', NOT a.attnotnull,
                    'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                    'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                    'keyPosition', ${keyPositionSql()})
                  ORDER BY a.attnum)
            FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text AS columns
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE i.indexrelid = $1`;

/**
 * The table a `tributary_ddl` row is about. A table row is itself; an index row (CREATE INDEX)
 * becomes a row of the indexed table with its column list as the catalog has it now; anything
 * else (sequences, the implicit index of a primary key…) is no table change: undefined.
 */
export async function tableChangeOf(row: DdlRow, catalog: ClientBase): Promise<DdlRow | undefined> {
  if (row.columns !== null || row.command_tag === "DROP TABLE") return row;
  if (row.command_tag !== "CREATE INDEX" || row.object_oid === null || row.object_oid === undefined)
    return undefined;
  const { rows } = await catalog.query<{ schema_name: string; object_name: string; columns: string | null }>(
    INDEX_TABLE_QUERY,
    [row.object_oid],
  );
  const table = rows[0];
  // The index may be gone already when the connector is behind: nothing left to describe.
  return table ? { ...row, ...table } : undefined;
}
