import pg from "pg";
import { uniqueName } from "./kafka.js";

export const SOURCE_PORT = 5432;
export const TARGET_PORT = 5433;

export async function connectPg(database = "postgres", port = SOURCE_PORT): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database });
  await client.connect();
  return client;
}

/** A scratch database dropped (with anything still connected to it) by `drop()`. */
export async function scratchDatabase(
  prefix: string,
  port = SOURCE_PORT,
): Promise<{ name: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = await connectPg("postgres", port);
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    async drop() {
      const client = await connectPg("postgres", port);
      try {
        await client.query(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active",
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
