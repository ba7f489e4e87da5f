/**
 * The readable problems a source precheck reports (pure builders). Each says what is wrong
 * (`message`) and what to do (`fix`); `formatProblem` joins them into one line,
 * `[CODE] what; fix`, the form the CLI and the connector's refusal print.
 */
import type { ErrorCode } from "@tributary/core";
import type { RefusedTable } from "./publication-plan.js";
import { displayIdent, displayName, quoteLiteral } from "./sql-quote.js";

/** `error`: the connector cannot run; `warning`: it runs, with less than was asked for. */
export type ProblemSeverity = "error" | "warning";

export interface PrecheckProblem {
  code: ErrorCode;
  severity: ProblemSeverity;
  /** What is wrong, without the code or the fix. */
  message: string;
  /** What to do about it alone: a setting to change or a statement to run. */
  fix: string;
  /** The table the problem is about (`schema.table`), when it is about one. */
  subject?: string;
}

export function problem(
  code: ErrorCode,
  severity: ProblemSeverity,
  what: string,
  fix: string,
  subject?: string,
): PrecheckProblem {
  return { code, severity, message: what, fix, ...(subject === undefined ? {} : { subject }) };
}

/** `[TRB_PG_WAL_LEVEL] wal_level is 'replica'; set wal_level = logical in postgresql.conf and restart the server` */
export function formatProblem(problem: PrecheckProblem): string {
  return `[${problem.code}] ${problem.message}; ${problem.fix}`;
}

export function versionProblem(version: string): PrecheckProblem {
  return problem(
    "TRB_PG_VERSION_UNSUPPORTED",
    "error",
    `PostgreSQL ${version} has no pgoutput logical replication`,
    "upgrade the server to PostgreSQL 10 or later",
  );
}

export function walLevelProblem(walLevel: string): PrecheckProblem {
  return problem(
    "TRB_PG_WAL_LEVEL",
    "error",
    `wal_level is '${walLevel}'`,
    "set wal_level = logical in postgresql.conf and restart the server",
  );
}

export function standbyProblem(version: string): PrecheckProblem {
  return problem(
    "TRB_PG_STANDBY",
    "error",
    `the server is a standby in recovery, and PostgreSQL ${version} decodes logical replication on a primary only`,
    "connect to the primary (or to a PostgreSQL 16+ standby with hot_standby_feedback = on)",
  );
}

export function replicationPrivilegeProblem(user: string): PrecheckProblem {
  return problem(
    "TRB_PG_PRIVILEGE",
    "error",
    `role ${displayIdent(user)} has neither the REPLICATION attribute nor superuser, so it cannot open a replication connection`,
    `run ALTER ROLE ${displayIdent(user)} WITH REPLICATION (as a superuser), or connect as a role that has it`,
  );
}

export function noFreeSlotProblem(
  max: number,
  used: number,
  inactiveSlots: readonly string[],
): PrecheckProblem {
  const unused =
    inactiveSlots.length > 0
      ? `, or drop a slot no longer used (inactive now: ${inactiveSlots.slice(0, 10).join(", ")}${inactiveSlots.length > 10 ? ", …" : ""}) with SELECT pg_drop_replication_slot('<name>')`
      : "";
  return problem(
    "TRB_PG_NO_FREE_SLOT",
    "error",
    `all ${max} replication slots are used (${used} exist, max_replication_slots = ${max}) and this connector's slot does not exist yet`,
    `raise max_replication_slots in postgresql.conf and restart the server${unused}`,
  );
}

export function noFreeWalSenderProblem(max: number, used: number): PrecheckProblem {
  return problem(
    "TRB_PG_NO_FREE_WAL_SENDER",
    "error",
    `all WAL sender processes are busy (${used} running, max_wal_senders = ${max})`,
    "raise max_wal_senders in postgresql.conf and restart the server, or stop a replication client no longer needed",
  );
}

export function createOnDatabaseProblem(
  user: string,
  database: string,
  publication: string,
): PrecheckProblem {
  return problem(
    "TRB_PG_PRIVILEGE",
    "error",
    `role ${displayIdent(user)} lacks CREATE on database ${displayIdent(database)}, needed to create the publication ${publication}`,
    `run GRANT CREATE ON DATABASE ${displayIdent(database)} TO ${displayIdent(user)}, or create the publication as a superuser`,
  );
}

export function publicationOwnerProblem(user: string, publication: string): PrecheckProblem {
  return problem(
    "TRB_PG_PRIVILEGE",
    "error",
    `the publication ${publication} exists but role ${displayIdent(user)} does not own it, so it cannot keep it in step with the tables selected`,
    `run ALTER PUBLICATION ${displayIdent(publication)} OWNER TO ${displayIdent(user)} (as a superuser)`,
  );
}

export function helperSchemaProblem(
  user: string,
  schema: string,
  missing: "create-schema" | "create" | "usage",
): PrecheckProblem {
  const role = displayIdent(user);
  const name = displayIdent(schema);
  switch (missing) {
    case "create-schema":
      return problem(
        "TRB_PG_PRIVILEGE",
        "error",
        `the helper schema ${name} does not exist and role ${role} may not create it`,
        `run CREATE SCHEMA ${name} AUTHORIZATION ${role} (as a superuser), or set helperSchema to a schema ${role} may create tables in`,
      );
    case "create":
      return problem(
        "TRB_PG_PRIVILEGE",
        "error",
        `role ${role} lacks CREATE on the helper schema ${name}, needed to create the tributary_* helper tables`,
        `run GRANT CREATE ON SCHEMA ${name} TO ${role}, or set helperSchema to a schema ${role} may create tables in`,
      );
    case "usage":
      return problem(
        "TRB_PG_PRIVILEGE",
        "error",
        `role ${role} lacks USAGE on the helper schema ${name}`,
        `run GRANT USAGE ON SCHEMA ${name} TO ${role}`,
      );
  }
}

export function ddlCaptureWarning(user: string): PrecheckProblem {
  return problem(
    "TRB_PG_DDL_CAPTURE",
    "warning",
    `ddl.capture is on but role ${displayIdent(user)} is not a superuser, and only a superuser can create event triggers: ` +
      "DDL statements will not be captured (column changes are still seen from pgoutput Relation messages)",
    "connect as a superuser, or set ddl.capture: false to run without DDL capture",
  );
}

export function replicaIdentityProblem(refused: RefusedTable): PrecheckProblem {
  const leaf = displayName(refused.leaf.schema, refused.leaf.table);
  const via =
    refused.leaf.oid === refused.table.oid
      ? ""
      : ` (a partition of the selected table ${displayName(refused.table.schema, refused.table.table)})`;
  const subject = `${refused.table.schema}.${refused.table.table}`;
  if (refused.reason === "replica-identity-nothing") {
    return problem(
      "TRB_PG_REPLICA_IDENTITY",
      "error",
      `table ${leaf}${via} has REPLICA IDENTITY NOTHING: its updates and deletes cannot be published, and would fail once it is in the publication`,
      `run ALTER TABLE ${leaf} REPLICA IDENTITY DEFAULT (it has a primary key) or ALTER TABLE ${leaf} REPLICA IDENTITY FULL, or exclude the table`,
      subject,
    );
  }
  return problem(
    "TRB_PG_REPLICA_IDENTITY",
    "error",
    `table ${leaf}${via} has no primary key, no replica identity index and no REPLICA IDENTITY FULL: its updates and deletes ` +
      "cannot be published, and would fail once it is in the publication",
    `add a primary key (ALTER TABLE ${leaf} ADD PRIMARY KEY (…)), or run ALTER TABLE ${leaf} REPLICA IDENTITY FULL, or exclude the table`,
    subject,
  );
}

function tableListText(tables: readonly { schema: string; table: string }[]): string {
  const names = tables.slice(0, 20).map((t) => displayName(t.schema, t.table));
  return tables.length > 20 ? `${names.join(", ")} and ${tables.length - 20} more` : names.join(", ");
}

export function notOwnerProblem(
  user: string,
  tables: readonly { schema: string; table: string }[],
): PrecheckProblem {
  return problem(
    "TRB_PG_PRIVILEGE",
    "error",
    `role ${displayIdent(user)} is not a superuser and does not own ${tables.length === 1 ? "the table" : `${tables.length} tables`} ` +
      `it must publish (${tableListText(tables)}), and only an owner can add a table to a publication`,
    `connect as a superuser, or make ${displayIdent(user)} the owner (ALTER TABLE … OWNER TO ${displayIdent(user)}), or exclude the tables`,
  );
}

export function selectPrivilegeProblem(
  user: string,
  tables: readonly { schema: string; table: string }[],
): PrecheckProblem {
  return problem(
    "TRB_PG_PRIVILEGE",
    "error",
    `role ${displayIdent(user)} cannot read ${tables.length === 1 ? "the selected table" : `${tables.length} selected tables`} ${tableListText(tables)} for the snapshot`,
    `run GRANT USAGE ON SCHEMA <schema> TO ${displayIdent(user)} and GRANT SELECT ON ${tableListText(tables)} TO ${displayIdent(user)}`,
  );
}

export function slotActiveProblem(slot: string, pid: number | null): PrecheckProblem {
  return problem(
    "TRB_PG_SLOT_ACTIVE",
    "error",
    `replication slot ${slot} is in use by ${pid === null ? "another process" : `the process with pid ${pid}`}: another instance of this connector is running`,
    "stop the other instance first; two instances must not share a slot",
  );
}

export function slotConflictProblem(slot: string, why: string): PrecheckProblem {
  return problem(
    "TRB_PG_SLOT_CONFLICT",
    "error",
    `replication slot ${slot} exists but ${why}`,
    "give this connector another name, or drop that slot if nothing uses it " +
      `(SELECT pg_drop_replication_slot(${quoteLiteral(slot)}))`,
  );
}

export function slotLostProblem(slot: string, severity: ProblemSeverity): PrecheckProblem {
  return problem(
    "TRB_PG_SLOT_LOST",
    severity,
    `replication slot ${slot} is invalidated: the server removed WAL it still needed, so changes were lost`,
    severity === "warning"
      ? "the connector will take a new snapshot (snapshot.mode: when_needed)"
      : "run tributary release and start again with a snapshot, or set snapshot.mode: when_needed",
  );
}

export function unloggedWarning(table: { schema: string; table: string }): PrecheckProblem {
  const name = displayName(table.schema, table.table);
  return problem(
    "TRB_PG_TABLE_UNLOGGED",
    "warning",
    `table ${name} is selected but UNLOGGED, and logical replication never sees its changes`,
    `run ALTER TABLE ${name} SET LOGGED to capture it, or exclude it`,
    `${table.schema}.${table.table}`,
  );
}

export function missingTableWarning(table: { schema: string; table: string }): PrecheckProblem {
  const name = displayName(table.schema, table.table);
  return problem(
    "TRB_PG_NO_TABLES",
    "warning",
    `tables.include names ${name}, which does not exist (names are case-sensitive)`,
    "check the spelling, or create the table",
    `${table.schema}.${table.table}`,
  );
}

export function noTablesWarning(include: readonly string[]): PrecheckProblem {
  return problem(
    "TRB_PG_NO_TABLES",
    "warning",
    `no existing table matches tables.include ${JSON.stringify(include)}`,
    "check the patterns (schema.table, case-sensitive); tables created later are captured when they match",
  );
}
