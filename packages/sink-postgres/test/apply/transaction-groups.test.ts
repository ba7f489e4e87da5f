import type { Envelope, Fingerprint } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { type DecodedRecord, groupByOrigin, splitBySchema } from "../../src/apply/transaction-groups.js";
import { envelope } from "../support/models.js";

const OWN = "dc2";
const V1 = "00000000000000a1" as Fingerprint;
const V2 = "00000000000000a2" as Fingerprint;

/** `c1@dc1` is an insert of key 1 from origin dc1 under schema V1; `c1@dc1/2` under V2; `~1` a tombstone. */
function records(text: string, from = 100n): DecodedRecord[] {
  return text
    .split(" ")
    .filter(Boolean)
    .map((token, index) => {
      const offset = from + BigInt(index);
      if (token.startsWith("~"))
        return { offset, key: { id: Number(token.slice(1)) }, value: null, schema: null };
      const match = /^([cudrt])(\d*)@(\w+)(\/2)?$/.exec(token);
      if (match === null) throw new Error(`bad token ${token}`);
      const [, op, id, origin, v2] = match as unknown as [
        string,
        Envelope["op"],
        string,
        string,
        string | undefined,
      ];
      const value = { ...envelope(op, null, op === "t" ? null : { id: Number(id) }), origin };
      return { offset, key: id === "" ? null : { id: Number(id) }, value, schema: v2 ? V2 : V1 };
    });
}

/** `origin: offsets of the applied records → nextOffset (dropped)` per transaction. */
function summary(input: DecodedRecord[]): string[] {
  return groupByOrigin(input, OWN).map(
    (group) =>
      `${group.origin ?? "-"}: [${group.records.map((r) => r.offset).join(",")}] → ${group.nextOffset}` +
      (group.dropped > 0 ? ` (${group.dropped} dropped)` : ""),
  );
}

describe("groupByOrigin", () => {
  it.each<[string, string, string[]]>([
    ["nothing", "", []],
    ["one origin: one transaction", "c1@dc1 u1@dc1 d2@dc1 ~2", ["dc1: [100,101,102] → 104"]],
    [
      "each change of origin starts a transaction, which records the offset after its last record",
      "c1@dc1 c2@dc1 c3@dc3 c4@dc1",
      ["dc1: [100,101] → 102", "dc3: [102] → 103", "dc1: [103] → 104"],
    ],
    [
      "the sink's own events are dropped but counted, and their offsets covered",
      "c1@dc1 c2@dc2 c3@dc2 c4@dc1",
      ["dc1: [100,103] → 104 (2 dropped)"],
    ],
    [
      "dropped events between origins advance the earlier transaction",
      "c1@dc1 c2@dc2 c3@dc3",
      ["dc1: [100] → 102 (1 dropped)", "dc3: [102] → 103"],
    ],
    [
      "leading dropped events and tombstones join the first applied origin",
      "c1@dc2 ~1 c2@dc3",
      ["dc3: [102] → 103 (1 dropped)"],
    ],
    [
      "a batch of only the sink's own events still records its offset",
      "c1@dc2 d1@dc2 ~1",
      ["-: [] → 103 (2 dropped)"],
    ],
    ["a truncate is applied like any change", "t@dc1 c1@dc1", ["dc1: [100,101] → 102"]],
  ])("%s", (_, input, expected) => {
    expect(summary(records(input))).toEqual(expected);
  });

  it("covers every offset of the batch exactly once, in order", () => {
    const input = records("c1@dc1 c2@dc2 ~2 c3@dc3 c4@dc3 u1@dc1 c9@dc2 ~9", 7n);
    const groups = groupByOrigin(input, OWN);
    let position = 7n;
    for (const group of groups) {
      for (const record of group.records) expect(record.offset).toBeGreaterThanOrEqual(position);
      expect(group.nextOffset).toBeGreaterThan(position);
      position = group.nextOffset;
    }
    expect(position).toBe(15n);
  });
});

describe("splitBySchema", () => {
  it("runs consecutive records of one writer schema together and starts a run at each schema change", () => {
    const runs = splitBySchema(records("c1@dc1 ~1 c2@dc1 u1@dc1/2 c3@dc1/2 u3@dc1 ~3"));
    expect(
      runs.map((run) => `${run.schema === V1 ? "v1" : "v2"}: ${run.records.map((r) => r.offset).join(",")}`),
    ).toEqual(["v1: 100,102", "v2: 103,104", "v1: 105"]);
  });

  it("has no run for tombstones alone", () => {
    expect(splitBySchema(records("~1 ~2"))).toEqual([]);
  });
});
