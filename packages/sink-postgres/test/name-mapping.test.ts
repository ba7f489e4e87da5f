import { isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  type Capitalization,
  capitalize,
  mapColumnName,
  mapSchemaName,
  mapTableName,
  type NameMapping,
  parseQualifiedName,
} from "../src/name-mapping.js";

describe("capitalize", () => {
  it.each<[string, Capitalization, string]>([
    ["Orders", "source", "Orders"],
    ["Orders", "lower", "orders"],
    ["Orders", "upper", "ORDERS"],
    ["straße", "upper", "STRASSE"],
    ["ÄÖÜ", "lower", "äöü"],
    ["with space", "upper", "WITH SPACE"],
    ['q"uote', "upper", 'Q"UOTE'],
  ])("%j with %s → %j", (name, policy, expected) => {
    expect(capitalize(name, policy)).toBe(expected);
  });
});

const mapping: NameMapping = {
  schemas: { public: "replica", Sales: "SalesCopy" },
  tables: {
    "public.orders": "archive.orders_2024",
    "public.items": "Items",
    "public.dotted": '"my.schema"."T"',
    "Sales.Leads": "leads",
  },
  columns: { "public.orders.id": "order_id", "Sales.Leads.Email": "EMail" },
  capitalization: "upper",
};

describe("mapTableName", () => {
  it.each([
    ["public", "orders", "archive", "orders_2024"], // full rename: exact, no capitalization
    ["public", "items", "replica", "Items"], // table-only rename keeps the schema mapping
    ["public", "dotted", "my.schema", "T"],
    ["public", "other", "replica", "OTHER"], // schema mapped, table capitalized
    ["Sales", "Leads", "SalesCopy", "leads"],
    ["Sales", "Other", "SalesCopy", "OTHER"],
    ["unmapped", "t", "UNMAPPED", "T"],
  ])("%s.%s → %s.%s", (schema, table, targetSchema, targetTable) => {
    expect(mapTableName(mapping, schema, table)).toEqual({ schema: targetSchema, table: targetTable });
  });

  it("keeps names as they are with the default mapping", () => {
    expect(mapTableName({ capitalization: "source" }, "Public", "Mixed Case")).toEqual({
      schema: "Public",
      table: "Mixed Case",
    });
  });

  it("looks names up exactly (case-sensitive)", () => {
    expect(mapTableName(mapping, "PUBLIC", "ORDERS")).toEqual({ schema: "PUBLIC", table: "ORDERS" });
  });

  it("ignores inherited object keys", () => {
    expect(mapTableName({ capitalization: "source" }, "constructor", "toString")).toEqual({
      schema: "constructor",
      table: "toString",
    });
    expect(mapSchemaName({ capitalization: "lower", schemas: {} }, "__proto__")).toBe("__proto__");
  });
});

describe("mapColumnName", () => {
  it.each([
    ["public", "orders", "id", "order_id"],
    ["public", "orders", "note", "NOTE"],
    ["Sales", "Leads", "Email", "EMail"],
    ["Sales", "Leads", "email", "EMAIL"],
  ])("%s.%s.%s → %s", (schema, table, column, expected) => {
    expect(mapColumnName(mapping, schema, table, column)).toBe(expected);
  });
});

describe("parseQualifiedName", () => {
  it.each<[string, string[]]>([
    ["orders", ["orders"]],
    ["sales.orders", ["sales", "orders"]],
    ['"my.schema".orders', ["my.schema", "orders"]],
    ['sales."Orders 2024"', ["sales", "Orders 2024"]],
    ['"a""b"."c"', ['a"b', "c"]],
    ["Ünïcode.Tàble", ["Ünïcode", "Tàble"]],
  ])("%j → %j", (text, parts) => {
    expect(parseQualifiedName(text, "tables")).toEqual(parts);
  });

  it.each(["", "a.", ".a", "a.b.c", '"open', 'a"b', '"a"x', "a..b", '""'])("refuses %j", (text) => {
    try {
      parseQualifiedName(text, 'tables["public.x"]');
    } catch (error) {
      expect(isTributaryError(error, "TRB_CFG_INVALID")).toBe(true);
      expect(String(error)).toContain('tables["public.x"]');
      return;
    }
    expect.unreachable(`accepted ${JSON.stringify(text)}`);
  });
});
