/**
 * Creates and keeps in step the objects a PostgreSQL source needs in its database: the helper
 * schema and tables, the DDL capture function and event triggers, and the publication
 * `tributary_<name>` (see publication-plan.ts for what goes into it).
 *
 * `ensure()` is idempotent and safe on every start, beside a busy database and beside other
 * connectors running their own setup: one transaction, serialized by an advisory lock, with a
 * lock_timeout so it never queues for long behind a lock a user holds (it then fails with the
 * retriable TRB_PG_LOCK_TIMEOUT). Call it before the slot is created: pgoutput reads the
 * publication as of each change's place in the WAL, so a publication younger than the slot's
 * start position is not found.
 */
import { classifyError, type Logger, TributaryError } from "@tributary/core";
import type { ClientBase } from "pg";
import { HELPER_TABLES } from "../capture/helper-tables.js";
import type { PostgresSourceConfig } from "../config.js";
import { replicationName } from "../config.js";
import {
  existingHelperTables,
  listCatalogTables,
  listSchemas,
  readEventTriggers,
  readFunction,
  readPublication,
  readServerFacts,
  type ServerFacts,
} from "./catalog.js";
import {
  captureFunctionBody,
  createCaptureFunctionSql,
  createEventTriggerSql,
  createHelperSchemaSql,
  createHelperTableSql,
  ddlCaptureNames,
  dropCaptureFunctionSql,
  dropEventTriggerSql,
  type EventTriggerEvent,
} from "./helper-objects-sql.js";
import {
  ddlCaptureWarning,
  type PrecheckProblem,
  replicaIdentityProblem,
  unloggedWarning,
} from "./precheck-problems.js";
import {
  createPublicationSql,
  HELPER_TABLE_ORDER,
  type PublicationMode,
  type PublicationOptions,
  planPublication,
  publicationChanges,
  type QualifiedTable,
  type RefusedTable,
} from "./publication-plan.js";
import { qualifiedName, quoteIdent } from "./sql-quote.js";
import { createTableSelector, type TableSelector } from "./table-selection.js";

/** What setup reads of a source config. */
export type SetupConfig = Pick<PostgresSourceConfig, "name" | "tables" | "helperSchema" | "ddl">;

export interface ReplicationSetupOptions {
  /** Longest wait for any lock, in ms (default 5000). */
  lockTimeoutMs?: number;
}

export interface SetupAction {
  action: "created" | "altered" | "dropped" | "enabled";
  kind: "schema" | "table" | "function" | "event trigger" | "publication";
  /** SQL name, e.g. `"public"."tributary_ddl"`. */
  name: string;
  detail?: string;
}

export interface PublicationReport {
  name: string;
  /** `schemas`: FOR TABLES IN SCHEMA where a whole schema is selected; `tables`: FOR TABLE only. */
  mode: PublicationMode;
  /** Published whole. */
  schemas: string[];
  /** Published one by one, helper tables included. */
  tables: QualifiedTable[];
  /** Selected tables left out because their updates and deletes could not be published. */
  refused: RefusedTable[];
  /** Selected tables left out because they are unlogged (logical decoding never sees them). */
  unlogged: QualifiedTable[];
}

export interface EnsureResult {
  /** What was changed; empty when everything was already in place. */
  actions: SetupAction[];
  publication: PublicationReport;
  /** `unavailable`: asked for, but the user is not a superuser. */
  ddlCapture: "on" | "off" | "unavailable";
  /** Refused and unlogged tables, DDL capture unavailable. */
  problems: PrecheckProblem[];
}

export interface RefreshResult {
  actions: SetupAction[];
  publication: PublicationReport;
}

/** Advisory lock (two-int form) that serializes every Tributary setup in a database. */
const SETUP_LOCK = [0x54524942, 1] as const;

export class ReplicationSetup {
  private readonly selector: TableSelector;
  private readonly lockTimeoutMs: number;

  /** `logger` receives one info line per change made. */
  constructor(
    private readonly client: ClientBase,
    private readonly config: SetupConfig,
    private readonly logger?: Logger,
    options: ReplicationSetupOptions = {},
  ) {
    this.selector = createTableSelector(config.tables);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 5000;
  }

  get publicationName(): string {
    return replicationName(this.config);
  }

  /** Creates what is missing and reconciles what exists with the config. */
  async ensure(): Promise<EnsureResult> {
    return this.inTransaction("ensure", async (facts) => {
      const actions: SetupAction[] = [];
      await this.ensureHelperTables(actions);
      const ddlCapture = await this.ensureDdlCapture(facts, actions);
      const publication = await this.reconcilePublication(facts, actions);
      const problems: PrecheckProblem[] = [
        ...publication.refused.map(replicaIdentityProblem),
        ...publication.unlogged.map(unloggedWarning),
      ];
      if (ddlCapture === "unavailable") problems.push(ddlCaptureWarning(facts.currentUser));
      return { actions, publication, ddlCapture, problems };
    });
  }

  /**
   * Brings the publication in step with the tables that exist now: adds newly selected tables
   * (call it when DDL created a table), drops those no longer selected.
   */
  async refreshPublication(): Promise<RefreshResult> {
    return this.inTransaction("refresh the publication", async (facts) => {
      const actions: SetupAction[] = [];
      const publication = await this.reconcilePublication(facts, actions);
      return { actions, publication };
    });
  }

  private async ensureHelperTables(actions: SetupAction[]): Promise<void> {
    const schema = this.config.helperSchema;
    const exists = await this.client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    if (exists.rowCount === 0) {
      await this.client.query(createHelperSchemaSql(schema));
      actions.push({ action: "created", kind: "schema", name: quoteIdent(schema) });
    }
    const present = await existingHelperTables(this.client, schema);
    for (const kind of HELPER_TABLE_ORDER) {
      if (present.has(kind)) continue;
      await this.client.query(createHelperTableSql(schema, kind));
      actions.push({ action: "created", kind: "table", name: qualifiedName(schema, HELPER_TABLES[kind]) });
    }
  }

  private async ensureDdlCapture(
    facts: ServerFacts,
    actions: SetupAction[],
  ): Promise<EnsureResult["ddlCapture"]> {
    const schema = this.config.helperSchema;
    const names = ddlCaptureNames(this.config);
    const triggers = await readEventTriggers(this.client, [names.commandTrigger, names.dropTrigger]);
    if (!this.config.ddl.capture || !facts.isSuperuser) {
      if (!this.config.ddl.capture && facts.isSuperuser) {
        for (const trigger of [names.commandTrigger, names.dropTrigger]) {
          if (!triggers.has(trigger)) continue;
          await this.client.query(dropEventTriggerSql(trigger));
          actions.push({ action: "dropped", kind: "event trigger", name: quoteIdent(trigger) });
        }
        if (await readFunction(this.client, schema, names.captureFunction)) {
          await this.client.query(dropCaptureFunctionSql(schema, names.captureFunction));
          actions.push({
            action: "dropped",
            kind: "function",
            name: qualifiedName(schema, names.captureFunction),
          });
        }
      }
      return this.config.ddl.capture ? "unavailable" : "off";
    }

    const body = captureFunctionBody(schema, this.config.name, facts.versionNum);
    let fn = await readFunction(this.client, schema, names.captureFunction);
    if (!fn || fn.source !== body || !fn.securityDefiner) {
      await this.client.query(createCaptureFunctionSql(schema, this.config, facts.versionNum));
      actions.push({
        action: fn ? "altered" : "created",
        kind: "function",
        name: qualifiedName(schema, names.captureFunction),
      });
      fn = await readFunction(this.client, schema, names.captureFunction);
    }
    const functionOid = fn?.oid ?? 0;
    const wanted: [string, EventTriggerEvent][] = [
      [names.commandTrigger, "ddl_command_end"],
      [names.dropTrigger, "sql_drop"],
    ];
    for (const [trigger, event] of wanted) {
      const existing = triggers.get(trigger);
      const create = createEventTriggerSql(trigger, event, schema, names.captureFunction, facts.versionNum);
      if (!existing) {
        await this.client.query(create);
        actions.push({ action: "created", kind: "event trigger", name: quoteIdent(trigger), detail: event });
      } else if (existing.event !== event || existing.functionOid !== functionOid) {
        await this.client.query(dropEventTriggerSql(trigger));
        await this.client.query(create);
        actions.push({ action: "altered", kind: "event trigger", name: quoteIdent(trigger), detail: event });
      } else if (existing.enabled === "D") {
        await this.client.query(`ALTER EVENT TRIGGER ${quoteIdent(trigger)} ENABLE`);
        actions.push({ action: "enabled", kind: "event trigger", name: quoteIdent(trigger) });
      }
    }
    return "on";
  }

  private async reconcilePublication(facts: ServerFacts, actions: SetupAction[]): Promise<PublicationReport> {
    const name = this.publicationName;
    const version = facts.versionNum;
    const plan = planPublication({
      selector: this.selector,
      tables: await listCatalogTables(this.client, version),
      schemas: await listSchemas(this.client),
      helperSchema: this.config.helperSchema,
      schemaPublications: version >= 150000 && facts.isSuperuser,
      partitionRoots: version >= 130000,
    });
    const options: PublicationOptions = { truncate: version >= 110000, partitionRoots: version >= 130000 };
    const current = await readPublication(this.client, name, version);
    if (!current) {
      await this.client.query(createPublicationSql(name, plan.content, options));
      actions.push({
        action: "created",
        kind: "publication",
        name: quoteIdent(name),
        detail: describe(plan.content),
      });
    } else {
      const changes = publicationChanges(name, current, plan.content, options);
      for (const statement of changes.statements) await this.client.query(statement);
      if (changes.statements.length > 0) {
        const parts: string[] = [];
        if (changes.recreated) parts.push("recreated (it was FOR ALL TABLES)");
        if (changes.addedSchemas.length > 0) parts.push(`added schemas ${changes.addedSchemas.join(", ")}`);
        if (changes.droppedSchemas.length > 0)
          parts.push(`dropped schemas ${changes.droppedSchemas.join(", ")}`);
        if (changes.addedTables.length > 0) parts.push(`added ${tableNames(changes.addedTables)}`);
        if (changes.droppedTables.length > 0) parts.push(`dropped ${tableNames(changes.droppedTables)}`);
        if (changes.optionsChanged) parts.push("set publish options");
        actions.push({
          action: "altered",
          kind: "publication",
          name: quoteIdent(name),
          detail: parts.join("; "),
        });
      }
    }
    return {
      name,
      mode: plan.mode,
      schemas: plan.content.schemas,
      tables: plan.content.tables,
      refused: plan.selection.refused,
      unlogged: plan.selection.unlogged.map((t) => ({ schema: t.schema, table: t.table })),
    };
  }

  private async inTransaction<T extends { actions: SetupAction[] }>(
    step: string,
    work: (facts: ServerFacts) => Promise<T>,
  ): Promise<T> {
    await this.client.query("BEGIN");
    try {
      await this.client.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(this.lockTimeoutMs))}ms'`);
      await this.client.query("SELECT pg_advisory_xact_lock($1, $2)", [...SETUP_LOCK]);
      const facts = await readServerFacts(this.client);
      if (facts.versionNum < 100000) {
        throw new TributaryError(
          "TRB_PG_VERSION_UNSUPPORTED",
          `PostgreSQL ${facts.version} has no pgoutput logical replication; upgrade the server to PostgreSQL 10 or later`,
        );
      }
      const result = await work(facts);
      await this.client.query("COMMIT");
      for (const action of result.actions) {
        this.logger?.info(
          { ...action, publication: this.publicationName },
          `${action.action} ${action.kind} ${action.name}`,
        );
      }
      return result;
    } catch (error) {
      await this.client.query("ROLLBACK").catch(() => undefined);
      throw setupError(error, step, this.publicationName);
    }
  }
}

function describe(content: { schemas: string[]; tables: QualifiedTable[] }): string {
  const parts: string[] = [];
  if (content.schemas.length > 0)
    parts.push(`TABLES IN SCHEMA ${content.schemas.map(quoteIdent).join(", ")}`);
  if (content.tables.length > 0) parts.push(`TABLE ${tableNames(content.tables)}`);
  return parts.length > 0 ? `FOR ${parts.join(", ")}` : "empty";
}

function tableNames(tables: readonly QualifiedTable[]): string {
  return tables.map((t) => qualifiedName(t.schema, t.table)).join(", ");
}

function setupError(error: unknown, step: string, publication: string): TributaryError {
  if (error instanceof TributaryError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  if (code === "55P03") {
    return new TributaryError(
      "TRB_PG_LOCK_TIMEOUT",
      `setup of ${publication} (${step}) gave up waiting for a lock another session holds (${reason}); ` +
        "it is retried — look for long transactions or DDL on the captured tables if it keeps happening",
      { retriable: true, cause: error },
    );
  }
  if (code === "42501") {
    return new TributaryError(
      "TRB_PG_PRIVILEGE",
      `setup of ${publication} (${step}) lacks a privilege: ${reason}; run tributary precheck for what to grant`,
      { cause: error },
    );
  }
  return new TributaryError("TRB_PG_SETUP", `setup of ${publication} (${step}) failed: ${reason}`, {
    retriable: classifyError(error) === "retriable",
    cause: error,
  });
}
