import type { ColumnType } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  assignmentCastType,
  avroPostgresType,
  enumLabelStatements,
  postgresColumnType,
  userTypeRecipe,
  userTypeStatements,
} from "../../src/sql/postgres-types.js";
import { array, decimal, INT, LONG, model, pgColumn, STRING } from "../support/models.js";

describe("avroPostgresType: a type that holds every value of the Avro type", () => {
  it.each<[ColumnType, string]>([
    [{ kind: "boolean" }, "boolean"],
    [INT, "integer"],
    [LONG, "bigint"],
    [{ kind: "float" }, "real"],
    [{ kind: "double" }, "double precision"],
    [STRING, "text"],
    [{ kind: "bytes" }, "bytea"],
    [decimal(12, 2), "numeric(12,2)"],
    [decimal(20, 0, false), "numeric(20,0)"],
    [decimal(1000, 10), "numeric(1000,10)"],
    [decimal(1001, 10), "numeric"],
    [{ kind: "date" }, "date"],
    [{ kind: "time-micros" }, "time without time zone"],
    [{ kind: "timestamp-micros" }, "timestamp with time zone"],
    [{ kind: "local-timestamp-micros" }, "timestamp without time zone"],
    [{ kind: "uuid" }, "uuid"],
    [array(INT), "integer[]"],
    [array(array(decimal(5, 1)), false), "numeric(5,1)[][]"],
  ])("%j → %s", (type, sql) => {
    expect(avroPostgresType(type)).toBe(sql);
  });
});

const MOOD = { labels: ["sad", "ok", "happy"] };
const PAIR = {
  attributes: [
    { name: "a", type: "integer" },
    { name: "B c", type: "text" },
  ],
};

describe("postgresColumnType from a PostgreSQL source: the exact source type", () => {
  const table = model({
    columns: [
      pgColumn("c_numeric", decimal(12, 2), "numeric(12,2)"),
      pgColumn("c_numeric_neg", decimal(5, 0), "numeric(2,-3)"),
      pgColumn("c_free", STRING, "numeric"),
      pgColumn("c_varchar", STRING, "character varying(20)"),
      pgColumn("c_char", STRING, "character(5)"),
      pgColumn("c_qchar", STRING, '"char"'),
      pgColumn("c_ts", { kind: "timestamp-micros" }, "timestamp(3) with time zone"),
      pgColumn("c_interval", STRING, "interval day to second(3)"),
      pgColumn("c_int_array", array(array(INT), false), "integer[]"),
      pgColumn("c_bit", STRING, "bit(8)"),
      pgColumn("c_box_array", array(STRING), "box[]"),
      pgColumn("c_mood", STRING, "public.mood", MOOD),
      pgColumn("c_mood_array", array(STRING), "public.mood[]", MOOD),
      pgColumn("c_Mood", STRING, 'public."Mood"', { labels: ["A"] }),
      pgColumn("c_pair", STRING, "public.pair", PAIR),
      pgColumn("c_range", STRING, "public.floatrange", { subtype: "double precision" }),
      pgColumn("c_price", decimal(12, 2), "public.price", { baseType: "numeric(12,2)" }),
      pgColumn("c_price_array", array(decimal(12, 2)), "public.price[]", { baseType: "numeric(12,2)" }),
      pgColumn("c_mood_array2", array(array(STRING), false), "public.mood[]", MOOD),
      pgColumn("c_cheap", decimal(12, 2), "public.cheap", { baseType: "public.price" }),
      pgColumn("c_intlist", array(INT), "public.intlist", { baseType: "integer[]" }),
      pgColumn("c_multirange", STRING, "public.floatmultirange"),
      pgColumn("c_user_multirange", STRING, "public.datemultirange2", {
        multirangeOf: 'public."Date Range"',
        rangeSubtype: "date",
      }),
      pgColumn("c_citext", STRING, "public.citext"),
      pgColumn("c_geometry", STRING, "public.geometry(Point,4326)"),
      pgColumn("c_nested_pair", STRING, "public.outer", { attributes: [{ name: "p", type: "public.pair" }] }),
    ],
    mapping: { schemas: { public: "replica" }, capitalization: "source" },
  });
  const known = new Set(["public.citext", "replica.geometry"]);

  it.each([
    ["c_numeric", "numeric(12,2)"],
    ["c_numeric_neg", "numeric(2,-3)"],
    ["c_free", "numeric"],
    ["c_varchar", "character varying(20)"],
    ["c_char", "character(5)"],
    ["c_qchar", '"char"'],
    ["c_ts", "timestamp(3) with time zone"],
    ["c_interval", "interval day to second(3)"],
    ["c_int_array", "integer[][]"], // as many [] as the values have levels
    ["c_bit", "bit(8)"],
    ["c_box_array", "box[]"],
    // Recreated user types live in the table's mapped schema.
    ["c_mood", '"replica"."mood"'],
    ["c_mood_array", '"replica"."mood"[]'],
    ["c_mood_array2", '"replica"."mood"[][]'],
    ["c_Mood", '"replica"."Mood"'],
    ["c_pair", '"replica"."pair"'],
    ["c_range", '"replica"."floatrange"'],
    // Domains: their base type (the source does not send their constraints).
    ["c_price", "numeric(12,2)"],
    ["c_price_array", "numeric(12,2)[]"],
    ["c_intlist", "integer[]"],
    // A domain over a domain: the Avro type's (which still holds every value exactly).
    ["c_cheap", "numeric(12,2)"],
    // A user range's multirange, created with its range.
    ["c_user_multirange", '"replica"."datemultirange2"'],
    // No recipe and not on the target: text holds the canonical text form.
    ["c_multirange", "text"],
    ["c_nested_pair", "text"],
    // Known on the target: kept, under its source schema or the mapped one.
    ["c_citext", '"public"."citext"'],
    ["c_geometry", '"replica"."geometry"(Point,4326)'],
  ])("%s → %s", (name, sql) => {
    const column = table.columns.find((c) => c.name === name)!;
    expect(postgresColumnType(column, table, { knownTypes: known })).toBe(sql);
  });

  it("uses text for extension types the target does not have", () => {
    const column = table.columns.find((c) => c.name === "c_citext")!;
    expect(postgresColumnType(column, table)).toBe("text");
  });

  it("knows the recipes", () => {
    const recipe = (name: string) => userTypeRecipe(table.columns.find((c) => c.name === name)!);
    expect(recipe("c_mood")).toEqual({ kind: "enum", labels: ["sad", "ok", "happy"] });
    expect(recipe("c_pair")).toEqual({ kind: "composite", attributes: PAIR.attributes });
    expect(recipe("c_range")).toEqual({ kind: "range", subtype: "double precision" });
    expect(recipe("c_user_multirange")).toEqual({ kind: "multirange", range: "Date Range", subtype: "date" });
    expect(recipe("c_multirange")).toBeNull();
    expect(recipe("c_price")).toBeNull();
    expect(recipe("c_nested_pair")).toBeNull();
    expect(recipe("c_numeric")).toBeNull();
  });

  it("creates each user type once, in the mapped schema, after creating that schema", () => {
    const texts = userTypeStatements(table.columns, "replica").map((s) => s.text);
    expect(texts).toHaveLength(5);
    expect(texts[0]).toContain(`CREATE TYPE "replica"."mood" AS ENUM ('sad', 'ok', 'happy');`);
    expect(texts[1]).toContain(`CREATE TYPE "replica"."Mood" AS ENUM ('A');`);
    expect(texts[2]).toContain(`CREATE TYPE "replica"."pair" AS ("a" integer, "B c" text);`);
    expect(texts[3]).toContain(`CREATE TYPE "replica"."floatrange" AS RANGE (SUBTYPE = double precision);`);
    expect(texts[4]).toContain(
      `CREATE TYPE "replica"."Date Range" AS RANGE (SUBTYPE = date, MULTIRANGE_TYPE_NAME = "replica"."datemultirange2");`,
    );
    for (const text of texts)
      expect(text).toContain("EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;");
    const elsewhere = userTypeStatements(table.columns, "other").map((s) => s.text);
    expect(elsewhere[0]).toContain(`CREATE SCHEMA "replica";`);
    expect(elsewhere).toHaveLength(6);
  });

  it("adds the missing enum labels in the source's order", () => {
    const texts = enumLabelStatements(table.columns).map((s) => s.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain(`labels text[] := ARRAY['sad', 'ok', 'happy']::text[];`);
    expect(texts[0]).toContain(`WHERE enumtypid = '"replica"."mood"'::regtype`);
    expect(texts[0]).toContain(
      "EXECUTE format('ALTER TYPE %s ADD VALUE %L AFTER %L', '\"replica\".\"mood\"'",
    );
    expect(texts[1]).toContain(`'"replica"."Mood"'::regtype`);
  });
});

describe("postgresColumnType from another source: the Avro type's", () => {
  const table = model({
    schema: null,
    connector: "mysql",
    columns: [
      { name: "a", type: INT, nullable: true, sourceType: "tinyint(1)" },
      { name: "b", type: decimal(20, 0, false), nullable: true, sourceType: "bigint(20) unsigned" },
      { name: "c", type: STRING, nullable: true, sourceType: "varchar(255)" },
      { name: "d", type: STRING, nullable: true, sourceType: "public.mood" },
    ],
  });

  it("ignores sourceType", () => {
    expect(table.columns.map((column) => postgresColumnType(column, table))).toEqual([
      "integer",
      "numeric(20,0)",
      "text",
      "text",
    ]);
  });
});

describe("assignmentCastType: leave length checks to the assignment", () => {
  it.each([
    ["character varying(20)", "text"],
    ["character varying(20)[]", "text[]"],
    ["varchar(3)", "text"],
    ["character(5)", "text"],
    ["char(1)", "text"],
    ["VARCHAR2(20)", "text"],
    ["VARCHAR2(20 BYTE)", "text"],
    ["NVARCHAR2(10)", "text"],
    ["CHAR(3)", "text"],
    ["bit(8)", "varbit"],
    ["bit varying(16)[][]", "varbit[][]"],
    ["numeric(12,2)", "numeric(12,2)"],
    ["timestamp(3) with time zone", "timestamp(3) with time zone"],
    ['"char"', '"char"'],
    ["character varying", "character varying"],
    ["text", "text"],
    ['"public"."mood"', '"public"."mood"'],
  ])("%s → %s", (type, cast) => {
    expect(assignmentCastType(type)).toBe(cast);
  });
});
