import { type AvroRecordSchema, buildTableSchemas, isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { buildTableModel, columnOfField, withTargetTypes } from "../src/table-model.js";
import { array, decimal, INT, LONG, model, pgColumn, STRING } from "./support/models.js";

describe("buildTableModel", () => {
  const table = model({
    columns: [
      pgColumn("id", LONG, "bigint", { notNull: true }),
      pgColumn("Region Code", STRING, "character(2)", { notNull: true }),
      pgColumn("price", decimal(12, 2), "numeric(12,2)"),
      pgColumn("mood", STRING, "public.mood", { labels: ["sad", "ok"] }),
      pgColumn("boxes", array(STRING), "box[]"),
      pgColumn("ts", { kind: "timestamp-micros" }, "timestamp(3) with time zone"),
    ],
    key: ["Region Code", "id"],
  });

  it("keeps the source table and the target name", () => {
    expect(table.source).toEqual({
      database: "shop",
      schema: "public",
      table: "orders",
      connector: "postgres",
    });
    expect(table.fromPostgres).toBe(true);
    expect([table.schema, table.table]).toEqual(["public", "orders"]);
  });

  it("lists the columns in field order with names, fields, types and source facts", () => {
    expect(table.columns.map((column) => [column.name, column.sourceName])).toEqual([
      ["id", "id"],
      ["Region Code", "Region Code"],
      ["price", "price"],
      ["mood", "mood"],
      ["boxes", "boxes"],
      ["ts", "ts"],
    ]);
    // A name Avro cannot hold gets a sanitized field name; the column keeps its own.
    expect(table.columns.map((column) => column.field)).toEqual([
      "id",
      expect.stringMatching(/^Region_Code_[0-9a-f]{8}$/),
      "price",
      "mood",
      "boxes",
      "ts",
    ]);
    expect(table.columns[2]?.type).toEqual(decimal(12, 2, true));
    expect(table.columns[2]?.sourceType).toBe("numeric(12,2)");
    expect(table.columns[3]?.properties).toEqual({ labels: ["sad", "ok"] });
    expect(table.columns[0]?.properties).toEqual({ notNull: true });
  });

  it("takes NOT NULL from the property (every PostgreSQL field is nullable in Avro) and the key", () => {
    expect(table.columns.map((column) => column.notNull)).toEqual([true, true, false, false, false, false]);
  });

  it("orders the key as the key schema does", () => {
    expect(table.key.map((column) => column.name)).toEqual(["Region Code", "id"]);
    expect(table.keyFields).toEqual([table.columns[1]?.field, "id"]);
    expect(table.columns.map((column) => column.keyPosition)).toEqual([1, 0, null, null, null, null]);
  });

  it("marks user types with their mapped schema and box arrays' delimiter", () => {
    expect(table.columns[3]?.userType).toEqual({
      sourceSchema: "public",
      sourceName: "mood",
      schema: "public",
      name: "mood",
      modifier: "",
      dimensions: 0,
    });
    expect(table.columns[2]?.userType).toBeNull();
    expect(table.columns.map((column) => column.arrayDelimiter)).toEqual([",", ",", ",", ",", ";", ","]);
  });

  it("finds columns by field", () => {
    expect(table.byField.get("price")?.name).toBe("price");
    expect(columnOfField(table, "ts").sourceType).toBe("timestamp(3) with time zone");
    expect(() => columnOfField(table, "nope")).toThrow(/no column for field nope/);
  });

  it("accepts the key from tributary.key when no key schema is given", () => {
    const schemas = buildTableSchemas({
      database: "d",
      schema: "s",
      table: "t",
      columns: [pgColumn("a", INT, "integer"), pgColumn("b-c", INT, "integer")],
      key: ["b-c"],
    });
    const keyed = buildTableModel(schemas.value, null, { sourceConnector: "postgres" });
    expect(keyed.keyFields).toEqual([schemas.fieldNames.get("b-c")]);
  });

  it("takes the Value record itself as well as the envelope", () => {
    const schemas = buildTableSchemas({
      database: "d",
      schema: "s",
      table: "t",
      columns: [pgColumn("a", INT, "integer")],
      key: [],
    });
    const row = (schemas.value.fields[0]!.type as [string, AvroRecordSchema])[1];
    expect(buildTableModel(row, null, { sourceConnector: "postgres" }).columns.map((c) => c.name)).toEqual([
      "a",
    ]);
  });
});

describe("buildTableModel: sources other than PostgreSQL", () => {
  const mysql = model({
    schema: null,
    database: "Shop",
    table: "Orders",
    connector: "mysql",
    columns: [
      { name: "id", type: LONG, nullable: false, sourceType: "bigint(20)" },
      { name: "total", type: decimal(10, 2, false), nullable: true, sourceType: "decimal(10,2)" },
      { name: "shape", type: STRING, nullable: true, sourceType: "box[]" },
    ],
    key: ["id"],
    mapping: { capitalization: "lower" },
  });

  it("uses the database as the schema", () => {
    expect([mysql.schema, mysql.table]).toEqual(["shop", "orders"]);
    expect(mysql.source.schema).toBeNull();
    expect(mysql.fromPostgres).toBe(false);
  });

  it("takes NOT NULL from a field without a null branch", () => {
    expect(mysql.columns.map((column) => column.notNull)).toEqual([true, false, false]);
  });

  it("does not read sourceType as PostgreSQL type text", () => {
    expect(mysql.columns.map((column) => [column.userType, column.arrayDelimiter])).toEqual([
      [null, ","],
      [null, ","],
      [null, ","],
    ]);
  });
});

describe("buildTableModel: mapping", () => {
  const mapped = model({
    columns: [
      pgColumn("id", INT, "integer"),
      pgColumn("Note", STRING, "text"),
      pgColumn("m", STRING, "public.mood"),
    ],
    key: ["id"],
    mapping: {
      schemas: { public: "replica" },
      tables: { "public.orders": "Orders" },
      columns: { "public.orders.id": "Order ID" },
      capitalization: "upper",
    },
  });

  it("renames and capitalizes", () => {
    expect([mapped.schema, mapped.table]).toEqual(["replica", "Orders"]);
    expect(mapped.columns.map((column) => column.name)).toEqual(["Order ID", "NOTE", "M"]);
    expect(mapped.key.map((column) => column.name)).toEqual(["Order ID"]);
  });

  it("puts user types in the mapped schema, keeping their name", () => {
    expect(mapped.columns[2]?.userType).toMatchObject({
      sourceSchema: "public",
      schema: "replica",
      name: "mood",
    });
  });

  it.each([
    [
      "two columns colliding after capitalization",
      { capitalization: "lower" as const },
      [pgColumn("a", INT, "integer"), pgColumn("A", INT, "integer")],
      /source columns a and A .* both map to target column "a"/,
    ],
    [
      "a rename colliding with another column",
      { capitalization: "source" as const, columns: { "public.orders.a": "b" } },
      [pgColumn("a", INT, "integer"), pgColumn("b", INT, "integer")],
      /both map to target column "b"/,
    ],
    [
      "a name longer than 63 bytes",
      { capitalization: "source" as const, columns: { "public.orders.a": "é".repeat(32) } },
      [pgColumn("a", INT, "integer")],
      /64 bytes long but the target keeps 63/,
    ],
    [
      "an empty rename",
      { capitalization: "source" as const, columns: { "public.orders.a": "" } },
      [pgColumn("a", INT, "integer")],
      /empty or holds a NUL/,
    ],
  ])("refuses %s", (_, mapping, columns, message) => {
    try {
      model({ columns, mapping });
    } catch (error) {
      expect(isTributaryError(error, "TRB_CFG_INVALID")).toBe(true);
      expect(String(error)).toMatch(message);
      return;
    }
    expect.unreachable("accepted");
  });
});

describe("withTargetTypes", () => {
  it("sets the catalog type of the named columns and keeps the key in sync", () => {
    const table = model({
      columns: [pgColumn("id", INT, "integer"), pgColumn("n", STRING, "text")],
      key: ["id"],
    });
    const typed = withTargetTypes(table, new Map([["id", "bigint"]]));
    expect(typed.columns.map((column) => column.targetType)).toEqual(["bigint", undefined]);
    expect(typed.key[0]?.targetType).toBe("bigint");
    expect(typed.byField.get("id")?.targetType).toBe("bigint");
    expect(table.columns[0]?.targetType).toBeUndefined();
  });
});
