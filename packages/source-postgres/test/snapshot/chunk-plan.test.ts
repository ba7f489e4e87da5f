import { describe, expect, it } from "vitest";
import {
  boundaryQuery,
  chunkPredicate,
  chunkPredicateSql,
  chunksBetween,
} from "../../src/snapshot/chunk-plan.js";

describe("chunk planning", () => {
  it("covers the whole key space with consecutive ranges", () => {
    expect(chunksBetween([["10"], ["20"]])).toEqual([
      { after: null, upTo: ["10"] },
      { after: ["10"], upTo: ["20"] },
      { after: ["20"], upTo: null },
    ]);
    expect(chunksBetween([])).toEqual([{ after: null, upTo: null }]);
  });

  it("compares composite keys as rows, casting the text bounds back to the key types", () => {
    const key = [
      { name: "tenant", sqlType: "integer" },
      { name: "Order Id", sqlType: "character varying(20)" },
    ];
    expect(chunkPredicate(key, { after: ["1", "a"], upTo: ["2", "b"] })).toEqual({
      sql: '("tenant", "Order Id") > ($1::integer, $2::character varying(20)) AND ("tenant", "Order Id") <= ($3::integer, $4::character varying(20))',
      params: ["1", "a", "2", "b"],
    });
    expect(chunkPredicate(key, { after: null, upTo: null })).toEqual({ sql: "true", params: [] });
  });

  it("writes the bounds as quoted literals for COPY, which takes no parameters", () => {
    const key = [
      { name: "tenant", sqlType: "integer" },
      { name: "name", sqlType: "text" },
    ];
    expect(chunkPredicateSql(key, { after: ["1", "it's"], upTo: null })).toBe(
      "(\"tenant\", \"name\") > ('1'::integer, 'it''s'::text)",
    );
    expect(chunkPredicateSql(key, { after: null, upTo: ["2", "a\\b"] })).toBe(
      "(\"tenant\", \"name\") <= ('2'::integer,  E'a\\\\b'::text)",
    );
    expect(chunkPredicateSql(key, { after: null, upTo: null })).toBe("true");
  });

  it("takes every n-th key in key order as a boundary", () => {
    expect(boundaryQuery('"s"."t"', [{ name: "id", sqlType: "bigint" }], 1000)).toBe(
      'SELECT k0 FROM (SELECT "id"::text AS k0, row_number() OVER (ORDER BY "id") AS rn FROM "s"."t") ranked WHERE rn % 1000 = 0 ORDER BY rn',
    );
  });
});
