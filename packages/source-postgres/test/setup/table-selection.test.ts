import { isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  createTableSelector,
  isSystemSchema,
  parseNamePattern,
  type TableSelection,
} from "../../src/setup/table-selection.js";

const select = (
  include: string[],
  exclude: string[] = [],
  excludeColumns: string[] = [],
): TableSelection => ({
  include,
  exclude,
  excludeColumns,
});

describe("includesTable", () => {
  const cases: [string, TableSelection, string, string, boolean][] = [
    ["schema glob", select(["public.*"]), "public", "orders", true],
    ["other schema", select(["public.*"]), "sales", "orders", false],
    ["exact name", select(["public.orders"]), "public", "orders", true],
    ["exact name is not a prefix", select(["public.orders"]), "public", "orders_archive", false],
    ["case-sensitive, no folding", select(["public.orders"]), "public", "Orders", false],
    ["capitals match as written", select(["public.Orders"]), "public", "Orders", true],
    ["? is one character", select(["public.t?"]), "public", "t1", true],
    ["? is not zero characters", select(["public.t?"]), "public", "t", false],
    ["? is not two characters", select(["public.t?"]), "public", "t12", false],
    ["* matches nothing too", select(["public.orders*"]), "public", "orders", true],
    ["* inside", select(["public.o*s"]), "public", "orders", true],
    ["glob in schema", select(["tenant_*.users"]), "tenant_42", "users", true],
    ["every schema", select(["*.*"]), "anything", "t", true],
    ["regex characters are literal", select(["public.a+b"]), "public", "aab", false],
    ["regex characters are literal (match)", select(["public.a+b"]), "public", "a+b", true],
    ["brackets are literal", select(["public.[ab]"]), "public", "a", false],
    ["exclude wins", select(["public.*"], ["public.secret"]), "public", "secret", false],
    ["exclude glob wins", select(["public.*"], ["public.tmp_*"]), "public", "tmp_1", false],
    ["exclude leaves others", select(["public.*"], ["public.tmp_*"]), "public", "orders", true],
    ["several includes", select(["a.x", "b.*"]), "b", "y", true],
    ["system schema never", select(["*.*"]), "pg_catalog", "pg_class", false],
    ["information_schema never", select(["*.*"]), "information_schema", "tables", false],
    ["toast never", select(["*.*"]), "pg_toast", "pg_toast_1234", false],
    ["temp schema never", select(["*.*"]), "pg_temp_3", "t", false],
    ["helper tables never", select(["public.*"]), "public", "tributary_heartbeat", false],
    ["helper tables never, even named", select(["public.tributary_ddl"]), "public", "tributary_ddl", false],
    ["sink tables never", select(["*.*"]), "public", "tributary_offsets", false],
    ["quoted dot", select(['"my.schema".t']), "my.schema", "t", true],
    ["quoted dot is not a separator", select(['"my.schema".t']), "my", "schema", false],
    ["quoted star is literal", select(['public."a*"']), "public", "a*", true],
    ["quoted star matches only itself", select(['public."a*"']), "public", "ab", false],
    ["doubled quote", select(['public."say ""hi"""']), "public", 'say "hi"', true],
    ["partly quoted", select(['public."v1.2_"*']), "public", "v1.2_final", true],
    ["partly quoted (no match)", select(['public."v1.2_"*']), "public", "v1x2_final", false],
    ["spaces", select(["public.Order Items"]), "public", "Order Items", true],
    ["unicode ?", select(["public.caf?"]), "public", "café", true],
    ["surrounding blanks trimmed", select(["  public.orders "]), "public", "orders", true],
  ];
  it.each(cases)("%s", (_name, selection, schema, table, expected) => {
    expect(createTableSelector(selection).includesTable(schema, table)).toBe(expected);
  });
});

describe("pattern errors", () => {
  const cases: [string, 2 | 3, string][] = [
    ["orders", 2, "has 1 part"],
    ["a.b.c", 2, "has 3 parts"],
    ["public.", 2, "empty name"],
    [".orders", 2, "empty name"],
    ['"public.orders', 2, "unterminated double quote"],
    ['public.""', 2, "empty quoted name"],
    ["public.orders", 3, "has 2 parts"],
  ];
  it.each(cases)("%s (%i parts) is refused", (text, parts, why) => {
    let error: unknown;
    try {
      parseNamePattern(text, parts, "tables.include");
    } catch (e) {
      error = e;
    }
    expect(isTributaryError(error, "TRB_CFG_INVALID")).toBe(true);
    expect(String(error)).toContain(why);
    expect(String(error)).toContain("tables.include");
    expect(String(error)).toContain(JSON.stringify(text));
  });

  it("is raised when the selector is created", () => {
    expect(() => createTableSelector(select(["public.*"], ["bad"]))).toThrow(/tables\.exclude/);
    expect(() => createTableSelector(select(["public.*"], [], ["public.t"]))).toThrow(
      /tables\.excludeColumns/,
    );
  });
});

describe("excluded columns", () => {
  const selector = createTableSelector(
    select(["*.*"], [], ["public.users.password*", "*.*.ssn", 'public."odd.table"."a.b"']),
  );
  it.each([
    ["public", "users", "password_hash", true],
    ["public", "users", "passwords", true],
    ["public", "users", "email", false],
    ["public", "accounts", "password", false],
    ["hr", "people", "ssn", true],
    ["hr", "people", "SSN", false],
    ["public", "odd.table", "a.b", true],
    ["public", "odd.table", "a", false],
  ] as const)("%s.%s.%s → %s", (schema, table, column, expected) => {
    expect(selector.excludesColumn(schema, table, column)).toBe(expected);
  });
  it("filters a column list", () => {
    expect(selector.excludedColumns("public", "users", ["id", "email", "password_hash", "ssn"])).toEqual(
      new Set(["password_hash", "ssn"]),
    );
    expect(selector.excludedColumns("public", "orders", ["id", "total"])).toEqual(new Set());
  });
});

describe("schemasToCapture and coversWholeSchema", () => {
  const existing = ["public", "sales", "sales_eu", "audit", "My Schema", "pg_toast", "information_schema"];
  const cases: [string, TableSelection, string[], string[]][] = [
    ["one schema", select(["public.*"]), ["public"], ["public"]],
    ["schema glob", select(["sales*.*"]), ["sales", "sales_eu"], ["sales", "sales_eu"]],
    [
      "everything but system",
      select(["*.*"]),
      ["public", "sales", "sales_eu", "audit", "My Schema"],
      existing.slice(0, 5),
    ],
    [
      "excluded schema",
      select(["*.*"], ["audit.*"]),
      ["public", "sales", "sales_eu", "My Schema"],
      ["public", "sales", "sales_eu", "My Schema"],
    ],
    ["single table: captured, not whole", select(["public.orders"]), ["public"], []],
    ["partial exclude: captured, not whole", select(["public.*"], ["public.secret"]), ["public"], []],
    [
      "exclude in another schema keeps this one whole",
      select(["public.*", "sales.*"], ["sales.x"]),
      ["public", "sales"],
      ["public"],
    ],
    ["quoted schema", select(['"My Schema".*']), ["My Schema"], ["My Schema"]],
    ["table glob ?* is not whole", select(["public.?*"]), ["public"], []],
  ];
  it.each(cases)("%s", (_name, selection, schemas, whole) => {
    const selector = createTableSelector(selection);
    expect(selector.schemasToCapture(existing)).toEqual(schemas);
    expect(existing.filter((s) => selector.coversWholeSchema(s))).toEqual(whole);
  });
});

describe("exactIncludes", () => {
  it("lists the patterns without a wildcard", () => {
    const selector = createTableSelector(select(["public.orders", "sales.*", '"A.B"."C"', "x.y?"]));
    expect(selector.exactIncludes()).toEqual([
      { schema: "public", table: "orders" },
      { schema: "A.B", table: "C" },
    ]);
  });
});

describe("isSystemSchema", () => {
  it.each([
    ["pg_catalog", true],
    ["pg_toast", true],
    ["pg_toast_temp_1", true],
    ["pg_temp_2", true],
    ["information_schema", true],
    ["public", false],
    ["pgdata", false],
  ] as const)("%s → %s", (schema, expected) => {
    expect(isSystemSchema(schema)).toBe(expected);
  });
});
