import { type Envelope, isTributaryError, type Row } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { type ApplyStep, type BatchRecord, keyIdentity, reduceBatch } from "../src/batch-reduction.js";
import { envelope } from "./support/models.js";

let offset = 0n;
function record(key: Row | null, value: Envelope | null): BatchRecord {
  offset += 1n;
  return { key, value, offset };
}

const KEY = ["id"];
const row = (id: number, name = `n${id}`, extra: Row = {}): Row => ({ id, name, body: `b${id}`, ...extra });
const c = (id: number, name?: string) => record({ id }, envelope("c", null, row(id, name)));
const r = (id: number, name?: string) => record({ id }, envelope("r", null, row(id, name)));
const u = (id: number, name?: string) => record({ id }, envelope("u", null, row(id, name)));
/** An update that did not send `body` (unchanged TOAST): null in the image, listed in unchanged. */
const uToast = (id: number, name?: string) =>
  record({ id }, envelope("u", null, row(id, name, { body: null }), ["body"]));
const d = (id: number) => record({ id }, envelope("d", { id, name: null, body: null }, null));
const tombstone = (id: number) => record({ id }, null);
const t = () => record(null, envelope("t", null, null));
/** A key change as one update event (old image carries the old key). */
const keyChange = (from: number, to: number) => record({ id: to }, envelope("u", row(from), row(to)));

const upsert = (rows: Row[], unchanged: string[] = []): ApplyStep => ({ kind: "upsert", rows, unchanged });
const del = (...ids: number[]): ApplyStep => ({ kind: "delete", keys: ids.map((id) => ({ id })) });
const TRUNCATE: ApplyStep = { kind: "truncate" };

describe("reduceBatch: a keyed table", () => {
  it.each<[string, BatchRecord[], ApplyStep[]]>([
    ["an empty batch", [], []],
    ["one insert", [c(1)], [upsert([row(1)])]],
    ["a snapshot read is an upsert", [r(1), r(2)], [upsert([row(1), row(2)])]],
    ["inserts of distinct keys in one statement", [c(1), c(2), c(3)], [upsert([row(1), row(2), row(3)])]],
    ["the last upsert of a key wins", [c(1, "a"), u(1, "b"), u(1, "c")], [upsert([row(1, "c")])]],
    ["a delete wins over earlier upserts", [c(1), u(1), d(1)], [del(1)]],
    ["an upsert after a delete is an upsert", [d(1), c(1, "again")], [upsert([row(1, "again")])]],
    ["delete, insert, delete: delete", [d(1), c(1), d(1)], [del(1)]],
    ["tombstones are skipped", [c(1), d(1), tombstone(1), c(2)], [del(1), upsert([row(2)])]],
    [
      "deletes come before upserts, in one statement",
      [c(1), d(2), c(3), d(4)],
      [del(2, 4), upsert([row(1), row(3)])],
    ],
    [
      "rows are ordered by each key's last change",
      [c(1), c(2), u(1, "x"), c(3)],
      [upsert([row(2), row(1, "x"), row(3)])],
    ],
    ["a truncate discards the changes before it", [c(1), d(2), t(), c(3)], [TRUNCATE, upsert([row(3)])]],
    ["a truncate alone", [c(1), t()], [TRUNCATE]],
    ["two truncates are one", [t(), c(1), t(), c(2)], [TRUNCATE, upsert([row(2)])]],
    ["a delete after a truncate", [t(), d(5)], [TRUNCATE, del(5)]],
    ["a key change as one update: delete old + upsert new", [keyChange(1, 2)], [del(1), upsert([row(2)])]],
    ["a key change after an insert of the old key", [c(1), keyChange(1, 2)], [del(1), upsert([row(2)])]],
    ["a key change back and forth", [c(1), keyChange(1, 2), keyChange(2, 1)], [del(2), upsert([row(1)])]],
    ["a key change as the source splits it (delete + insert)", [d(1), c(2)], [del(1), upsert([row(2)])]],
    [
      "an update whose old image has the same key is a plain upsert",
      [record({ id: 1 }, envelope("u", row(1, "old"), row(1, "new")))],
      [upsert([row(1, "new")])],
    ],
    [
      "an update whose old image has only null keys is a plain upsert",
      [record({ id: 1 }, envelope("u", { id: null, name: null, body: null }, row(1)))],
      [upsert([row(1)])],
    ],
  ])("%s", (_, records, steps) => {
    expect(reduceBatch(records, KEY)).toEqual(steps);
  });
});

describe("reduceBatch: unchanged (TOAST) columns", () => {
  it.each<[string, BatchRecord[], ApplyStep[]]>([
    [
      "an update leaving body is its own group",
      [uToast(1)],
      [upsert([row(1, "n1", { body: null })], ["body"])],
    ],
    [
      "groups by the set of unchanged columns, each one statement",
      [c(1), uToast(2), c(3), uToast(4)],
      [
        upsert([row(1), row(3)]),
        upsert([row(2, "n2", { body: null }), row(4, "n4", { body: null })], ["body"]),
      ],
    ],
    [
      "an unchanged column takes the value an earlier upsert in the batch gave it",
      [c(1), uToast(1, "x")],
      [upsert([row(1, "x")])],
    ],
    ["…through several updates", [c(1), uToast(1, "x"), uToast(1, "y")], [upsert([row(1, "y")])]],
    [
      "…but stays unchanged when the earlier upsert left it unchanged too",
      [uToast(1, "x"), uToast(1, "y")],
      [upsert([row(1, "y", { body: null })], ["body"])],
    ],
    [
      "a full update after an unchanged one overwrites it",
      [uToast(1, "x"), u(1, "y")],
      [upsert([row(1, "y")])],
    ],
    [
      "after a delete, an unchanged column stays unchanged (there is nothing to take)",
      [c(1), d(1), uToast(1)],
      [upsert([row(1, "n1", { body: null })], ["body"])],
    ],
  ])("%s", (_, records, steps) => {
    expect(reduceBatch(records, KEY)).toEqual(steps);
  });

  it("sorts the unchanged set so the same set in another order is the same group", () => {
    const a = record({ id: 1 }, envelope("u", null, { id: 1, x: null, y: null }, ["y", "x"]));
    const b = record({ id: 2 }, envelope("u", null, { id: 2, x: null, y: null }, ["x", "y"]));
    expect(reduceBatch([a, b], KEY)).toEqual([
      upsert(
        [
          { id: 1, x: null, y: null },
          { id: 2, x: null, y: null },
        ],
        ["x", "y"],
      ),
    ]);
  });

  it("never leaves a key field unchanged: it takes the key's value", () => {
    const event = record({ id: 7 }, envelope("u", null, { id: null, big: "v" }, ["id"]));
    expect(reduceBatch([event], KEY)).toEqual([upsert([{ id: 7, big: "v" }])]);
  });
});

describe("reduceBatch: composite and typed keys", () => {
  const KEYS = ["region", "id"];
  const rec = (op: Envelope["op"], region: string, id: bigint | number, name = "x") =>
    record(
      { region, id },
      envelope(op, op === "d" ? { region, id, name: null } : null, op === "d" ? null : { region, id, name }),
    );

  it.each<[string, BatchRecord[], number]>([
    ["same region, different ids", [rec("c", "eu", 1n), rec("c", "eu", 2n)], 2],
    ["same id, different regions", [rec("c", "eu", 1n), rec("c", "us", 1n)], 2],
    ["same key twice", [rec("c", "eu", 1n), rec("u", "eu", 1n, "y")], 1],
    ["a region that looks like a separator", [rec("c", 'a|s"b', 1n), rec("c", "a", 1n)], 2],
  ])("%s → %i rows", (_, records, rows) => {
    const steps = reduceBatch(records, KEYS);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.kind === "upsert" && steps[0].rows.length).toBe(rows);
  });

  it("takes key values from the key record, else from the row image", () => {
    const withoutKey = record(null, envelope("c", null, { region: "eu", id: 1n, name: "x" }));
    const deleteWithoutKey = record(null, envelope("d", { region: "eu", id: 1n, name: null }, null));
    expect(reduceBatch([withoutKey], KEYS)).toEqual([upsert([{ region: "eu", id: 1n, name: "x" }])]);
    expect(reduceBatch([withoutKey, deleteWithoutKey], KEYS)).toEqual([
      { kind: "delete", keys: [{ region: "eu", id: 1n }] },
    ]);
  });

  it.each<[string, Row, Row, boolean]>([
    ["1 (number) and 1n (bigint)", { k: 1 }, { k: 1n }, false],
    ["'1' and 1", { k: "1" }, { k: 1 }, false],
    ["-0 and 0", { k: -0 }, { k: 0 }, false],
    ["NaN and NaN", { k: Number.NaN }, { k: Number.NaN }, true],
    ["equal buffers", { k: Buffer.from([1, 2]) }, { k: Buffer.from([1, 2]) }, true],
    ["different buffers", { k: Buffer.from([1, 2]) }, { k: Buffer.from([1, 3]) }, false],
    ["null and 'null'", { k: null }, { k: "null" }, false],
    ["true and 't'", { k: true }, { k: "t" }, false],
    ["arrays", { k: [1, [2, null]] }, { k: [1, [2, null]] }, true],
    ["array vs its text", { k: ["a,b"] }, { k: ["a", "b"] }, false],
  ])("keyIdentity: %s equal = %s", (_, a, b, equal) => {
    expect(keyIdentity(a, ["k"]) === keyIdentity(b, ["k"])).toBe(equal);
  });
});

describe("reduceBatch: a table without a key", () => {
  const full = (n: number): Row => ({ a: n, b: `v${n}` });
  const ins = (n: number) => record(null, envelope("c", null, full(n)));
  const upd = (from: number, to: number, unchanged: string[] = []) =>
    record(null, envelope("u", full(from), full(to), unchanged));
  const rm = (n: number) => record(null, envelope("d", full(n), null));

  it.each<[string, BatchRecord[], ApplyStep[]]>([
    [
      "runs of inserts are one step",
      [ins(1), ins(2), ins(1)],
      [{ kind: "insert", rows: [full(1), full(2), full(1)] }],
    ],
    [
      "every event counts, in order",
      [ins(1), upd(1, 2), ins(3), rm(2), rm(3), ins(4)],
      [
        { kind: "insert", rows: [full(1)] },
        { kind: "update-row", before: full(1), after: full(2), unchanged: [] },
        { kind: "insert", rows: [full(3)] },
        { kind: "delete-row", before: full(2) },
        { kind: "delete-row", before: full(3) },
        { kind: "insert", rows: [full(4)] },
      ],
    ],
    [
      "an update keeps its unchanged columns",
      [upd(1, 2, ["b"])],
      [{ kind: "update-row", before: full(1), after: full(2), unchanged: ["b"] }],
    ],
    [
      "a truncate discards what came before",
      [ins(1), rm(1), t(), ins(2)],
      [TRUNCATE, { kind: "insert", rows: [full(2)] }],
    ],
    [
      "snapshot reads are inserts",
      [record(null, envelope("r", null, full(1)))],
      [{ kind: "insert", rows: [full(1)] }],
    ],
  ])("%s", (_, records, steps) => {
    expect(reduceBatch(records, [])).toEqual(steps);
  });
});

describe("reduceBatch: events it cannot apply", () => {
  function refuses(records: BatchRecord[], keyFields: string[], message: RegExp): void {
    try {
      reduceBatch(records, keyFields);
    } catch (error) {
      expect(isTributaryError(error, "TRB_SINK_EVENT_INVALID")).toBe(true);
      expect(String(error)).toMatch(message);
      return;
    }
    expect.unreachable("accepted");
  }

  it.each<[string, BatchRecord[], string[], RegExp]>([
    [
      "an insert without an after image",
      [record({ id: 1 }, envelope("c", null, null))],
      KEY,
      /has no after image/,
    ],
    [
      "a keyless update without a before image",
      [record(null, envelope("u", null, { a: 1 }))],
      [],
      /REPLICA IDENTITY FULL/,
    ],
    [
      "a keyless delete without a before image",
      [record(null, envelope("d", null, null))],
      [],
      /no before image/,
    ],
    [
      "a delete without any key value",
      [record(null, envelope("d", null, null))],
      KEY,
      /no value for key field\(s\) id/,
    ],
    [
      "an unknown op",
      [record({ id: 1 }, { ...envelope("c", null, row(1)), op: "x" as Envelope["op"] })],
      KEY,
      /op "x"/,
    ],
  ])("refuses %s, naming the offset", (_, records, keyFields, message) => {
    refuses(records, keyFields, message);
    refuses(records, keyFields, /offset \d+/);
  });
});
