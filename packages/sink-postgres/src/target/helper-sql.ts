/**
 * SQL of the sink's helper tables on the target (pure):
 * - `tributary_offsets`: the next Kafka offset to apply per (sink, topic, partition), written in
 *   the same transaction as the changes before it, so the target knows exactly what it holds
 *   (DESIGN.md section 3);
 * - `tributary_origin_marker`: one row per sink, upserted as the first statement of each applied
 *   transaction when the sink may not use a replication origin, so a source on the target tags
 *   the transaction with the origin of its changes (DESIGN.md section 6). Same columns as the
 *   table a PostgreSQL source creates in its helper schema;
 * - `tributary_conflicts`: every conflict the sink detected (`conflicts.detect`), written in the
 *   same transaction as the batch that met it (DESIGN.md section 6). `source_commit_at` is the
 *   incoming change's source commit time (for a snapshot read, which has none, the time it was
 *   read); `target_commit_at` the commit time of the target row's last change when the policy
 *   is `newer` and the server still knows it. A `fail` conflict is not recorded: its transaction
 *   rolls back, and the error names it.
 */
import {
  createIfMissing,
  doBlock,
  qualifiedName,
  quoteLiteral,
  type SqlStatement,
  statement,
} from "../sql/sql-text.js";

export const OFFSETS_TABLE = "tributary_offsets";
export const ORIGIN_MARKER_TABLE = "tributary_origin_marker";
export const CONFLICTS_TABLE = "tributary_conflicts";

/** An integer written into SQL text (a number that is not an integer would be a bug). */
function integer(value: number | bigint): string {
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return value.toString();
}

/** The replication origin a sink sets up for changes first committed at `origin`. */
export function replicationOriginName(origin: string): string {
  return `tributary_${origin}`;
}

export function createOffsetsTable(schema: string): SqlStatement {
  return statement(
    createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, OFFSETS_TABLE)} (\n` +
        "  sink text NOT NULL,\n  topic text NOT NULL,\n  partition integer NOT NULL,\n" +
        "  next_offset bigint NOT NULL,\n  updated_at timestamptz NOT NULL DEFAULT now(),\n" +
        "  PRIMARY KEY (sink, topic, partition)\n)",
    ),
  );
}

export function createOriginMarkerTable(schema: string): SqlStatement {
  return statement(
    createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, ORIGIN_MARKER_TABLE)} (\n` +
        "  sink text PRIMARY KEY,\n  origin text NOT NULL,\n  seq bigint NOT NULL,\n" +
        "  marked_at timestamptz NOT NULL\n)",
    ),
  );
}

export function createConflictsTable(schema: string): SqlStatement {
  const table = qualifiedName(schema, CONFLICTS_TABLE);
  return statement(
    createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${table} (\n` +
        "  id bigserial PRIMARY KEY,\n  sink text NOT NULL,\n  table_name text NOT NULL,\n" +
        "  key jsonb NOT NULL,\n  kind text NOT NULL,\n  policy text NOT NULL,\n  resolution text NOT NULL,\n" +
        "  op text NOT NULL,\n  origin text,\n  incoming jsonb,\n  source_position text,\n  source_tx text,\n" +
        "  source_commit_at timestamptz,\n  topic text NOT NULL,\n  partition integer NOT NULL,\n" +
        "  kafka_offset bigint NOT NULL,\n  target_commit_at timestamptz,\n" +
        "  detected_at timestamptz NOT NULL DEFAULT now()\n)",
    ),
  );
}

/** Every partition position the sink recorded: rows of `topic`, `partition`, `next_offset` (as text). */
export function selectOffsets(schema: string, sink: string): SqlStatement {
  return statement(
    `SELECT topic, partition, next_offset::text AS next_offset FROM ${qualifiedName(schema, OFFSETS_TABLE)} ` +
      "WHERE sink = $1",
    [sink],
  );
}

/**
 * Records `next` as the partition's position, but only if the recorded position is still
 * `expected` (null: no row yet): the statement's row count is 0 when another instance of the
 * sink moved it meanwhile (after a rebalance), and the transaction must then be rolled back.
 */
export function upsertOffset(
  schema: string,
  sink: string,
  topic: string,
  partition: number,
  next: bigint,
  expected: bigint | null,
): SqlStatement {
  // Values written in (no parameters), so it can go in one round trip with statements sent ahead of it.
  return statement(
    `INSERT INTO ${qualifiedName(schema, OFFSETS_TABLE)} AS o (sink, topic, partition, next_offset, updated_at)\n` +
      `VALUES (${quoteLiteral(sink)}, ${quoteLiteral(topic)}, ${integer(partition)}, ${integer(next)}, now())\n` +
      "ON CONFLICT (sink, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at\n" +
      `WHERE o.next_offset IS NOT DISTINCT FROM ${expected === null ? "NULL::bigint" : integer(expected)}`,
  );
}

/** The marker row of `sink`, naming the origin of the transaction's changes. */
export function upsertOriginMarker(schema: string, sink: string, origin: string): SqlStatement {
  // Values written in: it is sent ahead of the transaction's first statement.
  return statement(
    `INSERT INTO ${qualifiedName(schema, ORIGIN_MARKER_TABLE)} AS m (sink, origin, seq, marked_at)\n` +
      `VALUES (${quoteLiteral(sink)}, ${quoteLiteral(origin)}, 1, now())\n` +
      "ON CONFLICT (sink) DO UPDATE SET origin = EXCLUDED.origin, seq = m.seq + 1, marked_at = EXCLUDED.marked_at",
  );
}

/** Creates the replication origin unless it exists (another sink may create it at the same moment). */
export function ensureReplicationOrigin(name: string): SqlStatement {
  const literal = quoteLiteral(name);
  return statement(
    doBlock(
      `IF pg_catalog.pg_replication_origin_oid(${literal}) IS NULL THEN\n` +
        `    PERFORM pg_catalog.pg_replication_origin_create(${literal});\n  END IF;\n` +
        "EXCEPTION WHEN unique_violation THEN NULL;",
    ),
  );
}
