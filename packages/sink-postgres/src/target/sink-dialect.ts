/**
 * How a sink of the PostgreSQL family plugs its target into the apply engine: a `SinkDialect`
 * inspects the connected target at the start of each session (e.g. AnalyticDB asks whether it
 * is Greenplum-based) and returns the SQL dialect to apply with, plus an optional check that
 * refuses an existing target table it cannot apply changes to. The PostgreSQL dialect lives
 * here; PolarDB's and AnalyticDB's live in their own packages, which depend on this one.
 */
import type { Logger } from "@tributary/core";
import type pg from "pg";
import type { SinkConnectorKind } from "../config.js";
import type { Dialect } from "../sql/dialect.js";
import { postgresDialect } from "../sql/postgres-dialect.js";
import type { SqlStatement } from "../sql/sql-text.js";
import type { TableModel } from "../table-model.js";

/** Runs one statement on the sink's target connection and returns its rows. */
export type TargetQuery = <R extends pg.QueryResultRow = Record<string, unknown>>(
  statement: SqlStatement,
) => Promise<R[]>;

export interface TargetSession {
  readonly query: TargetQuery;
  readonly logger: Logger;
}

/** What one session applies with. */
export interface SessionDialect {
  readonly dialect: Dialect;
  /**
   * Throws a coded error when an existing target table cannot take the sink's changes. Runs when
   * a table is first prepared in a session, before any row of it is applied.
   */
  checkTable?(table: TableModel): Promise<void>;
}

export interface SinkDialect {
  /** The `connector:` kind of the configs this dialect serves. */
  readonly connector: SinkConnectorKind;
  /** Inspects the connected target once per session. */
  open(target: TargetSession): Promise<SessionDialect>;
}

export const postgresSinkDialect: SinkDialect = {
  connector: "postgres-sink",
  open: async () => ({ dialect: postgresDialect }),
};
