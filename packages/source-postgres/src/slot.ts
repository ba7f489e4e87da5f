import { TributaryError } from "@tributary/core";
import pg from "pg";
import { type Lsn, parseLsn } from "./replication/lsn.js";

export interface SlotInfo {
  name: string;
  active: boolean;
  activePid: number | null;
  confirmedFlushLsn: Lsn | null;
  /** `lost` when the server invalidated the slot (max_slot_wal_keep_size). */
  walStatus: string | null;
}

export async function findSlot(client: pg.ClientBase, name: string): Promise<SlotInfo | undefined> {
  const { rows } = await client.query<{
    active: boolean;
    active_pid: number | null;
    confirmed_flush_lsn: string | null;
    wal_status: string | null;
  }>(
    `SELECT active, active_pid, confirmed_flush_lsn::text, wal_status
       FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()`,
    [name],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    name,
    active: row.active,
    activePid: row.active_pid,
    confirmedFlushLsn: row.confirmed_flush_lsn ? parseLsn(row.confirmed_flush_lsn) : null,
    walStatus: row.wal_status,
  };
}

export async function dropSlot(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
    [name],
  );
}

/** A slot without a snapshot, for `snapshot.mode: never`. */
export async function createSlot(client: pg.ClientBase, name: string): Promise<Lsn> {
  const { rows } = await client.query<{ lsn: string }>(
    "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')",
    [name],
  );
  return parseLsn(rows[0]?.lsn ?? "0/0");
}

export interface ExportedSnapshot {
  /** Keeps the snapshot alive: close it once every worker has imported the snapshot and finished. */
  connection: pg.Client;
  consistentPoint: Lsn;
  snapshotName: string;
}

/**
 * Creates the slot on a replication connection with an exported snapshot: reading every table
 * inside that snapshot and then streaming from the slot's consistent point misses nothing and
 * repeats nothing.
 */
export async function createSlotWithSnapshot(
  config: pg.ClientConfig & { replication: "database" },
  name: string,
): Promise<ExportedSnapshot> {
  const connection = new pg.Client(config);
  // Without a listener, losing this idle connection (a terminated backend, a network cut) is an
  // uncaught 'error' event that ends the process. Once the workers imported the snapshot it is
  // no longer needed; before that, the workers fail to import it, which fails the session.
  connection.on("error", () => undefined);
  await connection.connect();
  try {
    const { rows } = await connection.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${pg.escapeIdentifier(name)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = rows[0];
    if (!row?.snapshot_name) {
      throw new TributaryError("TRB_PG_PROTOCOL", `CREATE_REPLICATION_SLOT ${name} returned no snapshot`);
    }
    return { connection, consistentPoint: parseLsn(row.consistent_point), snapshotName: row.snapshot_name };
  } catch (error) {
    await connection.end().catch(() => undefined);
    throw error;
  }
}
