import { describe, expect, it } from "vitest";
import { conflictsConfigSchema, policyOf, usesNewer } from "../../src/conflicts/conflict-config.js";
import { rowJson, sourcePosition } from "../../src/conflicts/conflict-records.js";
import { insertConflicts, selectExistingKeys } from "../../src/sql/conflict-statements.js";
import { postgresDialect } from "../../src/sql/postgres-dialect.js";
import { createConflictsTable } from "../../src/target/helper-sql.js";
import { envelope, INT, model, pgColumn, STRING } from "../support/models.js";

const lines = model({
  table: "lines",
  columns: [
    pgColumn("order_id", INT, "integer", { notNull: true }),
    pgColumn("line", { kind: "long" }, "bigint", { notNull: true }),
    pgColumn("sku", STRING, "text"),
    pgColumn("shipped", { kind: "date" }, "date"),
  ],
  key: ["order_id", "line"],
});
const typeOf = (column: (typeof lines.columns)[number]) => postgresDialect.columnType(column, lines);

describe("conflict look-up SQL", () => {
  it("finds and locks the held keys among the bound ones, by position, with their commit time", () => {
    const { text, values } = selectExistingKeys(
      lines,
      [
        { order_id: 1, line: 2n },
        { order_id: 3, line: 4n },
      ],
      typeOf,
      true,
    );
    expect(text).toBe(
      "SELECT k.tributary_n::text AS n, " +
        "(extract(epoch FROM pg_catalog.pg_xact_commit_timestamp(t.xmin)) * 1000000)::bigint::text AS commit_us\n" +
        'FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k("order_id", "line", tributary_n)\n' +
        'JOIN "public"."lines" AS t ON t."order_id" = k."order_id"::integer AND t."line" = k."line"::bigint\n' +
        "FOR UPDATE OF t",
    );
    expect(values).toEqual(['{"1","3"}', '{"2","4"}']);
  });

  it("reads no commit time unless the policy is newer", () => {
    const { text } = selectExistingKeys(lines, [{ order_id: 1, line: 2n }], typeOf, false);
    expect(text).toContain("SELECT k.tributary_n::text AS n, NULL::text AS commit_us\n");
  });
});

describe("conflict records", () => {
  it("creates tributary_conflicts tolerating a concurrent creation", () => {
    const { text } = createConflictsTable("helpers");
    expect(text).toContain('CREATE TABLE IF NOT EXISTS "helpers"."tributary_conflicts" (');
    for (const column of [
      "key jsonb NOT NULL",
      "kafka_offset bigint NOT NULL",
      "target_commit_at timestamptz",
    ]) {
      expect(text).toContain(column);
    }
    expect(text).toContain("EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL");
  });

  it("inserts a run's conflicts in one statement, one text[] per varying column", () => {
    const { text, values } = insertConflicts("helpers", {
      sink: "replica",
      table: "public.lines",
      policy: "newer",
      topic: "shop.public.lines",
      partition: 2,
      rows: [
        {
          key: '{"id":1}',
          kind: "insert_exists",
          resolution: "skipped",
          op: "c",
          origin: "dc1",
          incoming: '{"id":1,"sku":"a,b"}',
          position: "0/16B3748",
          transaction: "771",
          sourceCommitTsMs: 1_700_000_000_123n,
          offset: 42n,
          targetCommitTsUs: 1_700_000_000_456_789n,
        },
        {
          key: '{"id":2}',
          kind: "delete_missing",
          resolution: "skipped",
          op: "d",
          origin: "dc1",
          incoming: null,
          position: null,
          transaction: null,
          sourceCommitTsMs: null,
          offset: 43n,
          targetCommitTsUs: null,
        },
      ],
    });
    expect(text).toMatch(
      /^INSERT INTO "helpers"\."tributary_conflicts" \(sink, table_name, key, kind, policy,/,
    );
    expect(text).toContain("timestamptz 'epoch' + x.target_us::bigint * interval '1 microsecond'");
    expect(values).toEqual([
      "replica",
      "public.lines",
      "newer",
      "shop.public.lines",
      "2",
      '{"{\\"id\\":1}","{\\"id\\":2}"}',
      '{"insert_exists","delete_missing"}',
      '{"skipped","skipped"}',
      '{"c","d"}',
      '{"dc1","dc1"}',
      '{"{\\"id\\":1,\\"sku\\":\\"a,b\\"}",NULL}',
      '{"0/16B3748",NULL}',
      '{"771",NULL}',
      '{"1700000000123",NULL}',
      '{"42","43"}',
      '{"1700000000456789",NULL}',
    ]);
  });

  it("writes keys and images with target column names: numbers as numbers, other values as target text", () => {
    expect(rowJson(lines, { order_id: 7, line: 9_007_199_254_740_993n, sku: "x", shipped: 19_782 })).toBe(
      '{"order_id":7,"line":"9007199254740993","sku":"x","shipped":"2024-02-29"}',
    );
    expect(rowJson(lines, { order_id: 7, line: 1n, sku: null, shipped: null }, ["sku"])).toBe(
      '{"order_id":7,"line":1,"shipped":null}',
    );
  });

  it("names the source position as the operator knows it", () => {
    const source = envelope("c", null, null).source;
    expect(sourcePosition({ ...source, lsn: 0x1_6b37_48n })).toBe("0/16B3748");
    expect(sourcePosition({ ...source, lsn: 0x3_0000_0010n })).toBe("3/10");
    expect(sourcePosition({ ...source, file: "binlog.000003", pos: 157n })).toBe("binlog.000003:157");
    expect(sourcePosition({ ...source, file: "binlog.000003", pos: 157n, gtid: "0-1-42" })).toBe("0-1-42");
    expect(sourcePosition(source)).toBeNull();
  });
});

describe("conflicts config", () => {
  it("is off by default, with fail as the policy once on", () => {
    expect(conflictsConfigSchema.parse(undefined)).toEqual({ detect: false, policy: "fail", tables: {} });
  });

  it("takes a policy per target table", () => {
    const config = conflictsConfigSchema.parse({
      detect: true,
      policy: "overwrite",
      tables: { "shop.orders": "newer", '"my.schema".lines': "ignore" },
    });
    expect(policyOf(config, "shop", "orders")).toBe("newer");
    expect(policyOf(config, "my.schema", "lines")).toBe("ignore");
    expect(policyOf(config, "shop", "lines")).toBe("overwrite");
    expect(usesNewer(config)).toBe(true);
    expect(usesNewer({ ...config, tables: {} })).toBe(false);
  });

  it("names a bad policy and a table without its schema", () => {
    const issues = (config: unknown) => {
      const result = conflictsConfigSchema.safeParse(config);
      expect(result.success).toBe(false);
      return (result.error?.issues ?? [])
        .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
        .join("\n");
    };
    expect(issues({ policy: "last-wins" })).toMatch(/^policy: .*"fail"/m);
    expect(issues({ tables: { orders: "ignore" } })).toContain(
      'tables.orders: expected a target table as schema.table, got "orders"',
    );
  });
});
