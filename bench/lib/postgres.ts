import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";

export const run = promisify(execFile);

export async function connect(database: string, port = 5432): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database });
  await client.connect();
  return client;
}

/** Drops the database (and its slots) if it exists, then creates it empty. */
export async function freshDatabase(name: string, port = 5432): Promise<void> {
  const admin = await connect("postgres", port);
  try {
    await admin.query(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active",
      [name],
    );
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(name: string, port = 5432): Promise<void> {
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
