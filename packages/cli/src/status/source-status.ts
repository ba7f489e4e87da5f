/**
 * What `tributary status` reads for a PostgreSQL source: its slot (held or not, restart and
 * confirmed LSN, how much WAL it keeps behind the server's current LSN) and the tables of its
 * publication. Read-only; one short connection to the source database.
 */
import { type PostgresSourceConfig, replicationName, withSourceConnection } from "@tributary/source-postgres";

export interface SlotStatus {
  name: string;
  exists: boolean;
  active: boolean;
  activePid: number | null;
  /** `reserved`, `extended`, `unreserved` or `lost` (PostgreSQL 13+). */
  walStatus: string | null;
  restartLsn: string | null;
  confirmedLsn: string | null;
  /** Bytes of WAL the server keeps for the slot: current LSN − restart LSN. */
  retainedBytes: bigint | null;
  /** Bytes of WAL written after the LSN the connector last confirmed. */
  unconfirmedBytes: bigint | null;
}

export interface SourceStatus {
  kind: "source";
  connector: "postgres-source";
  name: string;
  server: string;
  currentLsn: string | null;
  slot: SlotStatus;
  publication: { name: string; exists: boolean; allTables: boolean; tables: string[] };
}

interface SlotRow {
  active: boolean;
  active_pid: number | null;
  wal_status: string | null;
  restart_lsn: string | null;
  confirmed_lsn: string | null;
  retained: string | null;
  unconfirmed: string | null;
}

export async function readSourceStatus(config: PostgresSourceConfig): Promise<SourceStatus> {
  const name = replicationName(config);
  const { host, port, database } = config.postgres;
  return withSourceConnection(config, "tributary-status", async (client) => {
    // pg_current_wal_lsn() fails on a standby; the slot is then shown against no current LSN.
    const { rows: lsnRows } = await client.query<{ lsn: string | null }>(
      "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn",
    );
    const currentLsn = lsnRows[0]?.lsn ?? null;
    const { rows: slotRows } = await client.query<SlotRow>(
      `SELECT active, active_pid, wal_status, restart_lsn::text AS restart_lsn,
              confirmed_flush_lsn::text AS confirmed_lsn,
              pg_wal_lsn_diff($2::pg_lsn, restart_lsn)::bigint::text AS retained,
              pg_wal_lsn_diff($2::pg_lsn, confirmed_flush_lsn)::bigint::text AS unconfirmed
         FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()`,
      [name, currentLsn],
    );
    const slot = slotRows[0];
    const { rows: publicationRows } = await client.query<{ puballtables: boolean }>(
      "SELECT puballtables FROM pg_publication WHERE pubname = $1",
      [name],
    );
    const { rows: tableRows } = await client.query<{ name: string }>(
      `SELECT format('%s.%s', schemaname, tablename) AS name FROM pg_publication_tables
        WHERE pubname = $1 ORDER BY schemaname, tablename`,
      [name],
    );
    const bytes = (text: string | null | undefined) => (text == null ? null : BigInt(text));
    return {
      kind: "source",
      connector: "postgres-source",
      name: config.name,
      server: `${host}:${port}/${database}`,
      currentLsn,
      slot: {
        name,
        exists: slot !== undefined,
        active: slot?.active === true,
        activePid: slot?.active_pid ?? null,
        walStatus: slot?.wal_status ?? null,
        restartLsn: slot?.restart_lsn ?? null,
        confirmedLsn: slot?.confirmed_lsn ?? null,
        retainedBytes: bytes(slot?.retained),
        unconfirmedBytes: bytes(slot?.unconfirmed),
      },
      publication: {
        name,
        exists: publicationRows.length > 0,
        allTables: publicationRows[0]?.puballtables === true,
        tables: tableRows.map((row) => row.name),
      },
    };
  });
}
