import type { Row } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { type ApplyAction, planApply } from "../src/apply-plan.js";
import type { ApplyStep } from "../src/batch-reduction.js";
import { postgresDialect } from "../src/sql/postgres-dialect.js";
import { copyDataText } from "./support/copy-data.js";
import { INT, model, ordersModel, pgColumn, STRING } from "./support/models.js";

const orders = ordersModel();
const row = (id: number): Row => ({ id, price: `${id}.00`, note: `n${id}`, tags: null });
const rows = (n: number) => Array.from({ length: n }, (_, i) => row(i + 1));
const options = { copyThreshold: 3, stagingPrefix: "tributary_stage_7" };

/** Each action as a short label: the statement's first words, or COPY with its row count. */
function shape(actions: ApplyAction[]): string[] {
  return actions.map((action) =>
    action.kind === "copy"
      ? `COPY ${action.copy.split(" ")[1]} ${action.rows}`
      : action.statement.text.split(/\s+/).slice(0, 4).join(" "),
  );
}

describe("planApply", () => {
  it.each<[string, ApplyStep[], string[]]>([
    ["nothing", [], []],
    ["a truncate", [{ kind: "truncate" }], ['TRUNCATE TABLE "public"."orders"']],
    [
      "small steps as bulk statements",
      [
        { kind: "truncate" },
        { kind: "delete", keys: [{ id: 1 }] },
        { kind: "upsert", rows: rows(2), unchanged: [] },
      ],
      [
        'TRUNCATE TABLE "public"."orders"',
        'DELETE FROM "public"."orders" AS',
        'INSERT INTO "public"."orders" ("id",',
      ],
    ],
    [
      "large upserts through a staging table",
      [{ kind: "upsert", rows: rows(3), unchanged: [] }],
      [
        'CREATE TEMPORARY TABLE "tributary_stage_7_1"',
        'COPY "tributary_stage_7_1" 3',
        'INSERT INTO "public"."orders" ("id",',
      ],
    ],
    [
      "large deletes through a staging table of the key",
      [{ kind: "delete", keys: rows(4).map((r) => ({ id: r.id ?? null })) }],
      [
        'CREATE TEMPORARY TABLE "tributary_stage_7_1"',
        'COPY "tributary_stage_7_1" 4',
        'DELETE FROM "public"."orders" AS',
      ],
    ],
    [
      "one staging table per staged step",
      [
        { kind: "delete", keys: rows(3).map((r) => ({ id: r.id ?? null })) },
        { kind: "upsert", rows: rows(3), unchanged: [] },
        { kind: "upsert", rows: rows(3), unchanged: ["note"] },
      ],
      [
        'CREATE TEMPORARY TABLE "tributary_stage_7_1"',
        'COPY "tributary_stage_7_1" 3',
        'DELETE FROM "public"."orders" AS',
        'CREATE TEMPORARY TABLE "tributary_stage_7_2"',
        'COPY "tributary_stage_7_2" 3',
        'INSERT INTO "public"."orders" ("id",',
        'CREATE TEMPORARY TABLE "tributary_stage_7_3"',
        'COPY "tributary_stage_7_3" 3',
        'UPDATE "public"."orders" AS t',
      ],
    ],
    [
      "nothing for a large group whose every non-key column is unchanged",
      [{ kind: "upsert", rows: rows(3), unchanged: ["price", "note", "tags"] }],
      [],
    ],
  ])("%s", (_, steps, expected) => {
    expect(shape(planApply(steps, orders, postgresDialect, options))).toEqual(expected);
  });

  it("stages only the key and the columns a group with unchanged columns writes", () => {
    const actions = planApply(
      [{ kind: "upsert", rows: rows(3), unchanged: ["tags"] }],
      orders,
      postgresDialect,
      options,
    );
    expect(actions[0]?.kind === "statement" && actions[0].statement.text).toContain(
      'SELECT "id", "price", "note" FROM "public"."orders" WITH NO DATA',
    );
    const copy = actions[1] as Extract<ApplyAction, { kind: "copy" }>;
    expect({ ...copy, data: copyDataText(copy.data) }).toEqual({
      kind: "copy",
      copy: 'COPY "tributary_stage_7_1" ("id", "price", "note") FROM STDIN',
      data: "1\t1.00\tn1\n2\t2.00\tn2\n3\t3.00\tn3\n",
      rows: 3,
    });
  });

  it("copies large inserts of a table without a key straight into it", () => {
    const keyless = model({ columns: [pgColumn("a", INT, "integer"), pgColumn("b", STRING, "text")] });
    const steps: ApplyStep[] = [
      {
        kind: "insert",
        rows: [
          { a: 1, b: "x" },
          { a: 2, b: null },
          { a: 3, b: "\t" },
        ],
      },
      { kind: "update-row", before: { a: 1, b: "x" }, after: { a: 9, b: "x" }, unchanged: [] },
      { kind: "delete-row", before: { a: 2, b: null } },
      { kind: "insert", rows: [{ a: 4, b: "y" }] },
    ];
    const actions = planApply(steps, keyless, postgresDialect, options);
    const copy = actions[0] as Extract<ApplyAction, { kind: "copy" }>;
    expect({ ...copy, data: copyDataText(copy.data) }).toEqual({
      kind: "copy",
      copy: 'COPY "public"."orders" ("a", "b") FROM STDIN',
      data: "1\tx\n2\t\\N\n3\t\\t\n",
      rows: 3,
    });
    expect(shape(actions).slice(1)).toEqual([
      'UPDATE "public"."orders" SET "a"',
      'DELETE FROM "public"."orders" WHERE',
      'INSERT INTO "public"."orders" ("a",',
    ]);
  });
});
