import { describe, expect, it } from "vitest";
import {
  ABSENT,
  renamedFrom,
  type SchemaChange,
  type TargetTableShape,
  translateSchemaChange,
} from "../../src/ddl/ddl-translation.js";
import type { NameMapping } from "../../src/name-mapping.js";

const SAME: NameMapping = { capitalization: "source" };
const RENAMING: NameMapping = {
  capitalization: "source",
  schemas: { shop: "store" },
  tables: { "shop.orders": "store.purchases" },
  columns: { "shop.orders.note": "remark", "shop.orders.memo": "memo_text" },
};

const column = (name: string, sourceType: string, extra: Partial<SchemaChange["columns"][number]> = {}) => ({
  name,
  sourceType,
  nullable: true,
  default: null,
  ...extra,
});

function change(
  statement: string,
  columns: SchemaChange["columns"],
  table = "orders",
  key: string[] = ["id"],
): SchemaChange {
  return { schema: "shop", table, columns, key, statement };
}

function shape(columns: Record<string, string>): TargetTableShape {
  return { exists: true, columns: new Map(Object.entries(columns)) };
}

const ORDERS = [column("id", "bigint", { nullable: false }), column("note", "text")];

describe("translateSchemaChange", () => {
  it("adds a column under its mapped table, with a plain default and NOT NULL so existing rows match the source", () => {
    const plan = translateSchemaChange(
      change("ALTER TABLE shop.orders ADD COLUMN qty int NOT NULL DEFAULT 0", [
        ...ORDERS,
        column("qty", "integer", { nullable: false, default: "0" }),
      ]),
      shape({ id: "bigint", remark: "text" }),
      { mapping: RENAMING, drops: false },
    );
    expect(plan.statements.map((s) => s.text)).toEqual([
      'ALTER TABLE "store"."purchases" ADD COLUMN IF NOT EXISTS "qty" integer DEFAULT 0 NOT NULL',
    ]);
    expect(plan.applied).toEqual([{ kind: "add_column", subject: "store.purchases.qty" }]);
  });

  it.each([
    ["nextval('shop.orders_id_seq'::regclass)", ""],
    ["'x'::text", " DEFAULT 'x'::text"],
    ["0.5", " DEFAULT 0.5"],
    ["now()", " DEFAULT now()"],
    ["shop.f()", ""],
  ])("keeps the default %s only when the target can evaluate it", (expression, clause) => {
    const plan = translateSchemaChange(
      change("ALTER TABLE orders ADD c numeric", [
        ...ORDERS,
        column("c", "numeric", { default: expression }),
      ]),
      shape({ id: "bigint", note: "text" }),
      { mapping: SAME, drops: false },
    );
    expect(plan.statements[0]?.text).toBe(
      `ALTER TABLE "shop"."orders" ADD COLUMN IF NOT EXISTS "c" numeric${clause}`,
    );
  });

  it("renames a column, through the column mapping on both names", () => {
    const plan = translateSchemaChange(
      change("ALTER TABLE shop.orders RENAME COLUMN note TO memo", [
        ORDERS[0] as never,
        column("memo", "text"),
      ]),
      shape({ id: "bigint", remark: "text" }),
      { mapping: RENAMING, drops: false },
    );
    expect(plan.statements.map((s) => s.text)).toEqual([
      'ALTER TABLE "store"."purchases" RENAME COLUMN "remark" TO "memo_text"',
    ]);
  });

  it("applying a rename again is a no-op", () => {
    const plan = translateSchemaChange(
      change("ALTER TABLE orders RENAME note TO memo", [ORDERS[0] as never, column("memo", "text")]),
      shape({ id: "bigint", memo: "text" }),
      { mapping: SAME, drops: false },
    );
    expect(plan.statements).toEqual([]);
    expect(plan.skipped.map((s) => s.kind)).toEqual(["other"]);
  });

  it("changes a column's type, casting the values", () => {
    const plan = translateSchemaChange(
      change("ALTER TABLE orders ALTER COLUMN note TYPE varchar(20)", [
        ORDERS[0] as never,
        column("note", "character varying(20)"),
      ]),
      shape({ id: "bigint", note: "text" }),
      { mapping: SAME, drops: false },
    );
    expect(plan.statements.map((s) => s.text)).toEqual([
      'ALTER TABLE "shop"."orders" ALTER COLUMN "note" TYPE character varying(20) USING "note"::character varying(20)',
    ]);
    expect(plan.applied).toEqual([{ kind: "alter_type", subject: "shop.orders.note" }]);
  });

  it("drops a dropped column only with drops: true, and never a target column the statement did not drop", () => {
    const dropped = change("ALTER TABLE orders DROP COLUMN note", [ORDERS[0] as never]);
    const target = shape({ id: "bigint", note: "text", local_only: "text" });
    const kept = translateSchemaChange(dropped, target, { mapping: SAME, drops: false });
    expect(kept.statements).toEqual([]);
    expect(kept.skipped).toEqual([
      { kind: "drop_column", subject: "shop.orders.note", reason: "ddl.drops is false" },
    ]);
    const applied = translateSchemaChange(dropped, target, { mapping: SAME, drops: true });
    expect(applied.statements.map((s) => s.text)).toEqual([
      'ALTER TABLE "shop"."orders" DROP COLUMN IF EXISTS "note"',
    ]);
  });

  it("creates a new table with its key, mapped names and exact types", () => {
    const plan = translateSchemaChange(
      change("CREATE TABLE shop.orders (id bigint PRIMARY KEY, note text, amounts numeric(12,2)[])", [
        ...ORDERS,
        column("amounts", "numeric(12,2)[]"),
      ]),
      ABSENT,
      { mapping: RENAMING, drops: false },
    );
    expect(plan.statements.map((s) => s.text)).toEqual([
      expect.stringContaining('"store"'),
      'CREATE TABLE IF NOT EXISTS "store"."purchases" (\n  "id" bigint NOT NULL,\n  "remark" text,\n  "amounts" numeric(12,2)[],\n  PRIMARY KEY ("id")\n)',
    ]);
  });

  it("leaves a table with columns of user types to autoCreate", () => {
    const plan = translateSchemaChange(
      change("CREATE TABLE shop.t (m shop.mood)", [column("m", "shop.mood")], "t", []),
      ABSENT,
      { mapping: SAME, drops: false },
    );
    expect(plan.statements).toEqual([]);
    expect(plan.skipped.map((s) => s.kind)).toEqual(["create_table"]);
  });

  it("renames a table the target has under its old name", () => {
    const renamed = change("ALTER TABLE shop.lines RENAME TO items", ORDERS, "items");
    expect(renamedFrom(renamed)).toBe("lines");
    const plan = translateSchemaChange(
      renamed,
      ABSENT,
      { mapping: SAME, drops: false },
      {
        table: "lines",
        shape: shape({ id: "bigint", note: "text" }),
      },
    );
    expect(plan.statements.map((s) => s.text)).toEqual(['ALTER TABLE "shop"."lines" RENAME TO "items"']);
  });

  it("drops a dropped table only with drops: true", () => {
    const dropped = change("DROP TABLE shop.orders", []);
    expect(
      translateSchemaChange(dropped, shape({ id: "bigint" }), { mapping: SAME, drops: false }).skipped,
    ).toEqual([{ kind: "drop_table", subject: "shop.orders", reason: "ddl.drops is false" }]);
    expect(
      translateSchemaChange(dropped, shape({ id: "bigint" }), { mapping: SAME, drops: true }).statements.map(
        (s) => s.text,
      ),
    ).toEqual(['DROP TABLE IF EXISTS "shop"."orders"']);
  });
});
