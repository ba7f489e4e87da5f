import { describe, expect, it } from "vitest";
import { ddlStatementOf } from "../../src/capture/ddl-statement.js";

describe("ddlStatementOf", () => {
  it.each([
    [
      "DML around the DDL",
      "INSERT INTO t (id) VALUES (20); ALTER TABLE t ADD COLUMN note text; UPDATE t SET note = 'n' WHERE id = 20",
      "t",
      "ALTER TABLE t ADD COLUMN note text",
    ],
    ["a single statement, kept as sent", "  ALTER TABLE t ADD c int;  ", "t", "  ALTER TABLE t ADD c int;  "],
    [
      "two DDL statements: the one naming the object",
      "CREATE TABLE a (id int); CREATE TABLE b (id int); INSERT INTO b VALUES (1)",
      "b",
      "CREATE TABLE b (id int)",
    ],
    [
      "text before it in other scripts (byte offsets)",
      "UPDATE t SET v = 'äöü€'; ALTER TABLE t RENAME TO t2",
      "t2",
      "ALTER TABLE t RENAME TO t2",
    ],
    ["SELECT INTO is DDL", "SELECT 1 AS x INTO s; SELECT 2", "s", "SELECT 1 AS x INTO s"],
    [
      "DDL in a DO block: all of it",
      "DO $$ BEGIN EXECUTE 'CREATE TABLE d ()'; END $$; SELECT 1",
      "d",
      "DO $$ BEGIN EXECUTE 'CREATE TABLE d ()'; END $$; SELECT 1",
    ],
    [
      "unparsable text: all of it",
      "ALTER TABLE t ADD c int; THIS IS NOT SQL",
      "t",
      "ALTER TABLE t ADD c int; THIS IS NOT SQL",
    ],
  ])("%s", async (_, query, object, expected) => {
    expect(await ddlStatementOf(query, object)).toBe(expected);
  });
});
