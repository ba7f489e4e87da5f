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
 * Leaves the clusters quiet for the next timed phase: `filled` on the target cluster (which a
 * phase just filled) vacuumed and analyzed, then both clusters checkpointed. Else autovacuum
 * works on those rows during the next phase (on the 1,000,000 rows of the sink-alone snapshot it
 * ran through 7 s of the end-to-end snapshot's 13, which its COPY baseline never shared), and
 * the checkpointer writes out the last phase's pages.
 */
export async function settleClusters(filled?: string): Promise<void> {
  const targets: [string, number][] = [
    [filled ?? "postgres", TARGET_PORT],
    ["postgres", SOURCE_PORT],
  ];
  for (const [database, port] of targets) {
    const client = await connect(database, port);
    try {
      if (database === filled) await client.query("VACUUM (ANALYZE)");
      await client.query("CHECKPOINT");
    } finally {
      await client.end();
    }
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
