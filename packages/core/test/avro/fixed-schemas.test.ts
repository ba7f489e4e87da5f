import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { AvroField, AvroRecordSchema, AvroSchema } from "../../src/avro/avro-schema.js";
import { compileSchema, decode, encode } from "../../src/avro/codec.js";
import { fixedSchemas, fixedSchemasDirectory } from "../../src/avro/fixed-schemas.js";
import { isTributaryError } from "../../src/errors/TributaryError.js";
import type { SourceInfo, TransactionInfo } from "../../src/events/change-event.js";

const PG_SOURCE: SourceInfo = {
  connector: "postgres",
  name: "shop",
  database: "shop",
  schema: "public",
  table: "orders",
  lsn: 0x16b3748n,
  file: null,
  pos: null,
  gtid: null,
  txId: "771",
  commitTsMs: 1_700_000_000_123n,
  snapshot: false,
};

const MYSQL_SOURCE: SourceInfo = {
  connector: "mysql",
  name: "shop",
  database: "shop",
  schema: null,
  table: "orders",
  lsn: null,
  file: "mysql-bin.000042",
  pos: 154n,
  gtid: "0-1-42",
  txId: null,
  commitTsMs: null,
  snapshot: true,
};

const TRANSACTION: TransactionInfo = { id: "771", total_order: 3n, data_collection_order: 1n };

function records(schema: AvroSchema, found: AvroRecordSchema[] = []): AvroRecordSchema[] {
  if (Array.isArray(schema)) {
    for (const branch of schema) records(branch, found);
  } else if (typeof schema === "object" && schema !== null) {
    const object = schema as Exclude<AvroSchema, string | readonly AvroSchema[]>;
    if (object.type === "record") {
      found.push(object);
      for (const field of object.fields) records(field.type, found);
    } else if (object.type === "array") {
      records(object.items, found);
    }
  }
  return found;
}

function roundTrip(schema: AvroSchema, value: unknown): unknown {
  const writer = compileSchema(schema);
  return decode(writer, encode(writer, value));
}

describe("fixed schemas", () => {
  const schemas = fixedSchemas();

  it.each([
    ["source", "Source"],
    ["transaction", "Transaction"],
    ["arrayLowerBounds", "ArrayLowerBounds"],
    ["heartbeat", "Heartbeat"],
    ["schemaChange", "SchemaChange"],
    ["conflict", "Conflict"],
  ] as const)("%s is the record tributary.%s, compiles, and documents every field", (key, name) => {
    const schema = schemas[key];
    expect(schema.namespace).toBe("tributary");
    expect(schema.name).toBe(name);
    compileSchema(schema);
    for (const record of records(schema)) {
      expect(record.doc, `record ${record.name}`).toBeTruthy();
      for (const field of record.fields) {
        expect(field.doc, `${record.name}.${field.name}`).toBeTruthy();
      }
    }
  });

  it("are read once and frozen", () => {
    expect(fixedSchemas()).toBe(schemas);
    expect(Object.isFrozen(schemas.source)).toBe(true);
    expect(Object.isFrozen(schemas.source.fields[0])).toBe(true);
  });

  it("source matches SourceInfo field for field", () => {
    expect(schemas.source.fields.map((field: AvroField) => field.name)).toEqual(Object.keys(PG_SOURCE));
    expect(roundTrip(schemas.source, PG_SOURCE)).toEqual(PG_SOURCE);
    expect(roundTrip(schemas.source, MYSQL_SOURCE)).toEqual(MYSQL_SOURCE);
  });

  it("transaction matches TransactionInfo field for field", () => {
    expect(schemas.transaction.fields.map((field: AvroField) => field.name)).toEqual(
      Object.keys(TRANSACTION),
    );
    expect(roundTrip(schemas.transaction, TRANSACTION)).toEqual(TRANSACTION);
  });

  it("heartbeat carries either position kind", () => {
    const base = { connector: "postgres", name: "shop", origin: "dc1", ts_ms: 1_700_000_000_000n };
    const pg = { ...base, lsn: 123n, commit_ts_ms: 1_699_999_999_000n, file: null, pos: null, gtid: null };
    const mysql = {
      ...base,
      connector: "mysql",
      lsn: null,
      commit_ts_ms: null,
      file: "mysql-bin.000001",
      pos: 4n,
      gtid: "0-1-1,1-2-3",
    };
    expect(roundTrip(schemas.heartbeat, pg)).toEqual(pg);
    expect(roundTrip(schemas.heartbeat, mysql)).toEqual(mysql);
  });

  it("schema change inlines the source record and lists the new columns", () => {
    const source = schemas.schemaChange.fields.find((field: AvroField) => field.name === "source");
    expect(source?.type).toEqual(schemas.source);
    const event = {
      source: PG_SOURCE,
      statement: "ALTER TABLE public.orders ADD COLUMN \"note é\" text DEFAULT '—'",
      database: "shop",
      schema: "public",
      table: "orders",
      columns: [
        { name: "id", sourceType: "int8", nullable: false, default: "nextval('orders_id_seq'::regclass)" },
        { name: "note é", sourceType: "text", nullable: true, default: null },
      ],
      key: ["id"],
      ts_ms: 1n,
      origin: "dc1",
    };
    expect(roundTrip(schemas.schemaChange, event)).toEqual(event);
  });

  it("conflict records the kind and policy as enums", () => {
    const conflict = {
      sink: "replica",
      topic: "shop.public.orders",
      partition: 0,
      offset: 42n,
      table: "public.orders",
      key: '{"id":1}',
      kind: "update_missing",
      policy: "newer",
      resolution: "inserted",
      incoming: '{"id":1,"total":"12.50"}',
      existing: null,
      sourceCommitTsMs: 1_700_000_000_000n,
      ts_ms: 1_700_000_000_001n,
    };
    expect(roundTrip(schemas.conflict, conflict)).toEqual(conflict);
    const writer = compileSchema(schemas.conflict);
    for (const kind of ["insert_exists", "update_missing", "delete_missing"]) {
      expect(decode(writer, encode(writer, { ...conflict, kind }))).toMatchObject({ kind });
    }
    let error: unknown;
    try {
      encode(writer, { ...conflict, kind: "other" });
    } catch (caught) {
      error = caught;
    }
    expect(isTributaryError(error, "TRB_CODEC_ENCODE")).toBe(true);
  });

  it("are found from the sources and from the compiled output alike", () => {
    const directory = fixedSchemasDirectory();
    expect(existsSync(join(directory, "source.avsc"))).toBe(true);
    const root = join(directory, "..");
    for (const folder of ["src", "dist"]) {
      const module = pathToFileURL(join(root, "packages", "core", folder, "avro", "fixed-schemas.js"));
      expect(new URL("../../../../schemas/", module).href).toBe(pathToFileURL(directory).href);
    }
  });
});
