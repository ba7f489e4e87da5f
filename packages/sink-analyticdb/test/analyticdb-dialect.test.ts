import { planApply, postgresDialect } from "@tributary/sink-postgres";
import { describe, expect, it } from "vitest";
import { INT, model, ordersModel, pgColumn, STRING } from "../../sink-postgres/test/support/models.js";
import { analyticdbDialect, distributionClause } from "../src/analyticdb-dialect.js";

const dialect = analyticdbDialect({ greenplum: true });
const plain = analyticdbDialect({ greenplum: false });

const orders = ordersModel();
const rows = [
  { id: 1, price: "1.50", note: "a", tags: null },
  { id: 2, price: "2.00", note: null, tags: ["t"] },
];
const keyless = model({ columns: [pgColumn("a", INT, "integer"), pgColumn("b", STRING, "text")] });

describe("analyticdbDialect: DDL", () => {
  it("distributes created tables by the key, or randomly without one", () => {
    expect(distributionClause(orders)).toBe(' DISTRIBUTED BY ("id")');
    expect(distributionClause(keyless)).toBe(" DISTRIBUTED RANDOMLY");
    const composite = model({
      columns: [pgColumn("a", INT, "integer"), pgColumn("B", STRING, "text")],
      key: ["B", "a"],
    });
    expect(distributionClause(composite)).toBe(' DISTRIBUTED BY ("B", "a")');
    expect(dialect.createTable(orders)[1]?.text).toBe(
      'CREATE TABLE IF NOT EXISTS "public"."orders" (\n' +
        '  "id" integer NOT NULL,\n' +
        '  "price" numeric(12,2) NOT NULL,\n' +
        '  "note" character varying(20),\n' +
        '  "tags" text[],\n' +
        '  PRIMARY KEY ("id")\n' +
        ') DISTRIBUTED BY ("id")',
    );
    expect(dialect.createTable(keyless)[1]?.text).toMatch(/\n\) DISTRIBUTED RANDOMLY$/);
  });

  it("creates tables without a distribution clause on plain PostgreSQL", () => {
    const [, create] = plain.createTable(orders);
    expect(create?.text).toBe(postgresDialect.createTable(orders)[1]?.text);
    expect(create?.text).not.toContain("DISTRIBUTED");
    expect(plain.createStaging(orders, "st", orders.key).text).not.toContain("DISTRIBUTED");
  });

  it("adds columns without IF NOT EXISTS (Greenplum 6 has none)", () => {
    expect(dialect.addColumns(orders, [orders.columns[2]!])[0]?.text).toBe(
      'ALTER TABLE "public"."orders"\n  ADD COLUMN "note" character varying(20)',
    );
  });
});

describe("analyticdbDialect: DML", () => {
  it("upserts as a delete of the keys then an insert, without ON CONFLICT", () => {
    const statements = dialect.upsert(orders, rows, []);
    expect(statements.map((s) => s.text)).toEqual([
      'DELETE FROM "public"."orders" AS t\nUSING unnest($1::text[]) AS k("id")\nWHERE t."id" = k."id"::integer',
      'INSERT INTO "public"."orders" ("id", "price", "note", "tags")\n' +
        'SELECT u."id"::integer, u."price"::numeric(12,2), u."note"::text, u."tags"::text[]\n' +
        'FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u("id", "price", "note", "tags")',
    ]);
    expect(statements[0]?.values).toEqual(['{"1","2"}']);
    expect(statements[1]?.values).toEqual([
      '{"1","2"}',
      '{"1.50","2.00"}',
      '{"a",NULL}',
      '{NULL,"{\\"t\\"}"}',
    ]);
    for (const statement of statements) expect(statement.text).not.toContain("ON CONFLICT");
  });

  it("updates rows with unchanged columns in place", () => {
    expect(dialect.upsert(orders, rows, ["tags"]).map((s) => s.text)).toEqual([
      'UPDATE "public"."orders" AS t SET "price" = u."price"::numeric(12,2), "note" = u."note"::text\n' +
        'FROM unnest($1::text[], $2::text[], $3::text[]) AS u("id", "price", "note")\n' +
        'WHERE t."id" = u."id"::integer',
    ]);
  });

  it("locates a row of a table without a key by partition, segment and ctid", () => {
    const [statement] = dialect.deleteRow(keyless, { a: 1, b: "x" });
    expect(statement?.text).toBe(
      'DELETE FROM "public"."orders"\n' +
        'WHERE (tableoid, gp_segment_id, ctid) = (SELECT t.tableoid, t.gp_segment_id, t.ctid FROM "public"."orders" AS t\n' +
        '  WHERE t."a"::text IS NOT DISTINCT FROM $1::integer::text\n' +
        '    AND t."b"::text IS NOT DISTINCT FROM $2::text::text\n' +
        "  LIMIT 1)",
    );
    expect(dialect.updateRow(keyless, { a: 1, b: "x" }, { a: 2, b: "y" }, [])[0]?.text).toContain(
      "WHERE (tableoid, gp_segment_id, ctid) = (SELECT t.tableoid, t.gp_segment_id, t.ctid",
    );
    // Plain PostgreSQL has no gp_segment_id.
    expect(plain.deleteRow(keyless, { a: 1, b: "x" })[0]?.text).toContain(
      "WHERE (tableoid, ctid) = (SELECT t.tableoid, t.ctid",
    );
  });

  it("plans a large upsert as COPY into staging, then delete + insert", () => {
    const many = Array.from({ length: 3 }, (_, i) => ({ id: i, price: "1.00", note: null, tags: null }));
    for (const target of [dialect, plain]) {
      const actions = planApply([{ kind: "upsert", rows: many, unchanged: [] }], orders, target, {
        copyThreshold: 3,
        stagingPrefix: "s",
      });
      expect(
        actions.map((a) => (a.kind === "copy" ? `COPY ${a.rows}` : a.statement.text.split("\n")[0])),
      ).toEqual([
        expect.stringMatching(/^CREATE TEMPORARY TABLE "s_1"/),
        "COPY 3",
        'DELETE FROM "public"."orders" AS t',
        'INSERT INTO "public"."orders" ("id", "price", "note", "tags")',
      ]);
    }
  });

  it("stages distributed like the table and merges by delete + insert", () => {
    expect(dialect.createStaging(orders, "st", orders.key).text).toBe(
      'CREATE TEMPORARY TABLE "st" ON COMMIT DROP AS\nSELECT "id" FROM "public"."orders" WITH NO DATA DISTRIBUTED BY ("id")',
    );
    expect(dialect.upsertFromStaging(orders, "st", []).map((s) => s.text)).toEqual([
      'DELETE FROM "public"."orders" AS t\nUSING "st" AS s\nWHERE t."id" = s."id"',
      'INSERT INTO "public"."orders" ("id", "price", "note", "tags")\nSELECT s."id", s."price", s."note", s."tags" FROM "st" AS s',
    ]);
    expect(dialect.upsertFromStaging(orders, "st", ["note"]).map((s) => s.text)).toEqual([
      'UPDATE "public"."orders" AS t SET "price" = s."price", "tags" = s."tags"\nFROM "st" AS s\nWHERE t."id" = s."id"',
    ]);
    expect(dialect.deleteFromStaging(orders, "st").map((s) => s.text)).toEqual([
      'DELETE FROM "public"."orders" AS t\nUSING "st" AS s\nWHERE t."id" = s."id"',
    ]);
  });

  it("truncates like PostgreSQL", () => {
    expect(dialect.truncate(orders)).toEqual([{ text: 'TRUNCATE TABLE "public"."orders"', values: [] }]);
    expect(dialect.name).toBe("analyticdb");
  });
});
