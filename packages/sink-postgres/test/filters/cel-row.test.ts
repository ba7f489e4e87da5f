import { describe, expect, it } from "vitest";
import { DATE_POSITIVE_INFINITY, TIMESTAMP_POSITIVE_INFINITY } from "../../src/datetime-format.js";
import { celRow } from "../../src/filters/cel-row.js";
import { ODD_FIELD, order, ordersWriter } from "./fixtures.js";

describe("celRow", () => {
  it("names columns as the source does and gives each type its CEL form", () => {
    const row = celRow(
      ordersWriter,
      order(7, "paid", "1234.50", {
        qty: 3,
        ratio: 0.25,
        placed_at: 1_704_067_200_123_456n,
        ship_date: 19_782,
        opens: 34_200_000_000n,
        photo: Buffer.from([0, 255]),
        tags: [1, null, 3],
        [ODD_FIELD]: "odd",
      }),
    );
    expect(row).toEqual({
      id: 7n,
      status: "paid",
      amount: 1234.5,
      qty: 3n,
      ratio: 0.25,
      placed_at: new Date("2024-01-01T00:00:00.123Z"),
      ship_date: "2024-02-29",
      opens: "09:30:00",
      photo: Buffer.from([0, 255]),
      tags: [1n, null, 3n],
      "Odd Name": "odd",
    });
  });

  it("keeps nulls, reads missing fields as null, and maps special values", () => {
    const row = celRow(ordersWriter, {
      id: 1n,
      amount: "NaN",
      placed_at: TIMESTAMP_POSITIVE_INFINITY,
      ship_date: DATE_POSITIVE_INFINITY,
    });
    expect(row.status).toBeNull();
    expect(row.qty).toBeNull();
    expect(row.amount).toBeNaN();
    expect(row.placed_at).toEqual(new Date("9999-12-31T23:59:59.999Z"));
    expect(row.ship_date).toBe("infinity");
  });

  it("rounds timestamps before 1970 down to the millisecond", () => {
    expect(celRow(ordersWriter, order(1, null, null, { placed_at: -1n })).placed_at).toEqual(new Date(-1));
  });
});
