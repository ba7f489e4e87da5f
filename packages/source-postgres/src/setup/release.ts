/**
 * `tributary release`: drops what a PostgreSQL source left in its database — the slot (which
 * holds WAL back while it exists), the publication, the DDL event triggers and function, its
 * rows in the helper tables, and the helper tables themselves once nothing else uses them —
 * and, given the Kafka config, forgets the source's state in `<topicPrefix>._offsets`, so the
 * next start begins afresh (a new slot and snapshot) instead of refusing the missing slot.
 * Idempotent: what is already gone is reported as absent.
 */
import { setTimeout as delay } from "node:timers/promises";
import {
  createLogger,
  internalTopic,
  type KafkaConfig,
  KafkaEventPublisher,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  readCompactedTopic,
  TributaryError,
} from "@tributary/core";
import type { ClientBase } from "pg";
import { HELPER_TABLES, type HelperTableKind } from "../capture/helper-tables.js";
import type { PostgresSourceConfig } from "../config.js";
import { replicationName, sourceStateKey } from "../config.js";
import { readEventTriggers, readFunction, readServerFacts, readSlot, type SlotFacts } from "./catalog.js";
import { withSourceConnection } from "./connection-errors.js";
import {
  ddlCaptureNames,
  dropCaptureFunctionSql,
  dropEventTriggerSql,
  dropHelperTableSql,
} from "./helper-objects-sql.js";
import { HELPER_TABLE_ORDER } from "./publication-plan.js";
import { qualifiedName, quoteIdent } from "./sql-quote.js";

export type ReleaseConfig = Pick<PostgresSourceConfig, "name" | "helperSchema">;

export interface ReleaseOptions {
  /** Terminate the process holding the slot instead of refusing. */
  force?: boolean;
  /** Longest wait for any lock, in ms (default 5000). */
  lockTimeoutMs?: number;
  /** How long to wait for a terminated walsender to let the slot go, in ms (default 10000). */
  terminateWaitMs?: number;
}

export interface ReleaseItem {
  kind: "slot" | "publication" | "event trigger" | "function" | "rows" | "table" | "state";
  name: string;
  /** `kept`: left in place on purpose, `detail` says why. */
  status: "dropped" | "deleted" | "absent" | "kept";
  detail?: string;
}

export interface ReleaseReport {
  items: ReleaseItem[];
  /** One line per item, for the CLI: `dropped replication slot tributary_shop`. */
  lines: string[];
  /** The walsender terminated with `force`. */
  terminatedPid?: number;
}

function releaseLines(report: Pick<ReleaseReport, "items">): string[] {
  const noun = (kind: ReleaseItem["kind"]): string => (kind === "slot" ? "replication slot" : kind);
  return report.items.map((item) => {
    const head =
      item.status === "absent"
        ? `${noun(item.kind)} ${item.name} was already absent`
        : `${item.status} ${noun(item.kind)} ${item.name}`;
    return item.detail ? `${head} (${item.detail})` : head;
  });
}

/**
 * Releases on a connection of its own, opened from `config.postgres`; with `kafka` and
 * `topicPrefix` (a whole source config), also deletes the source's state record.
 */
export async function releaseSource(
  config: ReleaseConfig & Pick<PostgresSourceConfig, "postgres"> & Partial<StateConfig>,
  options?: ReleaseOptions,
): Promise<ReleaseReport>;
/** Releases on `client`, connected to the source database as a user allowed to drop the objects. */
export async function releaseSource(
  client: ClientBase,
  config: ReleaseConfig,
  options?: ReleaseOptions,
): Promise<ReleaseReport>;
export async function releaseSource(
  first: ClientBase | (ReleaseConfig & Pick<PostgresSourceConfig, "postgres"> & Partial<StateConfig>),
  second?: ReleaseConfig | ReleaseOptions,
  third?: ReleaseOptions,
): Promise<ReleaseReport> {
  if (!("query" in first)) {
    const options = (second ?? {}) as ReleaseOptions;
    const report = await withSourceConnection(first, "tributary-release", (client) =>
      release(client, first, options),
    );
    const { kafka, topicPrefix } = first;
    if (kafka && topicPrefix) {
      await forgetState({ name: first.name, kafka, topicPrefix }, report);
      report.lines = releaseLines(report);
    }
    return report;
  }
  return release(first, second as ReleaseConfig, third ?? {});
}

async function release(
  client: ClientBase,
  config: ReleaseConfig,
  options: ReleaseOptions,
): Promise<ReleaseReport> {
  const name = replicationName(config);
  const report: ReleaseReport = { items: [], lines: [] };
  const facts = await readServerFacts(client);
  await releaseSlot(client, name, facts.database, options, report);

  await client.query("BEGIN");
  try {
    await client.query(
      `SET LOCAL lock_timeout = '${Math.max(1, Math.round(options.lockTimeoutMs ?? 5000))}ms'`,
    );
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [0x54524942, 1]);
    const publication = await client.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [name]);
    if (publication.rowCount === 0) {
      report.items.push({ kind: "publication", name, status: "absent" });
    } else {
      await client.query(`DROP PUBLICATION ${quoteIdent(name)}`);
      report.items.push({ kind: "publication", name, status: "dropped" });
    }
    await releaseDdlCapture(client, config, facts.isSuperuser, report);
    await releaseHelperTables(client, config, name, report);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    const code = (error as { code?: unknown } | null)?.code;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TributaryError(
      code === "55P03" ? "TRB_PG_LOCK_TIMEOUT" : code === "42501" ? "TRB_PG_PRIVILEGE" : "TRB_PG_SETUP",
      `release of ${name} failed after the slot step: ${reason}; run it again`,
      { retriable: code === "55P03", cause: error },
    );
  }
  report.lines = releaseLines(report);
  return report;
}

async function releaseSlot(
  client: ClientBase,
  name: string,
  database: string,
  options: ReleaseOptions,
  report: ReleaseReport,
): Promise<void> {
  let slot = await readSlot(client, name);
  if (!slot) {
    report.items.push({ kind: "slot", name, status: "absent" });
    return;
  }
  if (slot.slotType !== "logical" || slot.database !== database) {
    report.items.push({
      kind: "slot",
      name,
      status: "kept",
      detail: `it is not this database's logical slot (type ${slot.slotType}, database ${slot.database ?? "none"})`,
    });
    return;
  }
  const deadline = Date.now() + (options.terminateWaitMs ?? 10_000);
  for (;;) {
    if (slot.active) {
      if (!options.force) throw slotActiveError(slot);
      await terminate(client, slot, report);
      slot = await waitInactive(client, name, deadline);
      if (!slot) break;
      if (slot.active) throw slotActiveError(slot, "it is still held after its walsender was terminated");
    }
    try {
      await client.query("SELECT pg_drop_replication_slot($1)", [name]);
      report.items.push({ kind: "slot", name, status: "dropped" });
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "42704") break;
      if (code !== "55006" || Date.now() > deadline) throw error;
      // Taken again between the check and the drop (a connector reconnecting): look again.
      slot = await readSlot(client, name);
      if (!slot) break;
    }
  }
  report.items.push({ kind: "slot", name, status: "absent", detail: "dropped by another session meanwhile" });
}

function slotActiveError(slot: SlotFacts, why?: string): TributaryError {
  return new TributaryError(
    "TRB_PG_SLOT_ACTIVE",
    `replication slot ${slot.name} is in use by the walsender with pid ${slot.activePid ?? "?"}` +
      `${why ? ` (${why})` : ""}; stop the connector using it first, or release with force to terminate that process`,
    { details: { slot: slot.name, pid: slot.activePid } },
  );
}

async function terminate(client: ClientBase, slot: SlotFacts, report: ReleaseReport): Promise<void> {
  if (slot.activePid === null) return;
  await client.query("SELECT pg_terminate_backend($1)", [slot.activePid]);
  report.terminatedPid = slot.activePid;
}

async function waitInactive(
  client: ClientBase,
  name: string,
  deadline: number,
): Promise<SlotFacts | undefined> {
  for (;;) {
    const slot = await readSlot(client, name);
    if (!slot?.active || Date.now() > deadline) return slot;
    await delay(50);
  }
}

async function releaseDdlCapture(
  client: ClientBase,
  config: ReleaseConfig,
  isSuperuser: boolean,
  report: ReleaseReport,
): Promise<void> {
  const names = ddlCaptureNames(config);
  const triggers = await readEventTriggers(client, [names.commandTrigger, names.dropTrigger]);
  for (const trigger of [names.commandTrigger, names.dropTrigger]) {
    if (!triggers.has(trigger)) {
      report.items.push({ kind: "event trigger", name: trigger, status: "absent" });
    } else if (!isSuperuser) {
      report.items.push({
        kind: "event trigger",
        name: trigger,
        status: "kept",
        detail: "only a superuser can drop it",
      });
    } else {
      await client.query(dropEventTriggerSql(trigger));
      report.items.push({ kind: "event trigger", name: trigger, status: "dropped" });
    }
  }
  const fnName = qualifiedName(config.helperSchema, names.captureFunction);
  const fn = await readFunction(client, config.helperSchema, names.captureFunction);
  if (!fn) {
    report.items.push({ kind: "function", name: fnName, status: "absent" });
    return;
  }
  const owned = await client.query<{ owned: boolean }>(
    "SELECT pg_has_role(proowner, 'USAGE') AS owned FROM pg_proc WHERE oid = $1",
    [fn.oid],
  );
  if (owned.rows[0]?.owned !== true) {
    report.items.push({ kind: "function", name: fnName, status: "kept", detail: "owned by another role" });
    return;
  }
  await client.query(dropCaptureFunctionSql(config.helperSchema, names.captureFunction));
  report.items.push({ kind: "function", name: fnName, status: "dropped" });
}

/** This connector's rows go; a helper table goes too unless another connector or a sink still uses it. */
async function releaseHelperTables(
  client: ClientBase,
  config: ReleaseConfig,
  publication: string,
  report: ReleaseReport,
): Promise<void> {
  const schema = config.helperSchema;
  for (const kind of HELPER_TABLE_ORDER) {
    const table = HELPER_TABLES[kind];
    const sqlName = qualifiedName(schema, table);
    const exists = await client.query<{ owned: boolean }>(
      `SELECT pg_has_role(c.relowner, 'USAGE') AS owned FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [schema, table],
    );
    const row = exists.rows[0];
    if (!row) {
      report.items.push({ kind: "table", name: sqlName, status: "absent" });
      continue;
    }
    const ownColumn = OWN_ROWS[kind];
    if (ownColumn) {
      const deleted = await client.query(`DELETE FROM ${sqlName} WHERE ${ownColumn} = $1`, [config.name]);
      if ((deleted.rowCount ?? 0) > 0) {
        report.items.push({
          kind: "rows",
          name: sqlName,
          status: "deleted",
          detail: `${deleted.rowCount} of ${config.name}`,
        });
      }
    }
    const users = await otherUsers(client, kind, schema, table, publication);
    if (users.length > 0) {
      report.items.push({
        kind: "table",
        name: sqlName,
        status: "kept",
        detail: `still used by ${users.join(", ")}`,
      });
    } else if (!row.owned) {
      report.items.push({ kind: "table", name: sqlName, status: "kept", detail: "owned by another role" });
    } else {
      await client.query(dropHelperTableSql(schema, kind));
      report.items.push({ kind: "table", name: sqlName, status: "dropped" });
    }
  }
}

/** Rows a source writes and owns, by the column naming the connector. */
const OWN_ROWS: Readonly<Record<HelperTableKind, string | undefined>> = {
  heartbeat: "connector",
  ddl: "connector",
  origin_marker: undefined,
};

async function otherUsers(
  client: ClientBase,
  kind: HelperTableKind,
  schema: string,
  table: string,
  publication: string,
): Promise<string[]> {
  const users: string[] = [];
  const publications = await client.query<{ pubname: string }>(
    `SELECT DISTINCT pubname FROM pg_publication_tables
      WHERE schemaname = $1 AND tablename = $2 AND pubname <> $3 AND pubname LIKE 'tributary\\_%' ORDER BY 1`,
    [schema, table, publication],
  );
  users.push(...publications.rows.map((r) => `publication ${r.pubname}`));
  const sqlName = qualifiedName(schema, table);
  if (kind === "origin_marker") {
    const sinks = await client.query<{ sink: string }>(`SELECT sink FROM ${sqlName} ORDER BY 1 LIMIT 10`);
    users.push(...sinks.rows.map((r) => `sink ${r.sink}`));
  } else {
    const connectors = await client.query<{ connector: string }>(
      `SELECT DISTINCT connector FROM ${sqlName} WHERE connector IS NOT NULL ORDER BY 1 LIMIT 10`,
    );
    users.push(...connectors.rows.map((r) => `connector ${r.connector}`));
  }
  return users;
}

type StateConfig = Pick<PostgresSourceConfig, "name" | "topicPrefix"> & { kafka: KafkaConfig };

/**
 * Deletes (with a tombstone) the source's record in `<topicPrefix>._offsets`: without it, a
 * start after release would find "snapshot done" with no slot and refuse with
 * TRB_PG_SLOT_MISSING — the error whose advice is to release.
 */
async function forgetState(config: StateConfig, report: ReleaseReport): Promise<void> {
  const topic = internalTopic(config.topicPrefix, "offsets");
  const key = sourceStateKey(config);
  const item = `${key} of ${topic}`;
  const logger = createLogger({ level: "silent" });
  const clientId = `tributary-${config.name}-release`;
  const admin = new KafkaTopicAdmin(config.kafka, clientId, logger);
  try {
    const present =
      (await admin.listTopics()).includes(topic) &&
      ((await readCompactedTopic(topic, admin, new KafkaEventSubscriber(config.kafka, clientId, logger))).get(
        key,
      ) ?? null) !== null;
    if (!present) {
      report.items.push({ kind: "state", name: item, status: "absent" });
      return;
    }
    const publisher = new KafkaEventPublisher(config.kafka, clientId, logger);
    try {
      await publisher.publish([{ topic, key: Buffer.from(key), value: null, describe: () => item }]);
    } finally {
      await publisher.close();
    }
    report.items.push({ kind: "state", name: item, status: "deleted" });
  } catch (error) {
    throw new TributaryError(
      "TRB_KAFKA",
      `released ${replicationName(config)} in the database, but could not delete the state ${item}: ` +
        `${error instanceof Error ? error.message : String(error)}; run release again once Kafka is reachable`,
      { retriable: true, cause: error },
    );
  } finally {
    await admin.close();
  }
}
