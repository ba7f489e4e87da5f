import { describe, expect, it } from "vitest";
import { alterTableClauses } from "../../src/ddl/ddl-statement.js";

describe("alterTableClauses", () => {
  it.each([
    [
      "ALTER TABLE shop.orders RENAME COLUMN note TO remark",
      [{ kind: "rename_column", table: "orders", from: "note", to: "remark" }],
    ],
    [
      "alter table only orders rename note to remark;",
      [{ kind: "rename_column", table: "orders", from: "note", to: "remark" }],
    ],
    [
      'ALTER TABLE IF EXISTS "Shop"."My Orders" RENAME COLUMN "Note" TO "Re""mark"',
      [{ kind: "rename_column", table: "My Orders", from: "Note", to: 'Re"mark' }],
    ],
    [
      "ALTER TABLE shop.orders RENAME TO purchases",
      [{ kind: "rename_table", table: "orders", to: "purchases" }],
    ],
    ["ALTER TABLE shop.orders RENAME CONSTRAINT a TO b", []],
    [
      "ALTER TABLE orders DROP COLUMN a, DROP IF EXISTS b CASCADE, DROP CONSTRAINT c, ALTER COLUMN d DROP NOT NULL, ADD COLUMN e int DEFAULT f(1, 2)",
      [
        { kind: "drop_column", table: "orders", column: "a" },
        { kind: "drop_column", table: "orders", column: "b" },
      ],
    ],
    [
      "/* c */ ALTER TABLE a ADD COLUMN x text DEFAULT 'RENAME y TO z; DROP COLUMN q'; -- RENAME COLUMN k TO l\nALTER TABLE b RENAME x TO y",
      [{ kind: "rename_column", table: "b", from: "x", to: "y" }],
    ],
    ["ALTER TABLE a ADD COLUMN x text DEFAULT $$ DROP COLUMN q $$", []],
    ["CREATE TABLE t (a int); DROP TABLE u", []],
  ])("%s", (text, expected) => {
    expect(alterTableClauses(text)).toEqual(expected);
  });
});
