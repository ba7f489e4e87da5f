/**
 * Marks each applied transaction with the origin of its changes (DESIGN.md section 6), so a
 * source capturing the target tags them with that origin instead of its own: with the
 * replication origin `tributary_<origin>` set up for the session when the sink may (superuser,
 * or EXECUTE granted on the replication origin functions), else with a row upserted into
 * `tributary_origin_marker` as the first statement of the transaction.
 *
 * A replication origin is held by one session at a time: while another instance of the sink
 * holds it, a transaction falls back to the marker row, which the source reads the same way.
 */
import type { Logger } from "@tributary/core";
import type { SqlStatement } from "../sql/sql-text.js";
import { statement } from "../sql/sql-text.js";
import { ensureReplicationOrigin, replicationOriginName, upsertOriginMarker } from "./helper-sql.js";
import type { TargetConnection } from "./TargetConnection.js";

export type MarkingMode = "replication-origin" | "marker-row";

/** Where the changes a transaction applies were committed at their source. */
export interface ReplayedPosition {
  /** The source's LSN of the last change (PostgreSQL sources); null for others. */
  lsn: bigint | null;
  /** The source commit time of the last change; null for snapshot reads. */
  commitTsMs: bigint | null;
}

/** SQLSTATE object_in_use: the replication origin is set up in another session. */
const ORIGIN_IN_USE = "55006";

export interface OriginMarkingOptions {
  connection: TargetConnection;
  sink: string;
  helperSchema: string;
  logger: Logger;
}

export class OriginMarking {
  /** The origin whose replication origin the session has set up. */
  private sessionOrigin: string | undefined;
  private readonly busyReported = new Set<string>();

  private constructor(
    private readonly options: OriginMarkingOptions,
    private currentMode: MarkingMode,
  ) {}

  /** Picks replication origins when the target user may use them, else marker rows (and says so). */
  static async detect(options: OriginMarkingOptions): Promise<OriginMarking> {
    const { rows } = await options.connection.query<{ allowed: boolean }>(
      statement(
        "SELECT pg_catalog.has_function_privilege('pg_catalog.pg_replication_origin_session_setup(text)', 'EXECUTE') " +
          "AND pg_catalog.has_function_privilege('pg_catalog.pg_replication_origin_create(text)', 'EXECUTE') AS allowed",
      ),
    );
    const mode: MarkingMode = rows[0]?.allowed === true ? "replication-origin" : "marker-row";
    if (mode === "marker-row") {
      options.logger.info(
        { table: `${options.helperSchema}.tributary_origin_marker` },
        "the target user may not use replication origins (superuser, or EXECUTE on pg_replication_origin_create " +
          "and pg_replication_origin_session_setup); each applied transaction is marked with a row in " +
          "tributary_origin_marker instead",
      );
    }
    return new OriginMarking(options, mode);
  }

  get mode(): MarkingMode {
    return this.currentMode;
  }

  /**
   * Call before BEGIN of a transaction applying changes of `origin` (null: it applies none).
   * Returns the statement to run first inside the transaction: the marker row, or, under the
   * session's replication origin, the replayed transaction's source position and commit time.
   */
  async prepare(origin: string | null, replayed: ReplayedPosition): Promise<SqlStatement | null> {
    if (origin === null) return null;
    if (this.currentMode === "marker-row") return this.marker(origin);
    if (this.sessionOrigin === origin) return replayedTransaction(replayed);
    const { connection, logger } = this.options;
    const name = replicationOriginName(origin);
    try {
      if (this.sessionOrigin !== undefined) {
        this.sessionOrigin = undefined;
        await connection.query(statement("SELECT pg_catalog.pg_replication_origin_session_reset()"));
      }
      await connection.query(ensureReplicationOrigin(name));
      await connection.query(statement("SELECT pg_catalog.pg_replication_origin_session_setup($1)", [name]));
      this.sessionOrigin = origin;
      return replayedTransaction(replayed);
    } catch (error) {
      const state = (error as { code?: unknown; severity?: unknown }).code;
      if (typeof (error as { severity?: unknown }).severity !== "string") throw error;
      if (state === ORIGIN_IN_USE) {
        if (!this.busyReported.has(name)) {
          this.busyReported.add(name);
          logger.info(
            { replicationOrigin: name },
            "another session holds the replication origin (another instance of this sink?); marking with rows " +
              "in tributary_origin_marker while it does",
          );
        }
        return this.marker(origin);
      }
      logger.warn(
        { err: error, replicationOrigin: name },
        "cannot set up a replication origin on the target; marking applied transactions with rows in " +
          "tributary_origin_marker from now on",
      );
      this.currentMode = "marker-row";
      return this.marker(origin);
    }
  }

  private marker(origin: string): SqlStatement {
    return upsertOriginMarker(this.options.helperSchema, this.options.sink, origin);
  }
}

/**
 * `pg_replication_origin_xact_setup` for each transaction, as PostgreSQL's own apply workers do:
 * without it the session keeps the first transaction's commit time and stamps every later one
 * with it (commit timestamps, `pg_replication_origin_status`), which the `newer` conflict policy
 * and a source capturing this target would read.
 */
function replayedTransaction({ lsn, commitTsMs }: ReplayedPosition): SqlStatement {
  // Values written in (an LSN and an ISO time we format): it is sent ahead of the transaction's first statement.
  const commitTime =
    commitTsMs === null
      ? "pg_catalog.clock_timestamp()"
      : `'${new Date(Number(commitTsMs)).toISOString()}'::timestamptz`;
  return statement(
    `SELECT pg_catalog.pg_replication_origin_xact_setup('${lsnText(lsn ?? 0n)}'::pg_lsn, ${commitTime})`,
  );
}

function lsnText(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
