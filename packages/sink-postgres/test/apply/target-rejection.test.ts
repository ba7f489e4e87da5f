import { TributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import type { SinkRecord } from "../../src/apply/EventDecoder.js";
import {
  groupBefore,
  groupWithout,
  rejectedRecordError,
  targetRejection,
} from "../../src/apply/target-rejection.js";
import type { TransactionGroup } from "../../src/apply/transaction-groups.js";

/** A node-postgres DatabaseError as the driver throws it. */
function databaseError(code: string, message: string, detail?: string): Error {
  return Object.assign(new Error(message), { name: "DatabaseError", severity: "ERROR", code, detail });
}

const record = (offset: bigint): SinkRecord =>
  ({ offset, key: null, value: null, schema: "f1", writer: null }) as unknown as SinkRecord;

const group: TransactionGroup<SinkRecord> = {
  origin: "dc1",
  records: [record(10n), record(11n), record(13n)],
  nextOffset: 14n,
  dropped: 1,
};

describe("targetRejection", () => {
  it("finds a data exception or a constraint violation along the cause chain, with its detail", () => {
    const check = databaseError(
      "23514",
      'new row violates check constraint "c"',
      "Failing row contains (1).",
    );
    const wrapped = new TributaryError("TRB_SINK_APPLY", "applying failed", { cause: check });
    expect(targetRejection(wrapped)).toEqual({
      sqlState: "23514",
      message: 'new row violates check constraint "c" (Failing row contains (1).)',
    });
    expect(targetRejection(databaseError("22001", "value too long for type character varying(3)"))).toEqual({
      sqlState: "22001",
      message: "value too long for type character varying(3)",
    });
  });

  it("is null for other failures: permissions, lost connections, errors that are no server's", () => {
    expect(targetRejection(databaseError("42501", "permission denied for table t"))).toBeNull();
    expect(targetRejection(databaseError("57P01", "terminating connection"))).toBeNull();
    expect(targetRejection(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBeNull();
    expect(targetRejection(new Error("23505 in a message is not a SQLSTATE"))).toBeNull();
  });
});

describe("rejected records", () => {
  const event = {
    offset: 12n,
    value: { op: "u", source: { schema: "public", database: "shop", table: "orders" } },
  } as unknown as SinkRecord;
  const at = { topic: "shop.public.orders", partition: 3, offset: 12n };
  const rejection = { sqlState: "23505", message: "duplicate key value violates unique constraint" };

  it("names topic, partition, offset, table, the reason and, when stopping, how to go on", () => {
    const stopping = rejectedRecordError(at, event, rejection, true);
    expect(stopping).toMatchObject({
      code: "TRB_SINK_REJECTED",
      retriable: false,
      details: { topic: at.topic, partition: 3, offset: "12", table: "public.orders", sqlState: "23505" },
    });
    expect(stopping.message).toContain(
      "the target rejected the u event of public.orders at offset 12 of shop.public.orders partition 3: " +
        "duplicate key value violates unique constraint (SQLSTATE 23505)",
    );
    expect(stopping.message).toContain("errors.tolerance: all");
    expect(rejectedRecordError(at, event, rejection, false).message).not.toContain("errors.tolerance");
  });

  it("groupBefore ends the group at the rejected record's offset", () => {
    expect(groupBefore(group, 2)).toEqual({
      origin: "dc1",
      records: [group.records[0], group.records[1]],
      nextOffset: 13n,
      dropped: 0,
    });
    expect(groupBefore(group, 0).records).toEqual([]);
  });

  it("groupWithout leaves the rejected records out and still records every offset", () => {
    const rest = groupWithout(group, new Set([0, 2]));
    expect(rest.records.map((r) => r.offset)).toEqual([11n]);
    expect(rest.nextOffset).toBe(14n);
    expect(rest.dropped).toBe(1);
  });
});
