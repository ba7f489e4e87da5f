/**
 * SQL text of the helper objects a PostgreSQL source keeps in its database (pure):
 * - `tributary_heartbeat`: one row per connector, updated every heartbeat interval so the slot
 *   moves even when the captured tables are idle;
 * - `tributary_ddl`: one row per object a DDL command touched, written by the event trigger, so
 *   schema changes arrive through the slot in commit order with the data;
 * - `tributary_origin_marker`: written by Tributary sinks as the first statement of each applied
 *   transaction (DESIGN.md section 6); the source tags that transaction's changes with `origin`;
 * - the DDL capture function and its two event triggers.
 */
import { createHash } from "node:crypto";
import { HELPER_TABLES, type HelperTableKind } from "../capture/helper-tables.js";
import { replicationName } from "../config.js";
import { dollarQuote, qualifiedName, quoteIdent, quoteLiteral } from "./sql-quote.js";

/** NAMEDATALEN - 1: PostgreSQL silently truncates longer names. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * `base + suffix`, kept within 63 bytes: a longer name is cut and given 8 hex digits of its
 * hash, so two long connector names never end up naming the same object.
 */
export function boundedName(base: string, suffix: string): string {
  const full = `${base}${suffix}`;
  if (Buffer.byteLength(full) <= MAX_IDENTIFIER_BYTES) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  const room = MAX_IDENTIFIER_BYTES - Buffer.byteLength(suffix) - hash.length - 1;
  let cut = base;
  while (Buffer.byteLength(cut) > room) cut = cut.slice(0, -1);
  return `${cut}_${hash}${suffix}`;
}

/** The names of one connector's DDL-capture objects. */
export interface DdlCaptureNames {
  /** Event trigger on `ddl_command_end`: `tributary_<name>_ddl`. */
  readonly commandTrigger: string;
  /** Event trigger on `sql_drop`: `tributary_<name>_drop`. */
  readonly dropTrigger: string;
  /** Function in the helper schema: `tributary_<name>_capture_ddl`. */
  readonly captureFunction: string;
}

export function ddlCaptureNames(config: { name: string }): DdlCaptureNames {
  const base = replicationName(config);
  return {
    commandTrigger: boundedName(base, "_ddl"),
    dropTrigger: boundedName(base, "_drop"),
    captureFunction: boundedName(base, "_capture_ddl"),
  };
}

export const HELPER_TABLE_KINDS: readonly HelperTableKind[] = ["heartbeat", "ddl", "origin_marker"];

const HELPER_COLUMNS: Readonly<Record<HelperTableKind, readonly string[]>> = {
  heartbeat: ["connector text PRIMARY KEY", "beat_at timestamptz NOT NULL", "seq bigint NOT NULL"],
  ddl: [
    "id bigserial PRIMARY KEY",
    "connector text",
    "captured_at timestamptz DEFAULT now()",
    "txid bigint DEFAULT txid_current()",
    "command_tag text",
    "object_type text",
    "schema_name text",
    "object_name text",
    "statement text",
    "columns jsonb",
    // The relation's OID, as pgoutput's Relation messages carry it: ties a RENAME to its table.
    "object_oid bigint",
  ],
  origin_marker: [
    "sink text PRIMARY KEY",
    "origin text NOT NULL",
    "seq bigint NOT NULL",
    "marked_at timestamptz NOT NULL",
  ],
};

export function createHelperSchemaSql(helperSchema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(helperSchema)}`;
}

export function createHelperTableSql(helperSchema: string, kind: HelperTableKind): string {
  const columns = HELPER_COLUMNS[kind].map((column) => `  ${column}`).join(",\n");
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(helperSchema, HELPER_TABLES[kind])} (\n${columns}\n)`;
}

export function dropHelperTableSql(helperSchema: string, kind: HelperTableKind): string {
  return `DROP TABLE IF EXISTS ${qualifiedName(helperSchema, HELPER_TABLES[kind])}`;
}

/** The connector's heartbeat: `$1` is the connector name. Creates its row on first use. */
export function heartbeatSql(helperSchema: string): string {
  return (
    `INSERT INTO ${qualifiedName(helperSchema, HELPER_TABLES.heartbeat)} AS h (connector, beat_at, seq) ` +
    "VALUES ($1, now(), 1) ON CONFLICT (connector) DO UPDATE SET beat_at = now(), seq = h.seq + 1"
  );
}

/**
 * SQL expression: the 1-based position of attribute `a` in its table's key — the primary key, else
 * the replica-identity index — or null when it is not a key column.
 */
export function keyPositionSql(attribute = "a"): string {
  return `(SELECT k.ord::int
     FROM pg_catalog.pg_index i, pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    WHERE i.indrelid = ${attribute}.attrelid AND k.attnum = ${attribute}.attnum
      AND (i.indisprimary OR (i.indisreplident AND NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_index p WHERE p.indrelid = ${attribute}.attrelid AND p.indisprimary)))
    LIMIT 1)`;
}

/**
 * Body of the DDL capture function (PL/pgSQL). One row per affected object:
 * - at `ddl_command_end`, from `pg_event_trigger_ddl_commands()`: CREATE/ALTER TABLE (ADD, DROP,
 *   RENAME and ALTER COLUMN … TYPE, RENAME TO), CREATE INDEX, and every other DDL command, with
 *   the table's new column list (with each key column's `keyPosition`) for tables;
 * - at `sql_drop`, from `pg_event_trigger_dropped_objects()`: dropped tables only (a dropped
 *   column is reported at `ddl_command_end` as ALTER TABLE with the new column list).
 * Skipped: temporary objects, commands with no object (GRANT), and objects named `tributary_*`
 * (the helper tables, this function, the publications). TRUNCATE is not DDL here: pgoutput sends
 * Truncate messages itself. Any failure becomes a WARNING; the user's DDL always goes through.
 */
export function captureFunctionBody(
  helperSchema: string,
  connector: string,
  serverVersionNum: number,
): string {
  const ddlTable = qualifiedName(helperSchema, HELPER_TABLES.ddl);
  const name = quoteLiteral(connector);
  // Generated columns (PostgreSQL 12+) keep their expression in pg_attrdef too: not a default.
  const generated = serverVersionNum >= 120000;
  const defaultExpr = generated
    ? "CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END"
    : "pg_catalog.pg_get_expr(d.adbin, d.adrelid)";
  const generatedExpr = generated
    ? "CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END"
    : "NULL::text";
  const insert = `INSERT INTO ${ddlTable} (connector, command_tag, object_type, schema_name, object_name, statement, columns, object_oid)`;
  return `
DECLARE
  r record;
  obj_schema text;
  obj_name text;
  obj_kind "char";
  obj_persistence "char";
  obj_columns jsonb;
BEGIN
  IF tg_event = 'sql_drop' THEN
    FOR r IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
      CONTINUE WHEN r.object_type <> 'table' OR r.is_temporary OR left(r.object_name, 10) = 'tributary_';
      ${insert}
      VALUES (${name}, tg_tag, r.object_type, r.schema_name, r.object_name, pg_catalog.current_query(), NULL, r.objid);
    END LOOP;
    RETURN;
  END IF;
  FOR r IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() LOOP
    CONTINUE WHEN r.objid IS NULL OR left(r.schema_name, 7) = 'pg_temp';
    obj_columns := NULL;
    IF r.classid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN
      SELECT n.nspname, c.relname, c.relkind, c.relpersistence
        INTO obj_schema, obj_name, obj_kind, obj_persistence
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.oid = r.objid;
      CONTINUE WHEN NOT FOUND OR obj_persistence = 't' OR left(obj_name, 10) = 'tributary_';
      IF obj_kind IN ('r', 'p') THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                 'name', a.attname,
                 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                 'nullable', NOT a.attnotnull,
                 'default', ${defaultExpr},
                 'generated', ${generatedExpr},
                 'keyPosition', ${keyPositionSql()}) ORDER BY a.attnum)
          INTO obj_columns
          FROM pg_catalog.pg_attribute a
          LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = r.objid AND a.attnum > 0 AND NOT a.attisdropped;
        obj_columns := coalesce(obj_columns, '[]'::jsonb);
      END IF;
    ELSE
      CONTINUE WHEN r.object_identity ~ '(^|[.])"?tributary_';
      obj_schema := r.schema_name;
      obj_name := r.object_identity;
    END IF;
    ${insert}
    VALUES (${name}, r.command_tag, r.object_type, obj_schema, obj_name, pg_catalog.current_query(), obj_columns, r.objid);
  END LOOP;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'Tributary connector % could not record this DDL in %: % (SQLSTATE %)',
    ${name}, ${quoteLiteral(ddlTable)}, SQLERRM, SQLSTATE
    USING HINT = 'The DDL itself succeeded; the connector will see the change only from pgoutput Relation messages.';
END
`;
}

export function createCaptureFunctionSql(
  helperSchema: string,
  config: { name: string },
  serverVersionNum: number,
): string {
  const { captureFunction } = ddlCaptureNames(config);
  const body = captureFunctionBody(helperSchema, config.name, serverVersionNum);
  return (
    `CREATE OR REPLACE FUNCTION ${qualifiedName(helperSchema, captureFunction)}() RETURNS event_trigger\n` +
    `LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp\nAS ${dollarQuote(body)}`
  );
}

export type EventTriggerEvent = "ddl_command_end" | "sql_drop";

export function createEventTriggerSql(
  trigger: string,
  event: EventTriggerEvent,
  helperSchema: string,
  captureFunction: string,
  serverVersionNum: number,
): string {
  // EXECUTE FUNCTION is PostgreSQL 11+; EXECUTE PROCEDURE still works everywhere.
  const execute = serverVersionNum >= 110000 ? "EXECUTE FUNCTION" : "EXECUTE PROCEDURE";
  return `CREATE EVENT TRIGGER ${quoteIdent(trigger)} ON ${event} ${execute} ${qualifiedName(helperSchema, captureFunction)}()`;
}

export function dropEventTriggerSql(trigger: string): string {
  return `DROP EVENT TRIGGER IF EXISTS ${quoteIdent(trigger)}`;
}

export function dropCaptureFunctionSql(helperSchema: string, captureFunction: string): string {
  return `DROP FUNCTION IF EXISTS ${qualifiedName(helperSchema, captureFunction)}()`;
}
