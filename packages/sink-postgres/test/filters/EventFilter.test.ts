import { describe, expect, it } from "vitest";
import { EventFilter } from "../../src/filters/EventFilter.js";
import { filtersConfigSchema } from "../../src/filters/filter-config.js";
import { RowExpressionFailed } from "../../src/filters/row-expression.js";
import { envelope } from "../support/models.js";
import { logRecord, logTable, order, orderRecord, ordersTable } from "./fixtures.js";

const filterOf = (config: unknown) => new EventFilter(filtersConfigSchema.parse(config));

const paidOver100 = filterOf({
  "public.orders": { where: "row.status != 'draft' && row.amount > 100" },
  "audit.*": { operations: ["insert", "update", "delete"], where: "row.level >= 2" },
});

describe("EventFilter: operations", () => {
  const insertsOnly = filterOf({ "public.*": { operations: ["insert"] } });

  it.each([
    ["c", "kept"],
    ["r", "kept"],
    ["u", "skipped"],
    ["d", "skipped"],
    ["t", "skipped"],
  ] as const)("an insert-only table: %s is %s", (op, outcome) => {
    const row = order(1, "paid", "5.00");
    const value = envelope(
      op,
      op === "c" || op === "r" ? null : row,
      op === "d" ? null : row,
      [],
      ordersTable,
    );
    const result = insertsOnly.apply(orderRecord(value));
    expect(result.outcome).toBe(outcome);
    expect(result.record.value === null).toBe(outcome === "skipped");
  });

  it("leaves tables without a filter alone, and an exact key wins over a pattern", () => {
    const filter = filterOf({
      "public.*": { operations: ["delete"] },
      "public.orders": { operations: ["insert"] },
    });
    const insert = orderRecord(envelope("c", null, order(1, "x", "1.00"), [], ordersTable));
    expect(filter.apply(insert).outcome).toBe("kept");
    expect(filter.apply(logRecord(envelope("c", null, { msg: "m", level: 1 }, [], logTable))).outcome).toBe(
      "kept",
    );
    expect(filter.allows("public.orders", "delete")).toBe(false);
    expect(filter.allows("public.other", "delete")).toBe(true);
    expect(filter.allows("public.other", "ddl")).toBe(false);
    expect(filter.allows("elsewhere.t", "ddl")).toBe(true);
  });

  it("is inactive without any table", () => {
    expect(filterOf({}).active).toBe(false);
    expect(paidOver100.active).toBe(true);
  });
});

describe("EventFilter: row filter on a table with a key", () => {
  it.each([
    ["paid", "150.00", "kept"],
    ["paid", "100.00", "skipped"],
    ["draft", "150.00", "skipped"],
    [null, "150.00", "kept"],
  ])("an insert of status %s and amount %s is %s", (status, amount, outcome) => {
    const record = orderRecord(envelope("c", null, order(1, status, amount), [], ordersTable));
    expect(paidOver100.apply(record).outcome).toBe(outcome);
  });

  it("keeps the offset of a skipped event, with no value", () => {
    const record = orderRecord(envelope("r", null, order(1, "draft", "500.00"), [], ordersTable), 42n);
    expect(paidOver100.apply(record).record).toMatchObject({
      offset: 42n,
      value: null,
      writer: null,
      schema: null,
    });
  });

  it("applies an update whose new image passes, whatever the old one was (moving in: an upsert)", () => {
    const record = orderRecord(
      envelope("u", order(1, "draft", "500.00"), order(1, "paid", "500.00"), [], ordersTable),
    );
    // Marked: the row may have been kept out before it moved into the filter.
    expect(paidOver100.apply(record)).toEqual({ record: { ...record, mayBeMissing: true }, outcome: "kept" });
  });

  it("turns an update whose new image fails into a delete of the row (moving out)", () => {
    const record = orderRecord(envelope("u", null, order(1, "draft", "500.00"), [], ordersTable), 9n);
    const { record: result, outcome } = paidOver100.apply(record);
    expect(outcome).toBe("as-delete");
    expect(result).toMatchObject({
      offset: 9n,
      key: { id: 1n },
      value: { op: "d", after: null, before: null },
      mayBeMissing: true,
    });
  });

  it("deletes the OLD key when an update out of the filter also changed the key", () => {
    const record = orderRecord(
      envelope("u", order(1, "paid", "500.00"), order(2, "draft", "500.00"), [], ordersTable),
    );
    const { record: result } = paidOver100.apply(record);
    expect(result.key).toEqual({ id: 1n });
    expect(result.value).toMatchObject({ op: "d", before: { id: 1n } });
  });

  it("evaluates an update's unchanged (TOASTed) columns with their old value when the event has one", () => {
    const filter = filterOf({ "public.orders": { where: "row.status == 'paid'" } });
    const record = orderRecord(
      envelope("u", order(1, "paid", "1.00"), order(1, null, "2.00"), ["status"], ordersTable),
    );
    expect(filter.apply(record).outcome).toBe("kept");
  });

  it("always applies a delete: a row the filter kept out is simply not on the target", () => {
    const record = orderRecord(envelope("d", order(1, "draft", null), null, [], ordersTable));
    expect(paidOver100.apply(record).outcome).toBe("kept");
  });

  it("applies a truncate (the row filter does not apply to it)", () => {
    const record = { ...orderRecord(envelope("t", null, null, [], ordersTable)), key: null };
    expect(paidOver100.apply(record).outcome).toBe("kept");
  });

  it("fails, naming the cause, when the expression cannot be evaluated on the row", () => {
    const failing = filterOf({ "public.orders": { where: "row.amount > 100" } });
    const record = orderRecord(envelope("c", null, order(1, "paid", null), [], ordersTable));
    expect(() => failing.apply(record)).toThrow(RowExpressionFailed);
    expect(() => failing.apply(record)).toThrow(/no such overload: dyn<null> > int/);
    const missing = filterOf({ "public.orders": { where: "row.nope == 1" } });
    expect(() => missing.apply(record)).toThrow(/No such key: nope/);
    const notBool = filterOf({ "public.orders": { where: "row.status" } });
    expect(() => notBool.apply(record)).toThrow(/gave a string instead of a bool/);
  });

  it("sees decimals, timestamps, dates, bytes and lists in their CEL forms", () => {
    const filter = filterOf({
      "public.orders": {
        where:
          "row.amount == 1234.5 && row.qty == 3 && row.placed_at > timestamp('2023-12-31T23:59:59Z') && " +
          "row.ship_date >= '2024-02-01' && row.photo == b'\\x00\\xff' && 3 in row.tags && row['Odd Name'] == null && op == 'c'",
      },
    });
    const row = order(1, "x", "1234.50", {
      qty: 3,
      placed_at: 1_704_067_200_000_000n,
      ship_date: 19_782,
      photo: Buffer.from([0, 255]),
      tags: [3],
    });
    expect(filter.apply(orderRecord(envelope("c", null, row, [], ordersTable))).outcome).toBe("kept");
  });
});

describe("EventFilter: row filter on a table without a key (both images)", () => {
  const update = (oldLevel: number, newLevel: number) =>
    logRecord(envelope("u", { msg: "m", level: oldLevel }, { msg: "m", level: newLevel }, [], logTable));

  it.each([
    [2, 3, "kept", "u"],
    [1, 3, "as-insert", "c"],
    [3, 1, "as-delete", "d"],
  ] as const)("an update from level %i to %i is %s", (from, to, outcome, op) => {
    const result = paidOver100.apply(update(from, to));
    expect(result.outcome).toBe(outcome);
    expect(result.record.value?.op).toBe(op);
  });

  it("skips an update that neither image passes, and deletes of rows that never passed", () => {
    expect(paidOver100.apply(update(0, 1)).outcome).toBe("skipped");
    expect(
      paidOver100.apply(logRecord(envelope("d", { msg: "m", level: 1 }, null, [], logTable))).outcome,
    ).toBe("skipped");
    expect(
      paidOver100.apply(logRecord(envelope("d", { msg: "m", level: 5 }, null, [], logTable))).outcome,
    ).toBe("kept");
  });

  it("turns a moved-in update into an insert of the new row only", () => {
    const { record } = paidOver100.apply(update(1, 3));
    expect(record.value).toMatchObject({ op: "c", before: null, after: { level: 3 } });
  });
});
