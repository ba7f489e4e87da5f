/**
 * One connection to the target database: statements, COPY and transactions, with failures
 * turned into coded errors decided on SQLSTATEs and errno codes — a lost connection is a
 * retriable TRB_SINK_TARGET_UNREACHABLE, wrong credentials a permanent TRB_SINK_TARGET_AUTH;
 * any other database error is passed on as node-postgres raised it (its SQLSTATE decides).
 */
import { type Logger, TributaryError } from "@tributary/core";
import pg from "pg";
import type { TargetConfig } from "../config.js";
import type { SqlStatement } from "../sql/sql-text.js";
import { type CopyData, copyIn } from "./copy-in.js";

/**
 * Session settings of the target connection. Bound values are text that does not depend on
 * them (see value-text.ts), but DDL defaults and error messages read better with fixed ones.
 */
const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  DateStyle: "ISO, MDY",
  IntervalStyle: "iso_8601",
  TimeZone: "UTC",
  client_encoding: "UTF8",
};

/** A connection-level failure: the server went away, or is shutting down. */
const LOST_SQLSTATES = new Set(["57P01", "57P02", "57P03"]);

function startupOptions(): string {
  return Object.entries(SESSION_SETTINGS)
    .map(([name, value]) => `-c ${name}=${value.replaceAll(" ", "\\ ")}`)
    .join(" ");
}

function sqlState(error: unknown): string | undefined {
  const record = error as { code?: unknown; severity?: unknown };
  return typeof record?.code === "string" && typeof record.severity === "string" ? record.code : undefined;
}

export class TargetConnection {
  /** Set once the connection broke; every later failure is a lost connection. */
  private lost: Error | undefined;
  private closing = false;
  /** Statements without values that go out with the next statement or COPY, in one simple query (`sendAhead`). */
  private ahead: string[] = [];

  private constructor(
    private readonly client: pg.Client,
    private readonly config: TargetConfig,
  ) {}

  /** Connects with the sink's session settings; fails with a coded error naming host, port, database and user. */
  static async open(
    config: TargetConfig,
    applicationName: string,
    logger: Logger,
  ): Promise<TargetConnection> {
    const client = new pg.Client({
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      database: config.database,
      connectionTimeoutMillis: config.connectTimeoutMs,
      application_name: applicationName,
      options: startupOptions(),
      ssl: config.ssl === "disable" ? false : { rejectUnauthorized: config.ssl === "verify-full" },
      keepAlive: true,
    });
    const connection = new TargetConnection(client, config);
    client.on("error", (error) => {
      connection.lost ??= error;
      if (!connection.closing) logger.warn({ err: error }, "target connection error");
    });
    client.on("end", () => {
      connection.lost ??= new Error("the target connection ended");
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw connection.connectFailure(error);
    }
    return connection;
  }

  get target(): string {
    const { host, port, database, user } = this.config;
    return `PostgreSQL at ${host}:${port} (database ${JSON.stringify(database)}, user ${JSON.stringify(user)})`;
  }

  /** The result of `statement` (of the last statement, when statements sent ahead went with it). */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    statement: SqlStatement,
  ): Promise<pg.QueryResult<R>> {
    try {
      // Values need the extended protocol, one statement per round trip: the ones ahead go first.
      if (statement.values.length > 0 && this.ahead.length > 0) await this.client.query(this.takeAhead());
      if (this.ahead.length === 0) return await this.client.query<R>(statement.text, [...statement.values]);
      // Several statements in one simple query give one result each.
      const results = (await this.client.query(this.takeAhead(statement.text))) as unknown as
        | pg.QueryResult<R>
        | pg.QueryResult<R>[];
      return Array.isArray(results) ? (results.at(-1) as pg.QueryResult<R>) : results;
    } catch (error) {
      throw this.failure(error);
    }
  }

  /**
   * Sends `statement` (which has no values) with the next statement or COPY, saving a round trip
   * for statements whose result nobody reads (BEGIN, SAVEPOINT…); an error it raises is the next
   * one's.
   */
  sendAhead(statement: SqlStatement): void {
    if (statement.values.length > 0) throw new Error("only a statement without values can be sent ahead");
    this.ahead.push(statement.text);
  }

  /** Runs `COPY … FROM STDIN` with `data` in the format the statement names; resolves to the rows copied. */
  async copy(copy: string, data: CopyData): Promise<number> {
    try {
      return await copyIn(this.client, this.takeAhead(copy), data);
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** `body` between BEGIN and COMMIT; rolled back when it throws (the error is rethrown). */
  async transaction<T>(body: () => Promise<T>): Promise<T> {
    this.sendAhead({ text: "BEGIN", values: [] });
    let result: T;
    try {
      result = await body();
    } catch (error) {
      await this.rollback();
      throw error;
    }
    await this.query({ text: "COMMIT", values: [] });
    return result;
  }

  async rollback(): Promise<void> {
    // A BEGIN not sent yet began nothing.
    const begun = !this.ahead.includes("BEGIN");
    this.ahead = [];
    if (this.lost || !begun) return;
    await this.client.query("ROLLBACK").catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.client.end().catch(() => undefined);
  }

  /** The statements sent ahead, then `last` if given, as one simple query; none are left ahead. */
  private takeAhead(last?: string): string {
    const statements = last === undefined ? this.ahead : [...this.ahead, last];
    this.ahead = [];
    return statements.join(";\n");
  }

  /** A failed statement: connection-level failures become TRB_SINK_TARGET_UNREACHABLE. */
  private failure(error: unknown): unknown {
    const state = sqlState(error);
    if (state === undefined ? this.lost !== undefined || isSocketError(error) : isLost(state)) {
      return this.unreachable(error, (error as Error).message);
    }
    return error;
  }

  private connectFailure(error: unknown): TributaryError {
    const state = sqlState(error);
    const options = (retriable: boolean) => ({
      retriable,
      cause: error,
      details: { host: this.config.host, port: this.config.port, database: this.config.database },
    });
    if (state?.startsWith("28") || state === "42501") {
      return new TributaryError(
        "TRB_SINK_TARGET_AUTH",
        `${this.target} refused the login (${(error as Error).message}); check target.user and target.password, ` +
          "that the server's pg_hba.conf lets the user in, and that it may CONNECT to the database",
        options(false),
      );
    }
    if (state === "3D000") {
      return new TributaryError(
        "TRB_SINK_TARGET_DATABASE_MISSING",
        `${this.target}: the database does not exist; create it or fix target.database`,
        options(false),
      );
    }
    // Anything else while connecting (no server, a timeout, too many connections, a restart) passes.
    return this.unreachable(error, (error as Error).message);
  }

  private unreachable(error: unknown, reason: string): TributaryError {
    return new TributaryError(
      "TRB_SINK_TARGET_UNREACHABLE",
      `lost or cannot open the connection to ${this.target}: ${reason}; check target.host and target.port and ` +
        "that the server runs",
      {
        retriable: true,
        cause: error,
        details: { host: this.config.host, port: this.config.port, database: this.config.database },
      },
    );
  }
}

function isLost(state: string): boolean {
  return state.startsWith("08") || LOST_SQLSTATES.has(state);
}

function isSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}
