import { describe, expect, it } from "vitest";
import {
  type CatalogTable,
  createPublicationSql,
  type PublicationState,
  planPublication,
  publicationChanges,
  refusalOf,
  selectTables,
} from "../../src/setup/publication-plan.js";
import { createTableSelector } from "../../src/setup/table-selection.js";

let nextOid = 1000;
function table(schema: string, name: string, facts: Partial<CatalogTable> = {}): CatalogTable {
  return {
    oid: nextOid++,
    schema,
    table: name,
    kind: "table",
    persistence: "permanent",
    replicaIdentity: "default",
    isPartition: false,
    ancestors: [],
    hasPrimaryKey: true,
    hasIdentityIndex: false,
    owned: true,
    canSelect: true,
    ...facts,
  };
}

const selector = (include: string[], exclude: string[] = []) => createTableSelector({ include, exclude });
const HELPERS = (schema: string) => [
  { schema, table: "tributary_heartbeat" },
  { schema, table: "tributary_ddl" },
  { schema, table: "tributary_origin_marker" },
];
const OPTIONS = { truncate: true, partitionRoots: true };

describe("refusalOf", () => {
  it.each([
    ["primary key", { hasPrimaryKey: true }, undefined],
    ["no key", { hasPrimaryKey: false }, "no-key"],
    ["FULL without key", { hasPrimaryKey: false, replicaIdentity: "full" }, undefined],
    ["NOTHING with key", { hasPrimaryKey: true, replicaIdentity: "nothing" }, "replica-identity-nothing"],
    ["identity index", { hasPrimaryKey: false, replicaIdentity: "index", hasIdentityIndex: true }, undefined],
    [
      "identity index dropped",
      { hasPrimaryKey: false, replicaIdentity: "index", hasIdentityIndex: false },
      "no-key",
    ],
    ["partitioned tables themselves are fine", { kind: "partitioned", hasPrimaryKey: false }, undefined],
  ] as [string, Partial<CatalogTable>, string | undefined][])("%s", (_name, facts, expected) => {
    expect(refusalOf(table("s", "t", facts))).toBe(expected);
  });
});

describe("selectTables", () => {
  it("keeps selected publishable tables, refuses keyless ones and sets unlogged ones apart", () => {
    const ok = table("public", "orders");
    const nothing = table("public", "blind", { replicaIdentity: "nothing" });
    const keyless = table("public", "log", { hasPrimaryKey: false });
    const unlogged = table("public", "cache", { persistence: "unlogged" });
    const other = table("sales", "x");
    const helper = table("public", "tributary_ddl");
    const result = selectTables([ok, nothing, keyless, unlogged, other, helper], selector(["public.*"]), {
      partitionRoots: true,
    });
    expect(result.publishable).toEqual([ok]);
    expect(result.refused.map((r) => [r.table.table, r.reason])).toEqual([
      ["blind", "replica-identity-nothing"],
      ["log", "no-key"],
    ]);
    expect(result.unlogged).toEqual([unlogged]);
  });

  it("publishes a partitioned table through its root and checks every leaf", () => {
    const root = table("public", "events", { kind: "partitioned", hasPrimaryKey: false });
    const good = table("public", "events_1", { isPartition: true, ancestors: [root.oid] });
    const bad = table("archive", "events_2", {
      isPartition: true,
      ancestors: [root.oid],
      hasPrimaryKey: false,
    });
    const result = selectTables([root, good, bad], selector(["public.*"]), { partitionRoots: true });
    expect(result.publishable).toEqual([]);
    expect(result.refused).toEqual([{ table: root, leaf: bad, reason: "no-key" }]);

    const fixed = { ...bad, replicaIdentity: "full" as const };
    expect(
      selectTables([root, good, fixed], selector(["public.*"]), { partitionRoots: true }).publishable,
    ).toEqual([root]);
  });

  it("selects a partition alone when its root is not selected", () => {
    const root = table("public", "events", { kind: "partitioned" });
    const part = table("public", "events_1", { isPartition: true, ancestors: [root.oid] });
    const result = selectTables([root, part], selector(["public.events_1"]), { partitionRoots: true });
    expect(result.publishable).toEqual([part]);
  });

  it("selects leaf partitions one by one before PostgreSQL 13", () => {
    const root = table("public", "events", { kind: "partitioned" });
    const part = table("public", "events_1", { isPartition: true, ancestors: [root.oid] });
    const result = selectTables([root, part], selector(["public.*"]), { partitionRoots: false });
    expect(result.publishable).toEqual([part]);
  });
});

describe("planPublication", () => {
  const tables = [
    table("public", "orders"),
    table("public", "Order Items"),
    table("sales", "leads"),
    table("sales", "secret"),
    table("audit", "log", { hasPrimaryKey: false }),
    table("audit", "events"),
  ];
  const schemas = ["audit", "public", "sales"];

  it("publishes whole schemas on PostgreSQL 15+ as superuser, tables elsewhere, and the helpers", () => {
    const plan = planPublication({
      selector: selector(["public.*", "sales.*", "audit.*"], ["sales.secret"]),
      tables,
      schemas,
      helperSchema: "tributary",
      schemaPublications: true,
      partitionRoots: true,
    });
    expect(plan.mode).toBe("schemas");
    // audit holds a keyless table: published table by table, without it.
    expect(plan.content.schemas).toEqual(["public"]);
    expect(plan.content.tables).toEqual([
      { schema: "sales", table: "leads" },
      { schema: "audit", table: "events" },
      ...HELPERS("tributary"),
    ]);
    expect(plan.selection.refused.map((r) => r.table.table)).toEqual(["log"]);
  });

  it("does not list the helper tables when their schema is published whole", () => {
    const plan = planPublication({
      selector: selector(["public.*"]),
      tables,
      schemas,
      helperSchema: "public",
      schemaPublications: true,
      partitionRoots: true,
    });
    expect(plan.content).toEqual({ schemas: ["public"], tables: [] });
  });

  it("lists every table without schema publications", () => {
    const plan = planPublication({
      selector: selector(["public.*"]),
      tables,
      schemas,
      helperSchema: "public",
      schemaPublications: false,
      partitionRoots: true,
    });
    expect(plan.mode).toBe("tables");
    expect(plan.content).toEqual({
      schemas: [],
      tables: [
        { schema: "public", table: "orders" },
        { schema: "public", table: "Order Items" },
        ...HELPERS("public"),
      ],
    });
  });
});

describe("publication SQL", () => {
  it("creates with schemas and quoted tables", () => {
    expect(
      createPublicationSql(
        "tributary_shop",
        { schemas: ["public", "My Schema"], tables: [{ schema: "sales", table: 'Order "Items"' }] },
        OPTIONS,
      ),
    ).toBe(
      'CREATE PUBLICATION "tributary_shop" FOR TABLES IN SCHEMA "public", "My Schema", ' +
        'TABLE ONLY "sales"."Order ""Items""" ' +
        "WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)",
    );
  });

  it("creates with tables only, or empty, with the options the server has", () => {
    expect(
      createPublicationSql(
        "p",
        {
          schemas: [],
          tables: [
            { schema: "a", table: "b" },
            { schema: "c", table: "D" },
          ],
        },
        OPTIONS,
      ),
    ).toBe(
      'CREATE PUBLICATION "p" FOR TABLE ONLY "a"."b", ONLY "c"."D" ' +
        "WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)",
    );
    expect(
      createPublicationSql("p", { schemas: [], tables: [] }, { truncate: false, partitionRoots: false }),
    ).toBe("CREATE PUBLICATION \"p\" WITH (publish = 'insert, update, delete')");
  });

  const state = (partial: Partial<PublicationState>): PublicationState => ({
    allTables: false,
    schemas: [],
    tables: [],
    publish: { insert: true, update: true, delete: true, truncate: true },
    viaPartitionRoot: true,
    owned: true,
    ...partial,
  });

  it("changes nothing when the publication matches", () => {
    const content = { schemas: ["public"], tables: [{ schema: "x", table: "y" }] };
    const changes = publicationChanges("p", state(content), content, OPTIONS);
    expect(changes.statements).toEqual([]);
  });

  it("drops, then adds, in an order PostgreSQL accepts", () => {
    const changes = publicationChanges(
      "tributary_shop",
      state({
        schemas: ["old"],
        tables: [
          { schema: "public", table: "gone" },
          { schema: "public", table: "kept" },
        ],
      }),
      {
        schemas: ["New Schema"],
        tables: [
          { schema: "public", table: "kept" },
          { schema: "public", table: "Fresh" },
        ],
      },
      OPTIONS,
    );
    expect(changes.statements).toEqual([
      'ALTER PUBLICATION "tributary_shop" DROP TABLE ONLY "public"."gone"',
      'ALTER PUBLICATION "tributary_shop" DROP TABLES IN SCHEMA "old"',
      'ALTER PUBLICATION "tributary_shop" ADD TABLES IN SCHEMA "New Schema"',
      'ALTER PUBLICATION "tributary_shop" ADD TABLE ONLY "public"."Fresh"',
    ]);
    expect(changes.addedTables).toEqual([{ schema: "public", table: "Fresh" }]);
    expect(changes.droppedTables).toEqual([{ schema: "public", table: "gone" }]);
  });

  it("sets the publish options when they differ", () => {
    const changes = publicationChanges(
      "p",
      state({
        publish: { insert: true, update: false, delete: true, truncate: true },
        viaPartitionRoot: false,
      }),
      { schemas: [], tables: [] },
      OPTIONS,
    );
    expect(changes.statements).toEqual([
      "ALTER PUBLICATION \"p\" SET (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)",
    ]);
  });

  it("recreates a FOR ALL TABLES publication", () => {
    const changes = publicationChanges(
      "p",
      state({ allTables: true }),
      { schemas: [], tables: [{ schema: "a", table: "b" }] },
      OPTIONS,
    );
    expect(changes.recreated).toBe(true);
    expect(changes.statements[0]).toBe('DROP PUBLICATION "p"');
    expect(changes.statements[1]).toMatch(/^CREATE PUBLICATION "p" FOR TABLE ONLY "a"\."b"/);
  });
});
