/**
 * SQL of `tributary_ddl_offsets` on the target (pure): per (sink, schema-change topic, source
 * table) the offset after the last schema change applied, written in the DDL's own transaction
 * so that each change is applied exactly once. Per table rather than per partition because
 * each table's changes wait for that table's data, so changes of different tables are applied
 * out of the topic's order.
 */
import { createIfMissing, qualifiedName, type SqlStatement, statement } from "../sql/sql-text.js";

export const DDL_OFFSETS_TABLE = "tributary_ddl_offsets";

export function createDdlOffsetsTable(schema: string): SqlStatement {
  return statement(
    createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, DDL_OFFSETS_TABLE)} (\n` +
        "  sink text NOT NULL,\n  topic text NOT NULL,\n  source_table text NOT NULL,\n" +
        "  next_offset bigint NOT NULL,\n  updated_at timestamptz NOT NULL DEFAULT now(),\n" +
        "  PRIMARY KEY (sink, topic, source_table)\n)",
    ),
  );
}

/** Rows of `topic`, `source_table`, `next_offset` (as text) of `sink`. */
export function selectDdlOffsets(schema: string, sink: string): SqlStatement {
  return statement(
    `SELECT topic, source_table, next_offset::text AS next_offset FROM ${qualifiedName(schema, DDL_OFFSETS_TABLE)} WHERE sink = $1`,
    [sink],
  );
}

/** Locks the table's row (creating it at 0) and returns its `next_offset`: run first in the DDL's transaction. */
export function lockDdlOffset(schema: string, sink: string, topic: string, table: string): SqlStatement[] {
  const name = qualifiedName(schema, DDL_OFFSETS_TABLE);
  return [
    statement(
      `INSERT INTO ${name} (sink, topic, source_table, next_offset) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`,
      [sink, topic, table],
    ),
    statement(
      `SELECT next_offset::text AS next_offset FROM ${name} WHERE sink = $1 AND topic = $2 AND source_table = $3 FOR UPDATE`,
      [sink, topic, table],
    ),
  ];
}

export function recordDdlOffset(
  schema: string,
  sink: string,
  topic: string,
  table: string,
  next: bigint,
): SqlStatement {
  return statement(
    `UPDATE ${qualifiedName(schema, DDL_OFFSETS_TABLE)} SET next_offset = $4::bigint, updated_at = now() ` +
      "WHERE sink = $1 AND topic = $2 AND source_table = $3",
    [sink, topic, table, next.toString()],
  );
}
