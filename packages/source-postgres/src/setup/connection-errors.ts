/**
 * Turns a failed connection attempt into a coded error that names what was tried — host:port,
 * database, user, never the password — and what to check. Decided on errno codes and SQLSTATEs
 * found along the cause chain, never on message text.
 */
import { classifyError, isTributaryError, TributaryError } from "@tributary/core";
import pg from "pg";
import type { PostgresConnectionConfig, PostgresSourceConfig } from "../config.js";
import { clientConfig } from "../connection.js";

type ConnectionFacts = Pick<PostgresConnectionConfig, "host" | "port" | "user" | "database"> &
  Partial<Pick<PostgresConnectionConfig, "connectTimeoutMs" | "ssl">>;

const NETWORK_ERRNO: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed for now",
  EPIPE: "connection closed",
};

/** The first `code` along the cause chain (and inside AggregateErrors), with the error holding it. */
function findCode(error: unknown): { code: string; holder: Record<string, unknown> } | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const record = current as Record<string, unknown>;
    if (typeof record.code === "string" && record.code !== "") return { code: record.code, holder: record };
    if (Array.isArray(record.errors)) queue.push(...record.errors);
    queue.push(record.cause);
  }
  return undefined;
}

/** `config`: the source config, or its `postgres` section. */
export function describeConnectionError(
  error: unknown,
  sourceOrConnection: ConnectionFacts | { postgres: ConnectionFacts },
): TributaryError {
  if (isTributaryError(error)) return error;
  const config = "postgres" in sourceOrConnection ? sourceOrConnection.postgres : sourceOrConnection;
  const address = `${config.host}:${config.port}`;
  const target = `PostgreSQL at ${address} (database ${JSON.stringify(config.database)}, user ${JSON.stringify(config.user)})`;
  const details = { host: config.host, port: config.port, database: config.database, user: config.user };
  const found = findCode(error);
  const code = found?.code;
  const options = (retriable: boolean) => ({ retriable, cause: error, details: { ...details, code } });

  if (code !== undefined && code in NETWORK_ERRNO) {
    const fix =
      code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "check postgres.host and the DNS"
        : "check that the server runs and listens there (listen_addresses, port) and that no firewall blocks it";
    return new TributaryError(
      "TRB_PG_UNREACHABLE",
      `cannot reach ${target}: ${NETWORK_ERRNO[code]}; ${fix}`,
      options(true),
    );
  }
  switch (code) {
    case "28P01":
      return new TributaryError(
        "TRB_PG_AUTH",
        `${target} rejected the password; check postgres.user and postgres.password`,
        options(false),
      );
    case "28000":
      return new TributaryError(
        "TRB_PG_AUTH",
        `${target} refused the login (the role does not exist, or pg_hba.conf has no entry allowing it); ` +
          "check postgres.user and the server's pg_hba.conf",
        options(false),
      );
    case "3D000":
      return new TributaryError(
        "TRB_PG_DATABASE_MISSING",
        `${target}: the database does not exist; check postgres.database (names are case-sensitive) or create it`,
        options(false),
      );
    case "42501":
      return new TributaryError(
        "TRB_PG_PRIVILEGE",
        `${target}: the user may not connect to the database; run GRANT CONNECT ON DATABASE … TO … as its owner`,
        options(false),
      );
    case "53300":
      return new TributaryError(
        "TRB_PG_UNREACHABLE",
        `${target} has no connection slot left (too many connections); raise max_connections or close idle sessions`,
        options(true),
      );
    case "57P03":
      return new TributaryError(
        "TRB_PG_UNREACHABLE",
        `${target} is starting up, shutting down or in recovery and accepts no connection yet; retrying`,
        options(true),
      );
  }
  if (
    code !== undefined &&
    (code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL") || code.includes("CERT"))
  ) {
    return new TributaryError(
      "TRB_PG_UNREACHABLE",
      `TLS with ${target} failed (${code}); check postgres.ssl (${config.ssl ?? "disable"}) and the server certificate`,
      options(false),
    );
  }
  // No code we know: a connection that broke off or timed out (node-postgres gives those no code).
  const reason = error instanceof Error ? error.message : String(error);
  const verdict = classifyError(error);
  const timeout = config.connectTimeoutMs === undefined ? "" : ` within ${config.connectTimeoutMs} ms`;
  return new TributaryError(
    "TRB_PG_UNREACHABLE",
    `could not connect to ${target}${timeout}: ${reason}; check that the server is up and reachable`,
    options(verdict !== "permanent"),
  );
}

/**
 * Runs `work` on a fresh connection to the source database (session settings of connection.ts),
 * closed afterwards; a failed connect becomes `describeConnectionError`'s coded error.
 */
export async function withSourceConnection<T>(
  config: Pick<PostgresSourceConfig, "postgres">,
  applicationName: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(clientConfig(config.postgres, applicationName));
  client.on("error", () => undefined); // a broken connection also fails the running query
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(error, config);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
