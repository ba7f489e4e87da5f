import type { ColumnDescription } from "@tributary/core";
import { postgresDialect } from "@tributary/sink-postgres";
import { describe, expect, it } from "vitest";
import {
  array,
  decimal,
  INT,
  LONG,
  model,
  ordersModel,
  pgColumn,
  STRING,
} from "../../sink-postgres/test/support/models.js";
import { polardbDialect as dialect, polardbColumnType } from "../src/polardb-dialect.js";

describe("polardbColumnType from a PostgreSQL source: Oracle-mode types", () => {
  const table = model({
    columns: [
      pgColumn("c_bool", { kind: "boolean" }, "boolean"),
      pgColumn("c_int2", INT, "smallint"),
      pgColumn("c_int4", INT, "integer"),
      pgColumn("c_int8", LONG, "bigint"),
      pgColumn("c_real", { kind: "float" }, "real"),
      pgColumn("c_double", { kind: "double" }, "double precision"),
      pgColumn("c_numeric", decimal(12, 2), "numeric(12,2)"),
      pgColumn("c_numeric_wide", decimal(50, 10), "numeric(50,10)"),
      pgColumn("c_numeric_free", STRING, "numeric"),
      pgColumn("c_varchar", STRING, "character varying(20)"),
      pgColumn("c_varchar_huge", STRING, "character varying(100000)"),
      pgColumn("c_varchar_free", STRING, "character varying"),
      pgColumn("c_char", STRING, "character(5)"),
      pgColumn("c_text", STRING, "text"),
      pgColumn("c_bytea", { kind: "bytes" }, "bytea"),
      pgColumn("c_uuid", { kind: "uuid" }, "uuid"),
      pgColumn("c_date", { kind: "date" }, "date"),
      pgColumn("c_time", { kind: "time-micros" }, "time(3) without time zone"),
      pgColumn("c_ts", { kind: "local-timestamp-micros" }, "timestamp without time zone"),
      pgColumn("c_ts3", { kind: "local-timestamp-micros" }, "timestamp(3) without time zone"),
      pgColumn("c_tstz", { kind: "timestamp-micros" }, "timestamp(0) with time zone"),
      pgColumn("c_json", STRING, "jsonb"),
      pgColumn("c_inet", STRING, "inet"),
      pgColumn("c_mood", STRING, "public.mood", { labels: ["a"] }),
      pgColumn("c_int_array", array(INT), "integer[]"),
      pgColumn("c_varchar_array", array(STRING), "character varying(8)[]"),
      pgColumn("c_mood_array", array(STRING), "public.mood[]", { labels: ["a"] }),
    ],
  });

  it.each([
    ["c_bool", "BOOLEAN"],
    ["c_int2", "NUMBER(5)"],
    ["c_int4", "NUMBER(10)"],
    ["c_int8", "NUMBER(19)"],
    ["c_real", "BINARY_FLOAT"],
    ["c_double", "BINARY_DOUBLE"],
    ["c_numeric", "NUMBER(12,2)"],
    ["c_numeric_wide", "NUMBER"],
    ["c_numeric_free", "NUMBER"],
    ["c_varchar", "VARCHAR2(20)"],
    ["c_varchar_huge", "CLOB"],
    ["c_varchar_free", "CLOB"],
    ["c_char", "CHAR(5)"],
    ["c_text", "CLOB"],
    ["c_bytea", "BLOB"],
    ["c_uuid", "VARCHAR2(36)"],
    ["c_date", "DATE"],
    ["c_time", "TIME(3)"],
    ["c_ts", "TIMESTAMP(6)"],
    ["c_ts3", "TIMESTAMP(3)"],
    ["c_tstz", "TIMESTAMP(0) WITH TIME ZONE"],
    ["c_json", "jsonb"],
    ["c_inet", "inet"],
    ["c_mood", '"public"."mood"'],
    ["c_int_array", "NUMBER(10)[]"],
    ["c_varchar_array", "VARCHAR2(8)[]"],
    ["c_mood_array", '"public"."mood"[]'],
  ])("%s → %s", (name, sql) => {
    const column = table.columns.find((c) => c.name === name)!;
    expect(polardbColumnType(column, table)).toBe(sql);
  });
});

describe("polardbColumnType from MariaDB/MySQL", () => {
  const column = (name: string, type: ColumnDescription["type"], sourceType: string): ColumnDescription => ({
    name,
    type,
    nullable: true,
    sourceType,
  });
  const table = model({
    schema: null,
    connector: "mysql",
    columns: [
      column("a", INT, "tinyint(4)"),
      column("b", INT, "int(11)"),
      column("c", decimal(20, 0, false), "bigint(20) unsigned"),
      column("d", STRING, "varchar(255)"),
      column("e", STRING, "char(2)"),
      column("f", STRING, "longtext"),
      column("g", STRING, "enum('x','y')"),
      column("h", STRING, "json"),
      column("i", { kind: "bytes" }, "binary(16)"),
      column("j", { kind: "bytes" }, "varbinary(3000)"),
      column("k", { kind: "bytes" }, "blob"),
    ],
  });

  it("maps by Avro type and declared length", () => {
    expect(table.columns.map((c) => polardbColumnType(c, table))).toEqual([
      "NUMBER(5)",
      "NUMBER(10)",
      "NUMBER(20,0)",
      "VARCHAR2(255)",
      "CHAR(2)",
      "CLOB",
      "CLOB",
      "CLOB",
      "RAW(16)",
      "BLOB",
      "BLOB",
    ]);
  });
});

describe("polardbDialect", () => {
  const orders = ordersModel();
  const rows = [{ id: 1, price: "1.50", note: "a", tags: ["x"] }];

  it("creates tables with Oracle-mode types", () => {
    expect(dialect.createTable(orders)[1]?.text).toBe(
      'CREATE TABLE IF NOT EXISTS "public"."orders" (\n' +
        '  "id" NUMBER(10) NOT NULL,\n' +
        '  "price" NUMBER(12,2) NOT NULL,\n' +
        '  "note" VARCHAR2(20),\n' +
        '  "tags" CLOB[],\n' +
        '  PRIMARY KEY ("id")\n' +
        ")",
    );
    expect(dialect.addColumns(orders, [orders.columns[2]!])[0]?.text).toBe(
      'ALTER TABLE "public"."orders"\n  ADD COLUMN IF NOT EXISTS "note" VARCHAR2(20)',
    );
  });

  it("casts to the Oracle-mode types, VARCHAR2 through text", () => {
    expect(dialect.upsert(orders, rows, [])[0]?.text).toContain(
      'SELECT u."id"::NUMBER(10), u."price"::NUMBER(12,2), u."note"::text, u."tags"::CLOB[]',
    );
  });

  it("otherwise writes the PostgreSQL dialect's statements", () => {
    const same = (statements: { text: string }[]) =>
      statements.map((s) => s.text.replaceAll(/::[A-Za-z0-9_ ]+(\([0-9, ]+\))?(\[\])*/g, "::T"));
    expect(same(dialect.upsert(orders, rows, []))).toEqual(same(postgresDialect.upsert(orders, rows, [])));
    expect(same(dialect.deleteKeys(orders, rows))).toEqual(same(postgresDialect.deleteKeys(orders, rows)));
    expect(dialect.truncate(orders)).toEqual(postgresDialect.truncate(orders));
    expect(dialect.upsertFromStaging(orders, "s", [])).toEqual(
      postgresDialect.upsertFromStaging(orders, "s", []),
    );
    expect(dialect.name).toBe("polardb");
  });
});
