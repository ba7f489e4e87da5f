/**
 * SQL of conflict detection (pure): the bulk look-up of which of a batch's keys the target
 * holds, and the bulk insert of the conflicts found into `tributary_conflicts`.
 */
import type { Row } from "@tributary/core";
import type { ColumnModel, TableModel } from "../table-model.js";
import { CONFLICTS_TABLE } from "../target/helper-sql.js";
import { textArrayLiteral } from "../value-text.js";
import { bindColumn } from "./bind.js";
import { tableName } from "./row-statements.js";
import { qualifiedName, quoteIdentifier, type SqlStatement, statement } from "./sql-text.js";

/** Name of the look-up's ordinality column: the 1-based position of the key in the bound list. */
const POSITION = "tributary_n";

/**
 * The positions (1-based, as text `n`) of `keys` whose row the target holds, each locked until
 * the transaction ends so no other writer changes or deletes it between the look-up and the
 * apply. With `commitTime`, also `commit_us`: the commit time of the row's last change in µs
 * since 1970 (text; null when the server no longer knows it), from track_commit_timestamp.
 */
export function selectExistingKeys(
  table: TableModel,
  keys: readonly Row[],
  typeOf: (column: ColumnModel) => string,
  commitTime: boolean,
): SqlStatement {
  const parameters = table.key.map((_, i) => `$${i + 1}::text[]`).join(", ");
  const aliases = [...table.key.map((column) => quoteIdentifier(column.name)), POSITION].join(", ");
  const match = table.key
    .map((column) => {
      const name = quoteIdentifier(column.name);
      return `t.${name} = k.${name}::${typeOf(column)}`;
    })
    .join(" AND ");
  const commit = commitTime
    ? "(extract(epoch FROM pg_catalog.pg_xact_commit_timestamp(t.xmin)) * 1000000)::bigint::text"
    : "NULL::text";
  return statement(
    `SELECT k.${POSITION}::text AS n, ${commit} AS commit_us\n` +
      `FROM unnest(${parameters}) WITH ORDINALITY AS k(${aliases})\n` +
      `JOIN ${tableName(table)} AS t ON ${match}\nFOR UPDATE OF t`,
    table.key.map((column) => bindColumn(column, keys)),
  );
}

/** One row of `tributary_conflicts`; times as integers since 1970. */
export interface ConflictRow {
  /** The key as a JSON object of target column name → value. */
  readonly key: string;
  readonly kind: string;
  readonly resolution: string;
  readonly op: string;
  readonly origin: string | null;
  /** The incoming row image as a JSON object; null for a delete. */
  readonly incoming: string | null;
  /** Source position: PostgreSQL LSN `X/Y`, MySQL GTID or `file:pos`. */
  readonly position: string | null;
  readonly transaction: string | null;
  readonly sourceCommitTsMs: bigint | null;
  readonly offset: bigint;
  readonly targetCommitTsUs: bigint | null;
}

export interface ConflictBatch {
  readonly sink: string;
  /** The target table, `schema.table`. */
  readonly table: string;
  readonly policy: string;
  readonly topic: string;
  readonly partition: number;
  readonly rows: readonly ConflictRow[];
}

/** INSERT of every conflict of `batch` in one statement. */
export function insertConflicts(helperSchema: string, batch: ConflictBatch): SqlStatement {
  const column = <T>(pick: (row: ConflictRow) => T | null, text: (value: T) => string = String) =>
    textArrayLiteral(
      batch.rows.map((row) => {
        const value = pick(row);
        return value === null ? null : text(value);
      }),
    );
  return statement(
    `INSERT INTO ${qualifiedName(helperSchema, CONFLICTS_TABLE)} (sink, table_name, key, kind, policy, resolution,\n` +
      "  op, origin, incoming, source_position, source_tx, source_commit_at, topic, partition, kafka_offset,\n" +
      "  target_commit_at)\n" +
      "SELECT $1, $2, x.key::jsonb, x.kind, $3, x.resolution, x.op, x.origin, x.incoming::jsonb, x.position, x.tx,\n" +
      "  timestamptz 'epoch' + x.source_ms::bigint * interval '1 millisecond', $4, $5::integer, x.kafka_offset::bigint,\n" +
      "  timestamptz 'epoch' + x.target_us::bigint * interval '1 microsecond'\n" +
      "FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],\n" +
      "  $13::text[], $14::text[], $15::text[], $16::text[])\n" +
      "  AS x(key, kind, resolution, op, origin, incoming, position, tx, source_ms, kafka_offset, target_us)",
    [
      batch.sink,
      batch.table,
      batch.policy,
      batch.topic,
      String(batch.partition),
      column((row) => row.key),
      column((row) => row.kind),
      column((row) => row.resolution),
      column((row) => row.op),
      column((row) => row.origin),
      column((row) => row.incoming),
      column((row) => row.position),
      column((row) => row.transaction),
      column((row) => row.sourceCommitTsMs),
      column((row) => row.offset),
      column((row) => row.targetCommitTsUs),
    ],
  );
}
