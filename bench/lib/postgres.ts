import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";

export const run = promisify(execFile);

export const SOURCE_PORT = 5432;
export const TARGET_PORT = 5433;

export async function connect(database: string, port = SOURCE_PORT): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database });
  await client.connect();
  return client;
}

/** Drops the database (and its slots) if it exists, then creates it empty. */
export async function freshDatabase(name: string, port = SOURCE_PORT): Promise<void> {
  await dropDatabase(name, port);
  const admin = await connect("postgres", port);
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(name: string, port = SOURCE_PORT): Promise<void> {
  const admin = await connect("postgres", port);
  try {
    await admin.query(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active",
      [name],
    );
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Drops what a run named `prefix…` left on a cluster: its databases (with their slots) and the
 * replication origins its sinks set up (`tributary_<source name>`).
 */
export async function dropBenchObjects(prefix: string, port: number): Promise<void> {
  const admin = await connect("postgres", port);
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [prefix],
    );
    await admin.query(
      "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE starts_with(roname, $1)",
      [`tributary_${prefix}`],
    );
    for (const { datname } of rows) await dropDatabase(datname, port);
  } finally {
    await admin.end();
  }
}

/** The next offset a sink recorded on the target for a one-partition topic (0 before any). */
export async function appliedOffset(target: pg.Client, sink: string, topic: string): Promise<number> {
  const { rows } = await target
    .query<{ next: string | null }>(
      "SELECT sum(next_offset)::text AS next FROM public.tributary_offsets WHERE sink = $1 AND topic = $2",
      [sink, topic],
    )
    .catch((error: { code?: string }) => {
      // 42P01: the sink has not created its helper tables yet.
      if (error.code === "42P01") return { rows: [{ next: null }] };
      throw error;
    });
  return Number(rows[0]?.next ?? 0);
}

export async function currentLsn(sql: pg.Client): Promise<string> {
  const { rows } = await sql.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn");
  return rows[0]?.lsn ?? "0/0";
}
