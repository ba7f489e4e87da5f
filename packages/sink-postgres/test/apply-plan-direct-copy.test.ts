import type { Row } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { type ApplyAction, planApply } from "../src/apply-plan.js";
import { postgresDialect } from "../src/sql/postgres-dialect.js";
import { copyDataText } from "./support/copy-data.js";
import { ordersModel } from "./support/models.js";

const orders = ordersModel();
const rows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, price: `${i + 1}.00`, note: `n${i + 1}`, tags: null }));
const options = { copyThreshold: 3, stagingPrefix: "tributary_stage_2", directCopy: true };

function shape(actions: readonly ApplyAction[]): string[] {
  return actions.map((action) =>
    action.kind === "copy"
      ? `COPY ${action.copy.split(" ")[1]} ${action.rows}${action.fallback === undefined ? "" : " with fallback"}`
      : action.statement.text.split(/\s+/).slice(0, 4).join(" "),
  );
}

describe("planApply with directCopy (snapshot rows)", () => {
  it("copies a large upsert straight into the table, with the staging merge of the same data to fall back on", () => {
    const actions = planApply(
      [{ kind: "upsert", rows: rows(3), unchanged: [] }],
      orders,
      postgresDialect,
      options,
    );
    expect(shape(actions)).toEqual(['COPY "public"."orders" 3 with fallback']);
    const direct = actions[0] as Extract<ApplyAction, { kind: "copy" }>;
    expect(shape(direct.fallback ?? [])).toEqual([
      'CREATE TEMPORARY TABLE "tributary_stage_2_1"',
      'COPY "tributary_stage_2_1" 3',
      'INSERT INTO "public"."orders" ("id",',
    ]);
    const staged = direct.fallback?.[1] as Extract<ApplyAction, { kind: "copy" }>;
    expect(staged.data).toBe(direct.data);
    expect(copyDataText(direct.data).split("\n")[0]).toBe("1\t1.00\tn1\t\\N");
  });

  it("keeps small upserts and upserts leaving columns unchanged as they are", () => {
    const actions = planApply(
      [
        { kind: "truncate" },
        { kind: "upsert", rows: rows(2), unchanged: [] },
        { kind: "upsert", rows: rows(3), unchanged: ["note"] },
      ],
      orders,
      postgresDialect,
      options,
    );
    expect(shape(actions)).toEqual([
      'TRUNCATE TABLE "public"."orders"',
      'INSERT INTO "public"."orders" ("id",',
      'CREATE TEMPORARY TABLE "tributary_stage_2_1"',
      'COPY "tributary_stage_2_1" 3',
      'UPDATE "public"."orders" AS t',
    ]);
  });

  it("stages as before for a dialect that does not enforce keys", () => {
    const loose = { ...postgresDialect, enforcesKeys: false };
    const actions = planApply([{ kind: "upsert", rows: rows(3), unchanged: [] }], orders, loose, options);
    expect(shape(actions)).toEqual([
      'CREATE TEMPORARY TABLE "tributary_stage_2_1"',
      'COPY "tributary_stage_2_1" 3',
      'INSERT INTO "public"."orders" ("id",',
    ]);
  });
});
