import { describe, expect, it } from "vitest";
import {
  boundaryQuery,
  chunkPredicate,
  chunkPredicateSql,
  chunksBetween,
  histogramBoundaries,
  histogramQuery,
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

  it("reads a key's histogram from the statistics, only for a key without a collation", () => {
    const sql = histogramQuery({ name: "id", sqlType: "bigint" });
    expect(sql).toContain("unnest(s.histogram_bounds::text::bigint[]) WITH ORDINALITY");
    expect(sql).toContain("s.schemaname = $1 AND s.tablename = $2 AND s.attname = $3 AND NOT s.inherited");
    expect(sql).toContain("a.attrelid = $4 AND a.attname = $3) = 0");
    expect(sql).toMatch(/ORDER BY h\.n$/);
  });

  it("spreads chunk bounds evenly over a histogram's buckets", () => {
    const bounds = Array.from({ length: 101 }, (_, i) => String(i * 10_000));
    expect(histogramBoundaries(bounds, 10)).toEqual(
      [100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 700_000, 800_000, 900_000].map((b) => [
        String(b),
      ]),
    );
    expect(histogramBoundaries(bounds, 3)).toEqual([["330000"], ["670000"]]);
  });

  it("asks for no more chunks than the histogram has buckets, and keeps equal bounds once", () => {
    expect(histogramBoundaries(["1", "5", "9"], 10)).toEqual([["5"]]);
    expect(histogramBoundaries(["1", "7", "7", "7", "9"], 4)).toEqual([["7"]]);
  });

  it("gives no bounds for a histogram too small to split or a single chunk", () => {
    expect(histogramBoundaries([], 5)).toEqual([]);
    expect(histogramBoundaries(["1", "9"], 5)).toEqual([]);
    expect(histogramBoundaries(["1", "5", "9"], 1)).toEqual([]);
  });
});
