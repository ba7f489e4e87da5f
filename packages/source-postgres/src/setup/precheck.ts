/**
 * Checks a source database before replication: every prerequisite that is not met becomes one
 * readable problem, so `tributary precheck` shows them all at once instead of the first exception.
 */

import { HELPER_TABLES } from "../capture/helper-tables.js";
import type { PostgresSourceConfig } from "../config.js";
import { replicationName } from "../config.js";
import {
  existingHelperTables,
  listCatalogTables,
  readPublication,
  readReplicationCapacity,
  readServerFacts,
  readSlot,
  type SetupClient,
  schemaFacts,
} from "./catalog.js";
import { withSourceConnection } from "./connection-errors.js";
import {
  createOnDatabaseProblem,
  ddlCaptureWarning,
  helperSchemaProblem,
  missingTableWarning,
  noFreeSlotProblem,
  noFreeWalSenderProblem,
  noTablesWarning,
  notOwnerProblem,
  type PrecheckProblem,
  publicationOwnerProblem,
  replicaIdentityProblem,
  replicationPrivilegeProblem,
  selectPrivilegeProblem,
  slotActiveProblem,
  slotConflictProblem,
  slotLostProblem,
  standbyProblem,
  unloggedWarning,
  versionProblem,
  walLevelProblem,
} from "./precheck-problems.js";
import { HELPER_TABLE_ORDER, selectTables } from "./publication-plan.js";
import { createTableSelector } from "./table-selection.js";

/** What the checks read of a source config. */
export type PrecheckConfig = Pick<PostgresSourceConfig, "name" | "tables" | "helperSchema" | "ddl"> & {
  snapshot?: Pick<PostgresSourceConfig["snapshot"], "mode">;
};

/**
 * Every unmet prerequisite of `config` on the database `client` is connected to (as the
 * connector's user), or on a connection of its own opened from `config.postgres`. An empty
 * list means the source can start. Throws only when connecting or a query fails (or a table
 * pattern is invalid: TRB_CFG_INVALID).
 */
export async function checkSourcePrerequisites(
  config: PrecheckConfig & Pick<PostgresSourceConfig, "postgres">,
): Promise<PrecheckProblem[]>;
export async function checkSourcePrerequisites(
  client: SetupClient,
  config: PrecheckConfig,
): Promise<PrecheckProblem[]>;
export async function checkSourcePrerequisites(
  first: SetupClient | (PrecheckConfig & Pick<PostgresSourceConfig, "postgres">),
  second?: PrecheckConfig,
): Promise<PrecheckProblem[]> {
  if (!("query" in first)) {
    return withSourceConnection(first, "tributary-precheck", (client) => check(client, first));
  }
  return check(first, second as PrecheckConfig);
}

async function check(client: SetupClient, config: PrecheckConfig): Promise<PrecheckProblem[]> {
  const selector = createTableSelector(config.tables);
  const problems: PrecheckProblem[] = [];
  const facts = await readServerFacts(client);
  if (facts.versionNum < 100000) {
    problems.push(versionProblem(facts.version));
    if (facts.walLevel !== "logical") problems.push(walLevelProblem(facts.walLevel));
    return problems;
  }
  if (facts.walLevel !== "logical") problems.push(walLevelProblem(facts.walLevel));
  if (facts.inRecovery && facts.versionNum < 160000) problems.push(standbyProblem(facts.version));
  if (!facts.canReplicate) problems.push(replicationPrivilegeProblem(facts.currentUser));

  const name = replicationName(config);
  const slot = await readSlot(client, name);
  const capacity = await readReplicationCapacity(client);
  if (!slot) {
    if (capacity.usedReplicationSlots >= capacity.maxReplicationSlots) {
      problems.push(
        noFreeSlotProblem(
          capacity.maxReplicationSlots,
          capacity.usedReplicationSlots,
          capacity.inactiveSlots,
        ),
      );
    }
  } else if (slot.slotType !== "logical") {
    problems.push(slotConflictProblem(name, "it is a physical slot"));
  } else if (slot.database !== facts.database) {
    problems.push(slotConflictProblem(name, `it belongs to the database ${slot.database ?? "?"}`));
  } else if (slot.plugin !== "pgoutput") {
    problems.push(
      slotConflictProblem(name, `it decodes with the plugin ${slot.plugin ?? "?"}, not pgoutput`),
    );
  } else {
    if (slot.active) problems.push(slotActiveProblem(name, slot.activePid));
    if (slot.walStatus === "lost") {
      problems.push(slotLostProblem(name, config.snapshot?.mode === "when_needed" ? "warning" : "error"));
    }
  }
  if (!slot?.active && capacity.usedWalSenders >= capacity.maxWalSenders) {
    problems.push(noFreeWalSenderProblem(capacity.maxWalSenders, capacity.usedWalSenders));
  }

  const publication = await readPublication(client, name, facts.versionNum);
  if (!publication && !facts.canCreateInDatabase) {
    problems.push(createOnDatabaseProblem(facts.currentUser, facts.database, name));
  }
  if (publication && !publication.owned) problems.push(publicationOwnerProblem(facts.currentUser, name));

  const helper = await schemaFacts(client, config.helperSchema);
  if (!helper.exists) {
    if (!facts.canCreateInDatabase) {
      problems.push(helperSchemaProblem(facts.currentUser, config.helperSchema, "create-schema"));
    }
  } else if (!helper.canUse) {
    problems.push(helperSchemaProblem(facts.currentUser, config.helperSchema, "usage"));
  } else if (
    (await existingHelperTables(client, config.helperSchema)).size < HELPER_TABLE_ORDER.length &&
    !helper.canCreate
  ) {
    problems.push(helperSchemaProblem(facts.currentUser, config.helperSchema, "create"));
  }
  if (config.ddl.capture && !facts.isSuperuser) problems.push(ddlCaptureWarning(facts.currentUser));

  const tables = await listCatalogTables(client, facts.versionNum);
  const selection = selectTables(tables, selector, { partitionRoots: facts.versionNum >= 130000 });
  for (const refused of selection.refused) problems.push(replicaIdentityProblem(refused));
  for (const table of selection.unlogged) problems.push(unloggedWarning(table));
  const selected = [
    ...new Map(
      [...selection.publishable, ...selection.refused.map((r) => r.table)].map((t) => [t.oid, t]),
    ).values(),
  ];
  // Without superuser, every table of a FOR TABLE publication must be owned: helper tables too.
  const helperTables = new Set(HELPER_TABLE_ORDER.map((kind) => HELPER_TABLES[kind]));
  const notOwned = [
    ...selected,
    ...tables.filter((t) => t.schema === config.helperSchema && helperTables.has(t.table)),
  ].filter((t) => !t.owned);
  if (!facts.isSuperuser && notOwned.length > 0) problems.push(notOwnerProblem(facts.currentUser, notOwned));
  const unreadable = selected.filter((t) => !t.canSelect);
  if (unreadable.length > 0) problems.push(selectPrivilegeProblem(facts.currentUser, unreadable));

  const existing = new Set(tables.map((t) => JSON.stringify([t.schema, t.table])));
  const missing = selector.exactIncludes().filter((t) => !existing.has(JSON.stringify([t.schema, t.table])));
  for (const table of missing) problems.push(missingTableWarning(table));
  if (selected.length === 0 && selection.unlogged.length === 0 && missing.length === 0) {
    problems.push(noTablesWarning(config.tables.include));
  }
  return problems;
}
