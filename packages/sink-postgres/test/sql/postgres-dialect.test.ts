import type { Row } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { postgresDialect as dialect } from "../../src/sql/postgres-dialect.js";
import { withTargetTypes } from "../../src/table-model.js";
import { array, decimal, INT, LONG, model, ordersModel, pgColumn, STRING } from "../support/models.js";

const orders = ordersModel();
const rows: Row[] = [
  { id: 1, price: "1.50", note: "a,b", tags: ["x", null] },
  { id: 2, price: "NaN", note: null, tags: null },
];

describe("postgresDialect.upsert", () => {
  it("upserts every row in one statement over one text[] per column", () => {
    const [statement, ...rest] = dialect.upsert(orders, rows, []);
    expect(rest).toEqual([]);
    expect(statement?.text).toBe(
      'INSERT INTO "public"."orders" ("id", "price", "note", "tags")\n' +
        'SELECT u."id"::integer, u."price"::numeric(12,2), u."note"::text, u."tags"::text[]\n' +
        'FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u("id", "price", "note", "tags")\n' +
        'ON CONFLICT ("id") DO UPDATE SET "price" = EXCLUDED."price", "note" = EXCLUDED."note", "tags" = EXCLUDED."tags"',
    );
    expect(statement?.values).toEqual([
      '{"1","2"}',
      '{"1.50","NaN"}',
      '{"a,b",NULL}',
      '{"{\\"x\\",NULL}",NULL}',
    ]);
  });

  it("updates by key, leaving unchanged columns alone, for rows with unchanged columns", () => {
    const statements = dialect.upsert(orders, rows, ["note", "tags"]);
    expect(statements).toEqual([
      {
        text:
          'UPDATE "public"."orders" AS t SET "price" = u."price"::numeric(12,2)\n' +
          'FROM unnest($1::text[], $2::text[]) AS u("id", "price")\n' +
          'WHERE t."id" = u."id"::integer',
        values: ['{"1","2"}', '{"1.50","NaN"}'],
      },
    ]);
  });

  it("has nothing to do when every non-key column is unchanged", () => {
    expect(dialect.upsert(orders, rows, ["price", "note", "tags"])).toEqual([]);
  });

  it("does nothing on conflict for a table of key columns only", () => {
    const keyOnly = model({
      columns: [pgColumn("a", INT, "integer"), pgColumn("b", STRING, "text")],
      key: ["a", "b"],
    });
    const [statement] = dialect.upsert(keyOnly, [{ a: 1, b: "x" }], []);
    expect(statement?.text).toMatch(/\nON CONFLICT \("a", "b"\) DO NOTHING$/);
  });

  it("emits nothing for no rows", () => {
    expect(dialect.upsert(orders, [], [])).toEqual([]);
    expect(dialect.deleteKeys(orders, [])).toEqual([]);
    expect(dialect.insert(orders, [])).toEqual([]);
  });

  it("casts to the target's own types when the model has them", () => {
    const typed = withTargetTypes(
      orders,
      new Map([
        ["id", "bigint"],
        ["price", "numeric"],
        ["note", "character(30)"],
      ]),
    );
    expect(dialect.upsert(typed, rows, [])[0]?.text).toContain(
      'SELECT u."id"::bigint, u."price"::numeric, u."note"::text, u."tags"::text[]',
    );
    expect(dialect.deleteKeys(typed, rows)[0]?.text).toContain('WHERE t."id" = k."id"::bigint');
  });
});

describe("postgresDialect.deleteKeys", () => {
  it("deletes every key in one statement", () => {
    expect(dialect.deleteKeys(orders, [{ id: 1 }, { id: 2 }])).toEqual([
      {
        text: 'DELETE FROM "public"."orders" AS t\nUSING unnest($1::text[]) AS k("id")\nWHERE t."id" = k."id"::integer',
        values: ['{"1","2"}'],
      },
    ]);
  });

  it("matches every key column, compared at its full type", () => {
    const composite = model({
      columns: [
        pgColumn("region", STRING, "character(2)"),
        pgColumn("id", LONG, "bigint"),
        pgColumn("v", STRING, "text"),
      ],
      key: ["region", "id"],
    });
    expect(dialect.deleteKeys(composite, [{ region: "eu", id: 5n }])).toEqual([
      {
        text:
          'DELETE FROM "public"."orders" AS t\nUSING unnest($1::text[], $2::text[]) AS k("region", "id")\n' +
          'WHERE t."region" = k."region"::character(2) AND t."id" = k."id"::bigint',
        values: ['{"eu"}', '{"5"}'],
      },
    ]);
  });
});

describe("postgresDialect: identifiers", () => {
  const odd = model({
    schema: "My Schema",
    table: 'Order "Items"',
    columns: [
      pgColumn("ID", INT, "integer"),
      pgColumn("select", STRING, "text"),
      pgColumn("a b", STRING, "text"),
    ],
    key: ["ID"],
  });

  it("quotes every identifier", () => {
    const text = dialect.upsert(odd, [{ ID: 1, select: "x", [odd.columns[2]!.field]: "y" }], [])[0]?.text;
    expect(text).toContain('INSERT INTO "My Schema"."Order ""Items""" ("ID", "select", "a b")');
    expect(text).toContain('AS u("ID", "select", "a b")');
    expect(text).toContain(
      'ON CONFLICT ("ID") DO UPDATE SET "select" = EXCLUDED."select", "a b" = EXCLUDED."a b"',
    );
    expect(dialect.truncate(odd)).toEqual([
      { text: 'TRUNCATE TABLE "My Schema"."Order ""Items"""', values: [] },
    ]);
  });

  it("binds values by Avro field name (sanitized names included)", () => {
    const field = odd.columns[2]!.field;
    expect(field).not.toBe("a b");
    const [statement] = dialect.upsert(odd, [{ ID: 1, select: "x", [field]: "y" }], []);
    expect(statement?.values).toEqual(['{"1"}', '{"x"}', '{"y"}']);
  });
});

describe("postgresDialect: a table without a key", () => {
  const keyless = model({
    columns: [pgColumn("a", INT, "integer"), pgColumn("j", STRING, "json"), pgColumn("p", STRING, "point")],
  });
  const before: Row = { a: 1, j: '{"x": 1}', p: "(1,2)" };
  const after: Row = { a: 2, j: null, p: "(3,4)" };
  const where =
    'WHERE (tableoid, ctid) = (SELECT t.tableoid, t.ctid FROM "public"."orders" AS t\n' +
    '  WHERE t."a"::text IS NOT DISTINCT FROM $N1::integer::text\n' +
    '    AND t."j"::text IS NOT DISTINCT FROM $N2::json::text\n' +
    '    AND t."p"::text IS NOT DISTINCT FROM $N3::point::text\n' +
    "  LIMIT 1)";
  const numbered = (first: number) =>
    where
      .replace("$N1", `$${first}`)
      .replace("$N2", `$${first + 1}`)
      .replace("$N3", `$${first + 2}`);

  it("inserts rows", () => {
    expect(dialect.insert(keyless, [before, after])).toEqual([
      {
        text:
          'INSERT INTO "public"."orders" ("a", "j", "p")\nSELECT u."a"::integer, u."j"::json, u."p"::point\n' +
          'FROM unnest($1::text[], $2::text[], $3::text[]) AS u("a", "j", "p")',
        values: ['{"1","2"}', '{"{\\"x\\": 1}",NULL}', '{"(1,2)","(3,4)"}'],
      },
    ]);
  });

  it("deletes one row equal to the old image, comparing as text (json and point have no equality)", () => {
    expect(dialect.deleteRow(keyless, before)).toEqual([
      { text: `DELETE FROM "public"."orders"\n${numbered(1)}`, values: ["1", '{"x": 1}', "(1,2)"] },
    ]);
  });

  it("updates one row equal to the old image", () => {
    expect(dialect.updateRow(keyless, before, after, [])).toEqual([
      {
        text: `UPDATE "public"."orders" SET "a" = $1::integer, "j" = $2::json, "p" = $3::point\n${numbered(4)}`,
        values: ["2", null, "(3,4)", "1", '{"x": 1}', "(1,2)"],
      },
    ]);
  });

  it("leaves unchanged columns out of the update, and skips an update with nothing to set", () => {
    const [statement] = dialect.updateRow(keyless, before, after, ["j"]);
    expect(statement?.text.split("\n")[0]).toBe(
      'UPDATE "public"."orders" SET "a" = $1::integer, "p" = $2::point',
    );
    expect(statement?.values).toEqual(["2", "(3,4)", "1", '{"x": 1}', "(1,2)"]);
    expect(dialect.updateRow(keyless, before, after, ["a", "j", "p"])).toEqual([]);
  });
});

describe("postgresDialect: assignment casts leave length checks to PostgreSQL", () => {
  const sized = model({
    columns: [
      pgColumn("id", INT, "integer"),
      pgColumn("code", STRING, "character(3)"),
      pgColumn("name", STRING, "character varying(5)"),
      pgColumn("flags", STRING, "bit(4)"),
      pgColumn("names", array(STRING), "character varying(5)[]"),
    ],
    key: ["code"],
  });

  it("casts bounded text to text and bit strings to varbit, and compares keys at the full type", () => {
    const row = { id: 1, code: "abc", name: "x", flags: "1010", names: ["a"] };
    expect(dialect.upsert(sized, [row], [])[0]?.text).toContain(
      'SELECT u."id"::integer, u."code"::text, u."name"::text, u."flags"::varbit, u."names"::text[]',
    );
    expect(dialect.deleteKeys(sized, [row])[0]?.text).toContain('WHERE t."code" = k."code"::character(3)');
  });
});

describe("postgresDialect: staging for large batches", () => {
  it("creates a temporary table of the target's column types, dropped at commit", () => {
    expect(dialect.createStaging(orders, "tributary_stage_1_1", orders.columns)).toEqual({
      text:
        'CREATE TEMPORARY TABLE "tributary_stage_1_1" ON COMMIT DROP AS\n' +
        'SELECT "id", "price", "note", "tags" FROM "public"."orders" WITH NO DATA',
      values: [],
    });
    expect(dialect.copyIntoStaging("tributary_stage_1_1", orders.columns)).toBe(
      'COPY "tributary_stage_1_1" ("id", "price", "note", "tags") FROM STDIN',
    );
    expect(dialect.copyIntoTable(orders)).toBe(
      'COPY "public"."orders" ("id", "price", "note", "tags") FROM STDIN',
    );
  });

  it("merges with INSERT … SELECT … ON CONFLICT", () => {
    expect(dialect.upsertFromStaging(orders, "st", [])).toEqual([
      {
        text:
          'INSERT INTO "public"."orders" ("id", "price", "note", "tags")\n' +
          'SELECT s."id", s."price", s."note", s."tags" FROM "st" AS s\n' +
          'ON CONFLICT ("id") DO UPDATE SET "price" = EXCLUDED."price", "note" = EXCLUDED."note", "tags" = EXCLUDED."tags"',
        values: [],
      },
    ]);
  });

  it("merges rows with unchanged columns by UPDATE … FROM", () => {
    expect(dialect.upsertFromStaging(orders, "st", ["tags"])).toEqual([
      {
        text: 'UPDATE "public"."orders" AS t SET "price" = s."price", "note" = s."note"\nFROM "st" AS s\nWHERE t."id" = s."id"',
        values: [],
      },
    ]);
    expect(dialect.upsertFromStaging(orders, "st", ["price", "note", "tags"])).toEqual([]);
  });

  it("deletes staged keys", () => {
    expect(dialect.deleteFromStaging(orders, "st")).toEqual([
      { text: 'DELETE FROM "public"."orders" AS t\nUSING "st" AS s\nWHERE t."id" = s."id"', values: [] },
    ]);
  });
});

describe("postgresDialect: DDL", () => {
  it("creates the schema, then the table with source types, NOT NULL and the key", () => {
    const statements = dialect.createTable(
      ordersModel({ schemas: { public: "Replica" }, capitalization: "source" }),
    );
    expect(statements).toHaveLength(2);
    expect(statements[0]?.text).toContain(
      `IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'Replica') THEN`,
    );
    expect(statements[0]?.text).toContain('CREATE SCHEMA "Replica";');
    expect(statements[1]?.text).toBe(
      'CREATE TABLE IF NOT EXISTS "Replica"."orders" (\n' +
        '  "id" integer NOT NULL,\n' +
        '  "price" numeric(12,2) NOT NULL,\n' +
        '  "note" character varying(20),\n' +
        '  "tags" text[],\n' +
        '  PRIMARY KEY ("id")\n' +
        ")",
    );
  });

  it("creates user types before the table that uses them", () => {
    const table = model({
      columns: [pgColumn("id", INT, "integer"), pgColumn("m", STRING, "public.mood", { labels: ["a"] })],
      key: ["id"],
    });
    const texts = dialect.createTable(table).map((s) => s.text);
    expect(texts).toHaveLength(3);
    expect(texts[1]).toContain(`CREATE TYPE "public"."mood" AS ENUM ('a');`);
    expect(texts[2]).toContain('"m" "public"."mood"');
  });

  it("creates a table without a key without a primary key", () => {
    const keyless = model({ columns: [pgColumn("a", INT, "integer", { notNull: true })] });
    expect(dialect.createTable(keyless)[1]?.text).toBe(
      'CREATE TABLE IF NOT EXISTS "public"."orders" (\n  "a" integer NOT NULL\n)',
    );
  });

  it("types a table from another source by its Avro types", () => {
    const mysql = model({
      schema: null,
      database: "shop",
      connector: "mysql",
      columns: [
        { name: "id", type: LONG, nullable: false, sourceType: "bigint(20)" },
        { name: "total", type: decimal(10, 2, false), nullable: true, sourceType: "decimal(10,2)" },
        { name: "at", type: { kind: "local-timestamp-micros" }, nullable: true, sourceType: "datetime(6)" },
      ],
      key: ["id"],
    });
    expect(dialect.createTable(mysql)[1]?.text).toBe(
      'CREATE TABLE IF NOT EXISTS "shop"."orders" (\n' +
        '  "id" bigint NOT NULL,\n' +
        '  "total" numeric(10,2),\n' +
        '  "at" timestamp without time zone,\n' +
        '  PRIMARY KEY ("id")\n' +
        ")",
    );
  });

  it("adds columns as nullable, if not there yet", () => {
    const table = ordersModel();
    expect(dialect.addColumns(table, [table.columns[1]!, table.columns[3]!])).toEqual([
      {
        text: 'ALTER TABLE "public"."orders"\n  ADD COLUMN IF NOT EXISTS "price" numeric(12,2),\n  ADD COLUMN IF NOT EXISTS "tags" text[]',
        values: [],
      },
    ]);
    expect(dialect.addColumns(table, [])).toEqual([]);
  });

  it("creates the user types of added columns first", () => {
    const table = model({
      columns: [pgColumn("id", INT, "integer"), pgColumn("m", STRING, "public.mood", { labels: ["a"] })],
      key: ["id"],
    });
    const texts = dialect.addColumns(table, [table.columns[1]!]).map((s) => s.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain("CREATE TYPE");
    expect(texts[1]).toBe('ALTER TABLE "public"."orders"\n  ADD COLUMN IF NOT EXISTS "m" "public"."mood"');
  });
});
