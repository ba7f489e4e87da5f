import type { ClientConfig } from "pg";
import type { PostgresConnectionConfig } from "./config.js";

/**
 * Session settings every connection of the source uses, so that values arrive in one exact,
 * parseable text form: ISO dates, ISO-8601 intervals, UTC offsets, shortest exact floats and
 * hex bytea. pgoutput formats values with the walsender session's settings too.
 *
 * `idle_in_transaction_session_timeout` is off for the source's own sessions: the connection that
 * exported the snapshot sits idle in its transaction for the whole snapshot, and the workers do
 * while Kafka acknowledges a batch. A timeout set for the database or role ended them (25P03),
 * which invalidated the snapshot and stopped the connector. `statement_timeout` and `lock_timeout`
 * are off too: a database's timeout killed the snapshot's boundary scan of a big table, or a chunk
 * read queued behind a user's DDL, and every retry failed the same way. The setup transaction still
 * sets its own short lock_timeout (setup/ReplicationSetup.ts).
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  DateStyle: "ISO, MDY",
  IntervalStyle: "iso_8601",
  TimeZone: "UTC",
  extra_float_digits: "3",
  bytea_output: "hex",
  client_encoding: "UTF8",
  idle_in_transaction_session_timeout: "0",
  statement_timeout: "0",
  lock_timeout: "0",
};

function startupOptions(extra: Readonly<Record<string, string>> = {}): string {
  return Object.entries({ ...SESSION_SETTINGS, ...extra })
    .map(([name, value]) => `-c ${name}=${value.replaceAll(" ", "\\ ")}`)
    .join(" ");
}

export function clientConfig(
  config: PostgresConnectionConfig,
  applicationName: string,
  settings: Readonly<Record<string, string>> = {},
): ClientConfig {
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    connectionTimeoutMillis: config.connectTimeoutMs,
    application_name: applicationName,
    options: startupOptions(settings),
    ssl: config.ssl === "disable" ? false : { rejectUnauthorized: config.ssl === "verify-full" },
    keepAlive: true,
  };
}

export function replicationClientConfig(
  config: PostgresConnectionConfig,
  applicationName: string,
  settings: Readonly<Record<string, string>> = {},
): ClientConfig & { replication: "database" } {
  return { ...clientConfig(config, applicationName, settings), replication: "database" };
}

/** Query options that hand every value over as PostgreSQL's text output, untouched. */
export const RAW_TEXT = { getTypeParser: () => (value: string) => value } as const;
