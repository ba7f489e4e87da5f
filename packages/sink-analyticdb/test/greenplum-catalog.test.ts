/**
 * The Greenplum checks of the AnalyticDB sink, on SQL text and canned catalog rows: no
 * Greenplum-family server is available to the tests (the conformance suite runs the plain
 * PostgreSQL branch against the real target).
 */
import { createLogger, isTributaryError, type TributaryError } from "@tributary/core";
import type { SqlStatement, TargetQuery } from "@tributary/sink-postgres";
import { describe, expect, it } from "vitest";
import { ordersModel } from "../../sink-postgres/test/support/models.js";
import { analyticdbSinkDialect } from "../src/AnalyticDbSinkConnector.js";
import {
  appendOptimizedQuery,
  appendOptimizedRelations,
  GREENPLUM_DETECTION,
  isGreenplumFamily,
  type StorageRow,
} from "../src/greenplum-catalog.js";

const logger = createLogger({ level: "silent" });
const ADB_VERSION =
  "PostgreSQL 9.4.26 (Greenplum Database 6.3.0 build dev) (AnalyticDB for PostgreSQL 6.3.10.1 build dev) on x86_64";
const PG_VERSION = "PostgreSQL 15.6 on x86_64-pc-linux-gnu, compiled by gcc";

describe("isGreenplumFamily", () => {
  it.each([
    [ADB_VERSION, false, true],
    ["PostgreSQL 12.12 (Greenplum Database 7.1.0 build commit:abc) on x86_64", false, true],
    ["PostgreSQL 14.4 (Apache Cloudberry 1.6.0 build 1) on x86_64", false, true],
    [PG_VERSION, true, true],
    [PG_VERSION, false, false],
  ])("%s with gp_segment_configuration %s → %s", (version, segments, expected) => {
    expect(isGreenplumFamily({ version, segments })).toBe(expected);
  });

  it("asks version() and for gp_segment_configuration in one statement", () => {
    expect(GREENPLUM_DETECTION.text).toContain("pg_catalog.version() AS version");
    expect(GREENPLUM_DETECTION.text).toContain("to_regclass('pg_catalog.gp_segment_configuration')");
  });
});

describe("append-optimized tables", () => {
  it("walks the table's partitions and reads both the access method and pg_appendonly", () => {
    const { text, values } = appendOptimizedQuery('"sales"."Orders"');
    expect(values).toEqual([]);
    expect(text).toContain(`SELECT '"sales"."Orders"'::regclass::oid`);
    expect(text).toContain("pg_catalog.pg_inherits");
    expect(text).toContain("LEFT JOIN pg_catalog.pg_am AS am ON am.oid = c.relam");
    expect(text).toContain("LEFT JOIN pg_catalog.pg_appendonly AS ao ON ao.relid = c.oid");
  });

  it.each<[string, StorageRow[], string[]]>([
    ["a heap table", [{ name: "s.t", access_method: "heap", appendonly: false }], []],
    ["Greenplum 6 heap (relam 0)", [{ name: "s.t", access_method: null, appendonly: false }], []],
    ["Greenplum 6 AO (pg_appendonly)", [{ name: "s.t", access_method: null, appendonly: true }], ["s.t"]],
    ["Greenplum 7 ao_row", [{ name: "s.t", access_method: "ao_row", appendonly: true }], ["s.t"]],
    ["Greenplum 7 ao_column", [{ name: "s.t", access_method: "ao_column", appendonly: false }], ["s.t"]],
    [
      "a heap parent with one AO partition",
      [
        { name: "s.t", access_method: "heap", appendonly: false },
        { name: "s.t_1_prt_2", access_method: "ao_column", appendonly: true },
      ],
      ["s.t_1_prt_2"],
    ],
  ])("%s", (_, rows, expected) => {
    expect(appendOptimizedRelations(rows)).toEqual(expected);
  });
});

/** A target that answers the two catalog statements with canned rows. */
function catalog(version: string, segments: boolean, storage: StorageRow[]): TargetQuery {
  return (async (statement: SqlStatement) => {
    if (statement === GREENPLUM_DETECTION) return [{ version, segments }];
    if (statement.text.includes("pg_appendonly")) return storage;
    throw new Error(`unexpected statement ${statement.text}`);
  }) as TargetQuery;
}

describe("analyticdbSinkDialect.open", () => {
  const orders = ordersModel();

  it("on a Greenplum-family target: distributes created tables and refuses append-optimized ones", async () => {
    const ao = await analyticdbSinkDialect.open({
      query: catalog(ADB_VERSION, true, [{ name: "public.orders", access_method: null, appendonly: true }]),
      logger,
    });
    expect(ao.dialect.createTable(orders)[1]?.text).toMatch(/\) DISTRIBUTED BY \("id"\)$/);
    const refused = await ao.checkTable?.(orders).catch((error: unknown) => error);
    expect(isTributaryError(refused, "TRB_SINK_TABLE_APPEND_OPTIMIZED")).toBe(true);
    expect((refused as TributaryError).message).toContain("target table public.orders is append-optimized");
    expect((refused as TributaryError).message).toContain("appendoptimized = false");

    const heap = await analyticdbSinkDialect.open({
      query: catalog(ADB_VERSION, true, [{ name: "public.orders", access_method: null, appendonly: false }]),
      logger,
    });
    await expect(heap.checkTable?.(orders)).resolves.toBeUndefined();
  });

  it("on plain PostgreSQL: no distribution clause and no append-optimized check", async () => {
    const plain = await analyticdbSinkDialect.open({ query: catalog(PG_VERSION, false, []), logger });
    expect(plain.dialect.createTable(orders)[1]?.text).not.toContain("DISTRIBUTED");
    expect(plain.checkTable).toBeUndefined();
  });
});
