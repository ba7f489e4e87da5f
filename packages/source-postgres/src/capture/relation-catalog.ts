import type { ClientBase } from "pg";
import type { RelationShape } from "./CapturedTable.js";

interface RelationRow {
  oid: number;
  schema: string;
  table: string;
  replident: string;
  columns: { name: string; typeOid: number; typmod: number; notNull: boolean; dimensions: number }[] | null;
  primary_key: string[] | null;
  identity_key: string[] | null;
}

const RELATION_QUERY = `
  SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table, c.relreplident AS replident,
    (SELECT json_agg(json_build_object('name', a.attname, 'typeOid', a.atttypid::int, 'typmod', a.atttypmod,
                                       'notNull', a.attnotnull, 'dimensions', a.attndims) ORDER BY a.attnum)
       FROM pg_attribute a
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,
    (SELECT array_agg(a.attname::text ORDER BY k.ord)
       FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord), pg_attribute a
      WHERE i.indrelid = c.oid AND i.indisprimary AND a.attrelid = c.oid AND a.attnum = k.attnum) AS primary_key,
    (SELECT array_agg(a.attname::text ORDER BY k.ord)
       FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord), pg_attribute a
      WHERE i.indrelid = c.oid AND i.indisreplident AND a.attrelid = c.oid AND a.attnum = k.attnum) AS identity_key
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`;

/** The key the events of a table are keyed by: its primary key, else its replica-identity index. */
function keyOf(row: RelationRow): string[] {
  if (row.primary_key && row.primary_key.length > 0) return row.primary_key;
  if (row.replident === "i" && row.identity_key) return row.identity_key;
  return [];
}

function toShape(row: RelationRow): RelationShape & { replicaIdentity: string } {
  return {
    oid: row.oid,
    schema: row.schema,
    table: row.table,
    columns: row.columns ?? [],
    key: keyOf(row),
    replicaIdentity: row.replident,
  };
}

/** Every ordinary and partitioned (root) table, as the catalog describes it now. */
export async function describeTables(
  client: ClientBase,
): Promise<(RelationShape & { replicaIdentity: string })[]> {
  const { rows } = await client.query<RelationRow>(`${RELATION_QUERY} ORDER BY n.nspname, c.relname`);
  return rows.map(toShape);
}

export async function describeTable(
  client: ClientBase,
  oid: number,
): Promise<(RelationShape & { replicaIdentity: string }) | undefined> {
  const { rows } = await client.query<RelationRow>(`${RELATION_QUERY} AND c.oid = $1`, [oid]);
  const row = rows[0];
  return row ? toShape(row) : undefined;
}
