/** Table models built the way the sink will: core's buildTableSchemas (what sources write) → buildTableModel. */
import {
  buildTableSchemas,
  type ColumnDescription,
  type ColumnType,
  type Envelope,
  type Row,
  type TableDescription,
} from "@tributary/core";
import type { NameMapping } from "../../src/name-mapping.js";
import { buildTableModel, type TableModel } from "../../src/table-model.js";

export const INT: ColumnType = { kind: "int" };
export const LONG: ColumnType = { kind: "long" };
export const STRING: ColumnType = { kind: "string" };
export const decimal = (precision: number, scale: number, specialValues = true): ColumnType => ({
  kind: "decimal",
  precision,
  scale,
  specialValues,
});
export const array = (items: ColumnType, itemsNullable = true): ColumnType => ({
  kind: "array",
  items,
  itemsNullable,
});

/** A column as the PostgreSQL source describes it: nullable in Avro, NOT NULL in a property. */
export function pgColumn(
  name: string,
  type: ColumnType,
  sourceType: string,
  properties: Record<string, unknown> = {},
): ColumnDescription {
  return { name, type, nullable: true, sourceType, sourceProperties: properties };
}

export interface ModelSpec {
  readonly columns: readonly ColumnDescription[];
  readonly key?: readonly string[];
  readonly schema?: string | null;
  readonly table?: string;
  readonly database?: string;
  readonly connector?: string;
  readonly mapping?: NameMapping;
}

export function model(spec: ModelSpec): TableModel {
  const schemas = buildTableSchemas({
    database: spec.database ?? "shop",
    schema: spec.schema === undefined ? "public" : spec.schema,
    table: spec.table ?? "orders",
    columns: [...spec.columns],
    key: [...(spec.key ?? [])],
  });
  return buildTableModel(schemas.value, schemas.key, {
    sourceConnector: spec.connector ?? "postgres",
    ...(spec.mapping === undefined ? {} : { mapping: spec.mapping }),
  });
}

/** The orders table used across the SQL tests: key id, a decimal, text, an array. */
export function ordersModel(mapping?: NameMapping): TableModel {
  return model({
    columns: [
      pgColumn("id", INT, "integer", { notNull: true }),
      pgColumn("price", decimal(12, 2), "numeric(12,2)", { notNull: true }),
      pgColumn("note", STRING, "character varying(20)"),
      pgColumn("tags", array(STRING), "text[]"),
    ],
    key: ["id"],
    ...(mapping === undefined ? {} : { mapping }),
  });
}

let offset = 0n;

/** The table an event's source block names. */
export type SourceTable = Pick<TableDescription, "database" | "schema" | "table">;

/** The orders table of `ordersModel`, as a source names it. */
export const ORDERS_SOURCE: SourceTable = { database: "shop", schema: "public", table: "orders" };

/** A change event of `table` (by default `shop.public.orders`) from origin `dc1`, with no position or transaction. */
export function envelope(
  op: Envelope["op"],
  before: Row | null,
  after: Row | null,
  unchanged: string[] = [],
  table: SourceTable = ORDERS_SOURCE,
): Envelope {
  return {
    before,
    after,
    unchanged,
    op,
    source: {
      connector: "postgres",
      name: "shop",
      database: table.database,
      schema: table.schema,
      table: table.table,
      lsn: null,
      file: null,
      pos: null,
      gtid: null,
      txId: null,
      commitTsMs: null,
      snapshot: op === "r",
    },
    origin: "dc1",
    ts_ms: 0n,
    transaction: null,
  };
}

export function nextOffset(): bigint {
  offset += 1n;
  return offset;
}
