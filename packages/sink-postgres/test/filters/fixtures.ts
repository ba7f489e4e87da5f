/** Writer schemas and events of two tables, built as the sources build them, for the filter tests. */
import {
  buildTableSchemas,
  compileSchema,
  type Envelope,
  type Row,
  type TableDescription,
  type WriterSchema,
} from "@tributary/core";

export const ordersTable: TableDescription = {
  database: "shop",
  schema: "public",
  table: "orders",
  key: ["id"],
  columns: [
    { name: "id", type: { kind: "long" }, nullable: false, sourceType: "int8" },
    { name: "status", type: { kind: "string" }, nullable: true, sourceType: "text" },
    {
      name: "amount",
      type: { kind: "decimal", precision: 12, scale: 2, specialValues: true },
      nullable: true,
      sourceType: "numeric(12,2)",
    },
    { name: "qty", type: { kind: "int" }, nullable: true, sourceType: "int4" },
    { name: "ratio", type: { kind: "double" }, nullable: true, sourceType: "float8" },
    { name: "placed_at", type: { kind: "timestamp-micros" }, nullable: true, sourceType: "timestamptz(6)" },
    { name: "ship_date", type: { kind: "date" }, nullable: true, sourceType: "date" },
    { name: "opens", type: { kind: "time-micros" }, nullable: true, sourceType: "time(6)" },
    { name: "photo", type: { kind: "bytes" }, nullable: true, sourceType: "bytea" },
    {
      name: "tags",
      type: { kind: "array", items: { kind: "int" }, itemsNullable: true },
      nullable: true,
      sourceType: "int4[]",
    },
    { name: "Odd Name", type: { kind: "string" }, nullable: true, sourceType: "text" },
  ],
};

export const logTable: TableDescription = {
  database: "shop",
  schema: "audit",
  table: "log",
  key: [],
  columns: [
    { name: "msg", type: { kind: "string" }, nullable: true, sourceType: "text" },
    { name: "level", type: { kind: "int" }, nullable: true, sourceType: "int4" },
  ],
};

const ordersSchemas = buildTableSchemas(ordersTable);
export const ordersWriter: WriterSchema = compileSchema(ordersSchemas.value);
/** The Avro field of the column `Odd Name` (a name Avro cannot hold as it is). */
export const ODD_FIELD = ordersSchemas.fieldNames.get("Odd Name") as string;
export const logWriter: WriterSchema = compileSchema(buildTableSchemas(logTable).value);

export function order(id: number, status: string | null, amount: string | null, extra: Row = {}): Row {
  return {
    id: BigInt(id),
    status,
    amount,
    qty: null,
    ratio: null,
    placed_at: null,
    ship_date: null,
    opens: null,
    photo: null,
    tags: null,
    [ODD_FIELD]: null,
    ...extra,
  };
}

/** A decoded orders record, keyed by `id` (the Kafka key), or a keyless log record. */
export function orderRecord(envelope: Envelope, offset = 1n) {
  const image = envelope.after ?? envelope.before;
  return {
    offset,
    key: { id: image?.id ?? null },
    value: envelope,
    schema: ordersWriter.fingerprint,
    writer: ordersWriter,
  };
}

export function logRecord(envelope: Envelope, offset = 1n) {
  return { offset, key: null, value: envelope, schema: logWriter.fingerprint, writer: logWriter };
}
