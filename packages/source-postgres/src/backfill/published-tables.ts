import type { ClientBase } from "pg";

export interface PublishedTable {
  oid: number;
  schema: string;
  table: string;
}

/** The tables a publication publishes now (partition roots where it publishes via the root). */
export async function publishedTables(client: ClientBase, publication: string): Promise<PublishedTable[]> {
  const { rows } = await client.query<PublishedTable>(
    `SELECT c.oid::int AS oid, pt.schemaname AS schema, pt.tablename AS table
       FROM pg_catalog.pg_publication_tables pt
       JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
      WHERE pt.pubname = $1`,
    [publication],
  );
  return rows;
}

/** The schemas a publication publishes whole (FOR TABLES IN SCHEMA, PostgreSQL 15+). */
export async function publishedSchemas(
  client: ClientBase,
  publication: string,
  serverVersionNum: number,
): Promise<Set<string>> {
  if (serverVersionNum < 150000) return new Set();
  const { rows } = await client.query<{ schema: string }>(
    `SELECT n.nspname AS schema
       FROM pg_catalog.pg_publication_namespace pn
       JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
       JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
      WHERE p.pubname = $1`,
    [publication],
  );
  return new Set(rows.map((row) => row.schema));
}

/**
 * The tables that joined the capture and must be read while streaming: every newly published
 * table, except one created in the DDL's own transaction inside a schema that was published
 * whole already — pgoutput published that table from its creation, its first rows included —
 * unless the stream left those rows out because the table had no old key then (`ignoredByStream`).
 */
export function tablesToBackfill(
  joined: readonly PublishedTable[],
  createdInTransaction: ReadonlySet<number>,
  schemasPublishedBefore: ReadonlySet<string>,
  ignoredByStream: ReadonlySet<number> = new Set(),
): number[] {
  const streamedWhole = (table: PublishedTable) =>
    createdInTransaction.has(table.oid) &&
    schemasPublishedBefore.has(table.schema) &&
    !ignoredByStream.has(table.oid);
  return joined.filter((table) => !streamedWhole(table)).map((table) => table.oid);
}
