/**
 * The target table of each writer schema, made ready before any row of it is applied:
 * created when missing (`autoCreate`: its schema and user types too, the event key as primary
 * key), given the columns a newer writer schema has and the enum labels it knows (`autoEvolve`),
 * and described with the target's own column types, which statements then cast to. The DDL runs
 * in its own transaction, committed before the data that needs it, marked with the origin of
 * that data like any applied transaction.
 */
import {
  type AvroRecordSchema,
  type Fingerprint,
  isRetriable,
  isTributaryError,
  type Logger,
  TributaryError,
  type WriterSchema,
} from "@tributary/core";
import type { NameMapping } from "../name-mapping.js";
import type { SinkMetrics } from "../SinkMetrics.js";
import type { Dialect } from "../sql/dialect.js";
import { qualifiedName, type SqlStatement, statement } from "../sql/sql-text.js";
import { buildTableModel, type ColumnModel, type TableModel, withTargetTypes } from "../table-model.js";
import { textArrayLiteral } from "../value-text.js";
import type { OriginMarking } from "./OriginMarking.js";
import type { TargetConnection } from "./TargetConnection.js";

export interface TargetTablesOptions {
  connection: TargetConnection;
  dialect: Dialect;
  marking: OriginMarking;
  mapping: NameMapping;
  autoCreate: boolean;
  autoEvolve: boolean;
  /** The session runs with session_replication_role = replica (DDL then switches it back, see `runDdl`). */
  replicaRole: boolean;
  /** The dialect's check of an existing table (see `SessionDialect.checkTable`). */
  checkTable?: (table: TableModel) => Promise<void>;
  metrics: SinkMetrics;
  logger: Logger;
}

interface TargetShape {
  readonly exists: boolean;
  /** Column name → its type as format_type writes it. */
  readonly columns: ReadonlyMap<string, string>;
}

export class TargetTables {
  private readonly ready = new Map<Fingerprint, TableModel>();

  constructor(private readonly options: TargetTablesOptions) {}

  /** The model `prepare` gave for `writer` already, if any (no query, no DDL). */
  prepared(writer: WriterSchema): TableModel | undefined {
    return this.ready.get(writer.fingerprint);
  }

  /**
   * The model of `writer`'s table with the target's column types, after the DDL it needs.
   * `sourceConnector` is the events' `source.connector`; `origin` marks the DDL transaction.
   */
  async prepare(writer: WriterSchema, sourceConnector: string, origin: string | null): Promise<TableModel> {
    const known = this.ready.get(writer.fingerprint);
    if (known !== undefined) return known;
    const { autoCreate, autoEvolve, dialect, metrics, logger } = this.options;
    const model = buildTableModel(writer.schema as AvroRecordSchema, null, {
      sourceConnector,
      mapping: this.options.mapping,
    });
    const name = `${model.schema}.${model.table}`;
    let shape = await this.shapeOf(model);
    const ddl: SqlStatement[] = [];
    let kind: "create" | "evolve" | undefined;
    if (!shape.exists) {
      if (!autoCreate) {
        throw new TributaryError(
          "TRB_SINK_TABLE_MISSING",
          `target table ${name} does not exist and autoCreate is false; create it, or set autoCreate: true`,
          { details: { table: name } },
        );
      }
      ddl.push(...dialect.createTable(model, { knownTypes: await this.knownTypes(model.columns) }));
      kind = "create";
    } else {
      await this.options.checkTable?.(model);
      const missing = model.columns.filter((column) => !shape.columns.has(column.name));
      if (missing.length > 0) {
        if (!autoEvolve) {
          throw new TributaryError(
            "TRB_SINK_COLUMN_MISSING",
            `target table ${name} has no column ${missing.map((c) => c.name).join(", ")} and autoEvolve is false; ` +
              "add the column(s), or set autoEvolve: true",
            { details: { table: name, columns: missing.map((c) => c.name) } },
          );
        }
        ddl.push(...dialect.addColumns(model, missing, { knownTypes: await this.knownTypes(missing) }));
        kind = "evolve";
      }
    }
    // An enum the target already had may lack labels a newer source schema has.
    if (autoEvolve || kind === "create") ddl.push(...dialect.enumLabels(model));
    if (ddl.length > 0) {
      await this.runDdl(ddl, origin, name);
      if (kind !== undefined) {
        metrics.ddl.inc({ table: name, kind });
        logger.info(
          { table: name, writerSchema: writer.fingerprint },
          kind === "create" ? "created target table" : "added columns to target table",
        );
      }
      shape = await this.shapeOf(model);
    }
    const typed = withTargetTypes(model, shape.columns);
    this.ready.set(writer.fingerprint, typed);
    return typed;
  }

  private async runDdl(
    statements: readonly SqlStatement[],
    origin: string | null,
    table: string,
  ): Promise<void> {
    const { connection, marking, replicaRole } = this.options;
    const marker = await marking.prepare(origin, { lsn: null, commitTsMs: null });
    try {
      await connection.transaction(async () => {
        if (marker !== null) await connection.query(marker);
        // Event triggers do not fire under the replica role: let a source capturing the target's DDL see it.
        if (replicaRole) await connection.query(statement("SET LOCAL session_replication_role = origin"));
        for (const ddl of statements) await connection.query(ddl);
      });
    } catch (error) {
      if (isTributaryError(error)) throw error;
      const state = (error as { code?: unknown }).code;
      throw new TributaryError(
        "TRB_SINK_DDL",
        `preparing target table ${table} (autoCreate/autoEvolve) failed: ${(error as Error).message}` +
          `${typeof state === "string" ? ` (SQLSTATE ${state})` : ""}; create or alter the table yourself, or grant ` +
          "the sink's user the privileges it needs",
        { retriable: isRetriable(error), cause: error, details: { table } },
      );
    }
  }

  private async shapeOf(model: TableModel): Promise<TargetShape> {
    const { rows } = await this.options.connection.query<{
      present: boolean;
      name: string | null;
      type: string | null;
    }>(
      statement(
        "SELECT r.oid IS NOT NULL AS present, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type\n" +
          "FROM (SELECT pg_catalog.to_regclass($1) AS oid) AS r\n" +
          "LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped\n" +
          "ORDER BY a.attnum",
        [qualifiedName(model.schema, model.table)],
      ),
    );
    const columns = new Map<string, string>();
    for (const row of rows) if (row.name !== null && row.type !== null) columns.set(row.name, row.type);
    return { exists: rows[0]?.present === true, columns };
  }

  /** Which of the user types `columns` refer to the target has (`schema.name`), for types the sink cannot recreate. */
  private async knownTypes(columns: readonly ColumnModel[]): Promise<ReadonlySet<string>> {
    const refs = columns.flatMap((column) =>
      column.userType === null
        ? []
        : [
            [column.userType.schema, column.userType.name],
            [column.userType.sourceSchema, column.userType.sourceName],
          ],
    );
    if (refs.length === 0) return new Set();
    const { rows } = await this.options.connection.query<{ name: string }>(
      statement(
        "SELECT n.nspname || '.' || t.typname AS name FROM pg_catalog.pg_type AS t\n" +
          "JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace\n" +
          "WHERE (n.nspname, t.typname) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [
          textArrayLiteral(refs.map(([schema]) => schema as string)),
          textArrayLiteral(refs.map(([, name]) => name as string)),
        ],
      ),
    );
    return new Set(rows.map((row) => row.name));
  }
}
