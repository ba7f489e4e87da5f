import { describe, expect, it } from "vitest";
import {
  createOffsetsTable,
  createOriginMarkerTable,
  ensureReplicationOrigin,
  replicationOriginName,
  selectOffsets,
  upsertOffset,
  upsertOriginMarker,
} from "../../src/target/helper-sql.js";

describe("offsets SQL", () => {
  it("creates tributary_offsets keyed by sink, topic and partition, tolerating a concurrent creation", () => {
    const { text, values } = createOffsetsTable("tributary helpers");
    expect(values).toEqual([]);
    expect(text).toContain('CREATE TABLE IF NOT EXISTS "tributary helpers"."tributary_offsets" (');
    expect(text).toContain("next_offset bigint NOT NULL");
    expect(text).toContain("PRIMARY KEY (sink, topic, partition)");
    expect(text).toContain("EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL");
  });

  it("reads every position of one sink", () => {
    expect(selectOffsets("public", "replica")).toEqual({
      text: 'SELECT topic, partition, next_offset::text AS next_offset FROM "public"."tributary_offsets" WHERE sink = $1',
      values: ["replica"],
    });
  });

  it("records a position only over the one the sink expects", () => {
    const { text, values } = upsertOffset(
      "public",
      "replica",
      "shop.public.orders",
      3,
      1_234_567_890_123n,
      1000n,
    );
    expect(text).toBe(
      'INSERT INTO "public"."tributary_offsets" AS o (sink, topic, partition, next_offset, updated_at)\n' +
        "VALUES ('replica', 'shop.public.orders', 3, 1234567890123, now())\n" +
        "ON CONFLICT (sink, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at\n" +
        "WHERE o.next_offset IS NOT DISTINCT FROM 1000",
    );
    // Written in, so it can be sent in one round trip with the statements ahead of it.
    expect(values).toEqual([]);
  });

  it("expects no row at all for a partition it never recorded", () => {
    expect(upsertOffset("public", "replica", "t", 0, 5n, null).text).toContain(
      "WHERE o.next_offset IS NOT DISTINCT FROM NULL::bigint",
    );
  });

  it("quotes sink and topic names as literals", () => {
    expect(upsertOffset("public", "it's", "a\\b", 0, 5n, null).text).toContain(
      "VALUES ('it''s', E'a\\\\b', 0, 5, now())",
    );
  });
});

describe("origin marking SQL", () => {
  it("creates tributary_origin_marker with the columns a source's helper table has", () => {
    const { text } = createOriginMarkerTable("public");
    expect(text).toContain('CREATE TABLE IF NOT EXISTS "public"."tributary_origin_marker" (');
    for (const column of [
      "sink text PRIMARY KEY",
      "origin text NOT NULL",
      "seq bigint NOT NULL",
      "marked_at timestamptz NOT NULL",
    ]) {
      expect(text).toContain(column);
    }
  });

  it("upserts the sink's marker row, counting its transactions", () => {
    expect(upsertOriginMarker("public", "replica", "dc1")).toEqual({
      text:
        'INSERT INTO "public"."tributary_origin_marker" AS m (sink, origin, seq, marked_at)\n' +
        "VALUES ('replica', 'dc1', 1, now())\n" +
        "ON CONFLICT (sink) DO UPDATE SET origin = EXCLUDED.origin, seq = m.seq + 1, marked_at = EXCLUDED.marked_at",
      values: [],
    });
  });

  it("names replication origins as sources read them, and creates one unless it exists", () => {
    expect(replicationOriginName("dc1")).toBe("tributary_dc1");
    const { text } = ensureReplicationOrigin("tributary_it's");
    expect(text).toContain("IF pg_catalog.pg_replication_origin_oid('tributary_it''s') IS NULL THEN");
    expect(text).toContain("PERFORM pg_catalog.pg_replication_origin_create('tributary_it''s');");
    expect(text).toContain("EXCEPTION WHEN unique_violation THEN NULL;");
  });
});
