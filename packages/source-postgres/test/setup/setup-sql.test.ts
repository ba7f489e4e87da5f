import { describe, expect, it } from "vitest";
import {
  boundedName,
  captureFunctionBody,
  createCaptureFunctionSql,
  createEventTriggerSql,
  createHelperSchemaSql,
  createHelperTableSql,
  ddlCaptureNames,
  dropHelperTableSql,
  heartbeatSql,
  MAX_IDENTIFIER_BYTES,
} from "../../src/setup/helper-objects-sql.js";
import {
  displayIdent,
  displayName,
  dollarQuote,
  qualifiedName,
  quoteIdent,
  quoteLiteral,
} from "../../src/setup/sql-quote.js";

describe("quoting", () => {
  it.each([
    ["orders", '"orders"'],
    ["Orders", '"Orders"'],
    ["Order Items", '"Order Items"'],
    ['say "hi"', '"say ""hi"""'],
    ["a.b", '"a.b"'],
    ["", '""'],
  ])("quoteIdent(%j) = %s", (name, expected) => {
    expect(quoteIdent(name)).toBe(expected);
  });

  it.each([
    ["plain", "'plain'"],
    ["it's", "'it''s'"],
    ["back\\slash", "E'back\\\\slash'"],
    ["both ' and \\", "E'both '' and \\\\'"],
  ])("quoteLiteral(%j) = %s", (value, expected) => {
    expect(quoteLiteral(value)).toBe(expected);
  });

  it("refuses NUL characters", () => {
    expect(() => quoteIdent("a\0b")).toThrow(/NUL/);
    expect(() => quoteLiteral("a\0b")).toThrow(/NUL/);
  });

  it("qualifies", () => {
    expect(qualifiedName("My Schema", 'T"1')).toBe('"My Schema"."T""1"');
  });

  it.each([
    ["orders", "orders"],
    ["order", '"order"'],
    ["user", '"user"'],
    ["Orders", '"Orders"'],
    ["t_1$", "t_1$"],
    ["1t", '"1t"'],
    ["a b", '"a b"'],
  ])("displayIdent(%j) = %s", (name, expected) => {
    expect(displayIdent(name)).toBe(expected);
  });

  it("displays qualified names", () => {
    expect(displayName("public", "Order Items")).toBe('public."Order Items"');
  });

  it("picks a dollar-quote tag absent from the body", () => {
    expect(dollarQuote("x")).toBe("$tributary$x$tributary$");
    expect(dollarQuote("a $tributary$ b")).toBe("$tributary1$a $tributary$ b$tributary1$");
    expect(dollarQuote("$tributary$ $tributary1$")).toBe("$tributary2$$tributary$ $tributary1$$tributary2$");
  });
});

describe("helper object names", () => {
  it("derives the DDL capture names from the connector name", () => {
    expect(ddlCaptureNames({ name: "shop" })).toEqual({
      commandTrigger: "tributary_shop_ddl",
      dropTrigger: "tributary_shop_drop",
      captureFunction: "tributary_shop_capture_ddl",
    });
  });

  it("keeps long names within 63 bytes, distinct and stable", () => {
    const long = "a".repeat(53);
    const names = ddlCaptureNames({ name: long });
    for (const name of Object.values(names)) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
      expect(name.startsWith("tributary_aaaa")).toBe(true);
    }
    expect(names.captureFunction.endsWith("_capture_ddl")).toBe(true);
    expect(ddlCaptureNames({ name: long })).toEqual(names);
    const other = ddlCaptureNames({ name: `${"a".repeat(52)}b` });
    expect(other.commandTrigger).not.toBe(names.commandTrigger);
  });

  it("leaves short names alone and cuts multi-byte names on character boundaries", () => {
    expect(boundedName("tributary_x", "_ddl")).toBe("tributary_x_ddl");
    const cut = boundedName("é".repeat(40), "_ddl");
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
    expect(cut).not.toContain("\uFFFD");
  });
});

describe("helper tables SQL", () => {
  it("creates the schema and each table, quoting the schema", () => {
    expect(createHelperSchemaSql("Tributary Helpers")).toBe(
      'CREATE SCHEMA IF NOT EXISTS "Tributary Helpers"',
    );
    expect(createHelperTableSql("Tributary Helpers", "heartbeat")).toBe(
      'CREATE TABLE IF NOT EXISTS "Tributary Helpers"."tributary_heartbeat" (\n' +
        "  connector text PRIMARY KEY,\n  beat_at timestamptz NOT NULL,\n  seq bigint NOT NULL\n)",
    );
    expect(createHelperTableSql("public", "origin_marker")).toBe(
      'CREATE TABLE IF NOT EXISTS "public"."tributary_origin_marker" (\n' +
        "  sink text PRIMARY KEY,\n  origin text NOT NULL,\n  seq bigint NOT NULL,\n  marked_at timestamptz NOT NULL\n)",
    );
    const ddl = createHelperTableSql("public", "ddl");
    for (const column of [
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
      "object_oid bigint",
    ]) {
      expect(ddl).toContain(`  ${column}`);
    }
    expect(dropHelperTableSql('we"ird', "ddl")).toBe('DROP TABLE IF EXISTS "we""ird"."tributary_ddl"');
  });

  it("upserts the heartbeat row", () => {
    expect(heartbeatSql("Ops")).toBe(
      'INSERT INTO "Ops"."tributary_heartbeat" AS h (connector, beat_at, seq) VALUES ($1, now(), 1) ' +
        "ON CONFLICT (connector) DO UPDATE SET beat_at = now(), seq = h.seq + 1",
    );
  });
});

describe("DDL capture SQL", () => {
  it("writes into the quoted helper table with the connector name as a literal", () => {
    const body = captureFunctionBody('It\'s "here"', "shop", 150000);
    expect(body).toContain('INSERT INTO "It\'s ""here"""."tributary_ddl" (connector,');
    expect(body).toContain("VALUES ('shop', tg_tag,");
    expect(body).toContain("VALUES ('shop', r.command_tag,");
    expect(body).toContain("pg_catalog.current_query()");
    expect(body).toContain("pg_catalog.pg_event_trigger_ddl_commands()");
    expect(body).toContain("pg_catalog.pg_event_trigger_dropped_objects()");
    expect(body).toContain("EXCEPTION WHEN OTHERS THEN");
    expect(body).toContain("RAISE WARNING");
    // The schema name inside the warning is a literal of the quoted table name.
    expect(body).toContain(`'"It''s ""here"""."tributary_ddl"'`);
  });

  it("leaves generated-column handling out before PostgreSQL 12", () => {
    expect(captureFunctionBody("public", "shop", 150000)).toContain("a.attgenerated");
    expect(captureFunctionBody("public", "shop", 110000)).not.toContain("attgenerated");
  });

  it("creates a SECURITY DEFINER function with a fixed search_path", () => {
    const sql = createCaptureFunctionSql("My Schema", { name: "shop" }, 150000);
    expect(
      sql.startsWith(
        'CREATE OR REPLACE FUNCTION "My Schema"."tributary_shop_capture_ddl"() RETURNS event_trigger',
      ),
    ).toBe(true);
    expect(sql).toContain("SECURITY DEFINER SET search_path = pg_catalog, pg_temp");
    expect(sql).toContain("AS $tributary$");
    expect(sql.endsWith("$tributary$")).toBe(true);
  });

  it("creates the event triggers, with EXECUTE PROCEDURE before PostgreSQL 11", () => {
    expect(createEventTriggerSql("tributary_shop_ddl", "ddl_command_end", "My Schema", "f", 150000)).toBe(
      'CREATE EVENT TRIGGER "tributary_shop_ddl" ON ddl_command_end EXECUTE FUNCTION "My Schema"."f"()',
    );
    expect(createEventTriggerSql("tributary_shop_drop", "sql_drop", "public", "f", 100000)).toBe(
      'CREATE EVENT TRIGGER "tributary_shop_drop" ON sql_drop EXECUTE PROCEDURE "public"."f"()',
    );
  });
});
