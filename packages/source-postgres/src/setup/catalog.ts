/**
 * Catalog reads shared by the precheck, the setup and the release: server facts, the slot,
 * the tables a selection can pick from, the publication as it stands and the helper objects.
 */
import type { ClientBase } from "pg";
import { HELPER_TABLES, type HelperTableKind } from "../capture/helper-tables.js";
import type { CatalogTable, PublicationState, QualifiedTable } from "./publication-plan.js";

export type SetupClient = Pick<ClientBase, "query">;

export interface ServerFacts {
  /** `server_version_num`, e.g. 150020. */
  versionNum: number;
  version: string;
  walLevel: string;
  currentUser: string;
  database: string;
  isSuperuser: boolean;
  canReplicate: boolean;
  inRecovery: boolean;
  canCreateInDatabase: boolean;
}

export async function readServerFacts(client: SetupClient): Promise<ServerFacts> {
  const { rows } = await client.query<{
    version_num: string;
    version: string;
    wal_level: string;
    current_user: string;
    database: string;
    rolsuper: boolean | null;
    rolreplication: boolean | null;
    in_recovery: boolean;
    can_create: boolean;
  }>(
    `SELECT current_setting('server_version_num') AS version_num, current_setting('server_version') AS version,
            current_setting('wal_level') AS wal_level, current_user AS current_user,
            current_database() AS database, r.rolsuper, r.rolreplication,
            pg_is_in_recovery() AS in_recovery,
            has_database_privilege(current_database(), 'CREATE') AS can_create
       FROM (SELECT 1) AS one LEFT JOIN pg_roles r ON r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new Error("the server facts query returned no row");
  return {
    versionNum: Number(row.version_num),
    version: row.version,
    walLevel: row.wal_level,
    currentUser: row.current_user,
    database: row.database,
    isSuperuser: row.rolsuper === true,
    canReplicate: row.rolsuper === true || row.rolreplication === true,
    inRecovery: row.in_recovery,
    canCreateInDatabase: row.can_create,
  };
}

export interface ReplicationCapacity {
  maxReplicationSlots: number;
  usedReplicationSlots: number;
  maxWalSenders: number;
  usedWalSenders: number;
  /** Slots no walsender holds, the candidates for cleanup when none is free. */
  inactiveSlots: string[];
}

export async function readReplicationCapacity(client: SetupClient): Promise<ReplicationCapacity> {
  const { rows } = await client.query<{
    max_slots: string;
    used_slots: string;
    max_senders: string;
    used_senders: string;
    inactive: string[];
  }>(
    `SELECT current_setting('max_replication_slots') AS max_slots,
            (SELECT count(*) FROM pg_replication_slots) AS used_slots,
            current_setting('max_wal_senders') AS max_senders,
            (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender') AS used_senders,
            ARRAY(SELECT slot_name::text FROM pg_replication_slots WHERE NOT active ORDER BY slot_name) AS inactive`,
  );
  const row = rows[0];
  if (!row) throw new Error("the replication capacity query returned no row");
  return {
    maxReplicationSlots: Number(row.max_slots),
    usedReplicationSlots: Number(row.used_slots),
    maxWalSenders: Number(row.max_senders),
    usedWalSenders: Number(row.used_senders),
    inactiveSlots: row.inactive,
  };
}

export interface SlotFacts {
  name: string;
  plugin: string | null;
  slotType: string;
  database: string | null;
  active: boolean;
  activePid: number | null;
  /** `wal_status` (PostgreSQL 13+): `lost` when the WAL it needs is gone. */
  walStatus: string | null;
}

export async function readSlot(client: SetupClient, slotName: string): Promise<SlotFacts | undefined> {
  const { rows } = await client.query<Record<string, unknown>>(
    "SELECT * FROM pg_replication_slots WHERE slot_name = $1",
    [slotName],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    name: String(row.slot_name),
    plugin: (row.plugin as string | null) ?? null,
    slotType: String(row.slot_type),
    database: (row.database as string | null) ?? null,
    active: row.active === true,
    activePid: row.active_pid === null || row.active_pid === undefined ? null : Number(row.active_pid),
    walStatus: typeof row.wal_status === "string" ? row.wal_status : null,
  };
}

/** Every ordinary and partitioned table outside the system schemas, with what setup needs to know. */
export async function listCatalogTables(client: SetupClient, versionNum: number): Promise<CatalogTable[]> {
  // pg_partition_ancestors is PostgreSQL 12+; before it a partition is published as itself.
  const ancestors =
    versionNum >= 120000
      ? "ARRAY(SELECT a.relid::oid::int8 FROM pg_partition_ancestors(c.oid) a WHERE a.relid <> c.oid)"
      : "ARRAY[]::int8[]";
  const { rows } = await client.query<{
    oid: string;
    schema: string;
    table: string;
    relkind: string;
    relpersistence: string;
    relreplident: string;
    relispartition: boolean;
    has_primary_key: boolean;
    has_identity_index: boolean;
    owned: boolean;
    can_select: boolean;
    ancestors: string[];
  }>(
    `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS table, c.relkind, c.relpersistence,
            c.relreplident, c.relispartition,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_primary_key,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS has_identity_index,
            pg_has_role(c.relowner, 'USAGE') AS owned,
            has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS can_select,
            ${ancestors} AS ancestors
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY n.nspname, c.relname`,
  );
  return rows.map((row) => ({
    oid: Number(row.oid),
    schema: row.schema,
    table: row.table,
    kind: row.relkind === "p" ? "partitioned" : "table",
    persistence:
      row.relpersistence === "p" ? "permanent" : row.relpersistence === "u" ? "unlogged" : "temporary",
    replicaIdentity: replicaIdentityOf(row.relreplident),
    isPartition: row.relispartition,
    ancestors: row.ancestors.map(Number),
    hasPrimaryKey: row.has_primary_key,
    hasIdentityIndex: row.has_identity_index,
    owned: row.owned,
    canSelect: row.can_select,
  }));
}

function replicaIdentityOf(relreplident: string): CatalogTable["replicaIdentity"] {
  switch (relreplident) {
    case "n":
      return "nothing";
    case "f":
      return "full";
    case "i":
      return "index";
    default:
      return "default";
  }
}

/** Schemas outside the system ones, ordered by name. */
export async function listSchemas(client: SetupClient): Promise<string[]> {
  const { rows } = await client.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace
      WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' ORDER BY nspname`,
  );
  return rows.map((row) => row.nspname);
}

export async function readPublication(
  client: SetupClient,
  name: string,
  versionNum: number,
): Promise<PublicationState | undefined> {
  const { rows } = await client.query<Record<string, unknown>>(
    "SELECT * FROM pg_publication WHERE pubname = $1",
    [name],
  );
  const row = rows[0];
  if (!row) return undefined;
  const oid = Number(row.oid);
  const tables = await client.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table
       FROM pg_publication_rel pr JOIN pg_class c ON c.oid = pr.prrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE pr.prpubid = $1 ORDER BY 1, 2`,
    [oid],
  );
  let schemas: string[] = [];
  if (versionNum >= 150000) {
    const result = await client.query<{ nspname: string }>(
      `SELECT n.nspname FROM pg_publication_namespace pn JOIN pg_namespace n ON n.oid = pn.pnnspid
        WHERE pn.pnpubid = $1 ORDER BY 1`,
      [oid],
    );
    schemas = result.rows.map((r) => r.nspname);
  }
  const owner = await client.query<{ owned: boolean }>("SELECT pg_has_role($1::oid, 'USAGE') AS owned", [
    row.pubowner,
  ]);
  return {
    allTables: row.puballtables === true,
    schemas,
    tables: tables.rows,
    publish: {
      insert: row.pubinsert === true,
      update: row.pubupdate === true,
      delete: row.pubdelete === true,
      truncate: row.pubtruncate === true,
    },
    viaPartitionRoot: typeof row.pubviaroot === "boolean" ? row.pubviaroot : undefined,
    owned: owner.rows[0]?.owned === true,
  };
}

/** The tables a publication sends changes of, schema publications included. */
export async function publishedTables(client: SetupClient, name: string): Promise<QualifiedTable[]> {
  const { rows } = await client.query<{ schema: string; table: string }>(
    `SELECT schemaname AS schema, tablename AS table FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2`,
    [name],
  );
  return rows;
}

export async function existingHelperTables(
  client: SetupClient,
  helperSchema: string,
): Promise<Set<HelperTableKind>> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')`,
    [helperSchema, Object.values(HELPER_TABLES)],
  );
  const names = new Set(rows.map((row) => row.relname));
  const kinds = new Set<HelperTableKind>();
  for (const [kind, table] of Object.entries(HELPER_TABLES) as [HelperTableKind, string][]) {
    if (names.has(table)) kinds.add(kind);
  }
  return kinds;
}

export interface EventTriggerFacts {
  name: string;
  event: string;
  enabled: string;
  functionOid: number;
}

export async function readEventTriggers(
  client: SetupClient,
  names: string[],
): Promise<Map<string, EventTriggerFacts>> {
  const { rows } = await client.query<{
    evtname: string;
    evtevent: string;
    evtenabled: string;
    evtfoid: string;
  }>(
    "SELECT evtname, evtevent, evtenabled, evtfoid::int8 AS evtfoid FROM pg_event_trigger WHERE evtname = ANY($1::text[])",
    [names],
  );
  return new Map(
    rows.map((row) => [
      row.evtname,
      { name: row.evtname, event: row.evtevent, enabled: row.evtenabled, functionOid: Number(row.evtfoid) },
    ]),
  );
}

export interface FunctionFacts {
  oid: number;
  source: string;
  securityDefiner: boolean;
}

export async function readFunction(
  client: SetupClient,
  schema: string,
  name: string,
): Promise<FunctionFacts | undefined> {
  const { rows } = await client.query<{ oid: string; prosrc: string; prosecdef: boolean }>(
    `SELECT p.oid::int8 AS oid, p.prosrc, p.prosecdef FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.proname = $2 AND p.pronargs = 0`,
    [schema, name],
  );
  const row = rows[0];
  return row && { oid: Number(row.oid), source: row.prosrc, securityDefiner: row.prosecdef };
}

export async function schemaFacts(
  client: SetupClient,
  schema: string,
): Promise<{ exists: boolean; canCreate: boolean; canUse: boolean }> {
  const { rows } = await client.query<{ can_create: boolean; can_use: boolean }>(
    `SELECT has_schema_privilege(oid, 'CREATE') AS can_create, has_schema_privilege(oid, 'USAGE') AS can_use
       FROM pg_namespace WHERE nspname = $1`,
    [schema],
  );
  const row = rows[0];
  return row
    ? { exists: true, canCreate: row.can_create, canUse: row.can_use }
    : { exists: false, canCreate: false, canUse: false };
}
