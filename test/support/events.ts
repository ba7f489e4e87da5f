import type { Envelope, Row, TableDescription } from "../../packages/core/src/index.js";

/** A table touching the common logical types, for tests that need real events. */
export const ordersTable: TableDescription = {
  database: "shop",
  schema: "public",
  table: "orders",
  key: ["id"],
  columns: [
    { name: "id", type: { kind: "long" }, nullable: false, sourceType: "int8" },
    { name: "customer", type: { kind: "string" }, nullable: true, sourceType: "text" },
    {
      name: "total",
      type: { kind: "decimal", precision: 12, scale: 2 },
      nullable: false,
      sourceType: "numeric(12,2)",
    },
    { name: "placed_at", type: { kind: "timestamp-micros" }, nullable: false, sourceType: "timestamptz(6)" },
    { name: "ship_on", type: { kind: "date" }, nullable: true, sourceType: "date" },
    {
      name: "tags",
      type: { kind: "array", items: { kind: "string" }, itemsNullable: true },
      nullable: true,
      sourceType: "text[]",
    },
    { name: "ref", type: { kind: "uuid" }, nullable: true, sourceType: "uuid" },
    { name: "photo", type: { kind: "bytes" }, nullable: true, sourceType: "bytea" },
  ],
};

export function orderRow(id: number): Row {
  return {
    id: BigInt(id),
    customer: id % 3 === 0 ? null : `customer ${id} — ünïcødé 🚚`,
    total: `${id}.${String(id % 100).padStart(2, "0")}`,
    placed_at: 1_700_000_000_000_000n + BigInt(id),
    ship_on: id % 2 === 0 ? null : 19_700 + id,
    tags: id % 4 === 0 ? null : ["a", null, `t${id}`],
    ref: "0b6f7d1e-3c2a-4f1e-9d8c-7a6b5c4d3e2f",
    photo: id % 5 === 0 ? null : Buffer.from([id % 256, 0, 255]),
  };
}

export function insertEnvelope(id: number): Envelope {
  return {
    before: null,
    after: orderRow(id),
    unchanged: [],
    op: "c",
    source: {
      connector: "postgres",
      name: "shop",
      database: "shop",
      schema: "public",
      table: "orders",
      lsn: 0x16b3748n + BigInt(id),
      file: null,
      pos: null,
      gtid: null,
      txId: `${1000 + id}`,
      commitTsMs: 1_700_000_000_000n,
      snapshot: false,
    },
    origin: "dc1",
    ts_ms: 1_700_000_000_123n,
    transaction: { id: `${1000 + id}`, total_order: 1n, data_collection_order: 1n },
    // The orders table has an array column (tags), so its envelope has the field.
    array_lower_bounds: null,
  };
}
