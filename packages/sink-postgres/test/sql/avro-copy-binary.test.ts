/**
 * Which columns the binary COPY writer takes, the bytes it writes, and the values it leaves to the
 * text writer. That the target stores its rows as their COPY text is checked against PostgreSQL
 * in avro-copy-binary.it.test.ts.
 */
import {
  buildTableSchemas,
  type ColumnDescription,
  type ColumnType,
  compileSchema,
  decode,
  encode,
  type Row,
  type WriterSchema,
} from "@tributary/core";
import { describe, expect, it } from "vitest";
import type { SinkRecord } from "../../src/apply/EventDecoder.js";
import { planSnapshotCopy } from "../../src/apply/snapshot-copy.js";
import { type SnapshotRead, snapshotReaderOf } from "../../src/apply/snapshot-rows.js";
import type { ApplyAction } from "../../src/apply-plan.js";
import { binaryTargets, copyAvroRowsBinary, Target } from "../../src/sql/avro-copy-binary.js";
import { postgresDialect } from "../../src/sql/postgres-dialect.js";
import { buildTableModel, withTargetTypes } from "../../src/table-model.js";
import { envelope } from "../support/models.js";

const column = (name: string, type: ColumnType): ColumnDescription => ({
  name,
  type,
  nullable: true,
  sourceType: type.kind,
});

/** A keyed table of `columns` (besides `id`), whose target types are `targetTypes` (by column). */
function tableOf(name: string, columns: readonly [string, ColumnType, string | undefined][]) {
  const schemas = buildTableSchemas({
    database: "shop",
    schema: "public",
    table: name,
    key: ["id"],
    columns: [
      { name: "id", type: { kind: "int" }, nullable: false, sourceType: "integer" },
      ...columns.map(([columnName, type]) => column(columnName, type)),
    ],
  });
  const writer = compileSchema(schemas.value);
  const keyWriter = compileSchema(schemas.key as NonNullable<typeof schemas.key>);
  const types = new Map<string, string>([["id", "integer"]]);
  for (const [columnName, , type] of columns) if (type !== undefined) types.set(columnName, type);
  const model = withTargetTypes(
    buildTableModel(schemas.value, schemas.key, { sourceConnector: "postgres" }),
    types,
  );
  const read = (rows: readonly Row[]): SnapshotRead[] =>
    rows.map((row) => {
      const key = decode(keyWriter, encode(keyWriter, { id: row.id })) as Row;
      const result = snapshotReaderOf(writer)?.read(
        encode(writer, envelope("r", null, row, [], { database: "shop", schema: "public", table: name })),
        key,
      );
      if (result === undefined) throw new Error("the snapshot reader did not read a row");
      return result;
    });
  return { writer, model, read };
}

const NUMERIC: ColumnType = { kind: "decimal", precision: 12, scale: 2, specialValues: true };

describe("binaryTargets", () => {
  it("takes target types with or without their modifiers", () => {
    const { model, read } = tableOf("typed", [
      ["amount", NUMERIC, "numeric(12,2)"],
      ["name", { kind: "string" }, "character varying(20)"],
      ["at", { kind: "timestamp-micros" }, "timestamp(3) with time zone"],
      ["wall", { kind: "timestamp-micros" }, "timestamp without time zone"],
      ["small", { kind: "int" }, "smallint"],
      ["ref", { kind: "uuid" }, "uuid"],
    ]);
    const [row] = read([{ id: 1, amount: null, name: null, at: null, wall: null, small: null, ref: null }]);
    expect(binaryTargets((row as SnapshotRead).layout, model.columns)).toEqual([
      Target.Int4,
      Target.Numeric,
      Target.Text,
      Target.Timestamptz,
      Target.Timestamp,
      Target.Int2,
      Target.Uuid,
    ]);
  });

  it.each([
    ["a target type not known from the catalog", { kind: "string" }, undefined],
    ["a type the binary writer does not write", { kind: "string" }, "json"],
    ["an array", { kind: "int" }, "integer[]"],
    [
      "a wall-clock timestamp into timestamptz (text would take the session's zone)",
      { kind: "local-timestamp-micros" },
      "timestamp with time zone",
    ],
    ["a double into real", { kind: "double" }, "real"],
    ["a string into an integer", { kind: "string" }, "integer"],
  ] as const)("leaves a table to text for %s", (_, type, target) => {
    const { model, read } = tableOf("loose", [["value", type as ColumnType, target]]);
    const [row] = read([{ id: 1, value: null }]);
    expect(binaryTargets((row as SnapshotRead).layout, model.columns)).toBeNull();
  });
});

describe("copyAvroRowsBinary", () => {
  it("writes the header, each row's fields in big-endian order, and the trailer", () => {
    const { model, read } = tableOf("framed", [
      ["amount", NUMERIC, "numeric(12,2)"],
      ["name", { kind: "string" }, "text"],
      ["at", { kind: "timestamp-micros" }, "timestamp with time zone"],
    ]);
    const rows = read([{ id: 7, amount: "-12.50", name: "é", at: 946_684_800_000_001n }]);
    const layout = (rows[0] as SnapshotRead).layout;
    const data = copyAvroRowsBinary(layout, binaryTargets(layout, model.columns) as Target[], rows);
    expect(Buffer.concat(data as Buffer[]).toString("hex")).toBe(
      [
        "5047434f50590aff0d0a00", // PGCOPY\n\377\r\n\0
        "00000000", // flags
        "00000000", // header extension
        "0004", // fields
        "00000004",
        "00000007", // id 7
        // -12.50: 2 base-10000 digits, weight 0, negative, display scale 2, digits 12 and 5000
        "0000000c",
        "0002",
        "0000",
        "4000",
        "0002",
        "000c",
        "1388",
        "00000002",
        "c3a9", // é
        "00000008",
        "0000000000000001", // 2000-01-01 00:00:00.000001 UTC, in microseconds since 2000
        "ffff", // trailer
      ].join(""),
    );
  });

  it.each([
    ["a numeric NaN", "amount", NUMERIC, "numeric(12,2)", "NaN"],
    ["a NUL in a text", "name", { kind: "string" }, "text", "a\u0000b"],
    ["an int too wide for smallint", "small", { kind: "int" }, "smallint", 32_768],
    ["a long too wide for integer", "count", { kind: "long" }, "integer", 2_147_483_648n],
    ["a date past PostgreSQL's last", "day", { kind: "date" }, "date", 2_145_042_906],
    [
      "a timestamp before PostgreSQL's first",
      "at",
      { kind: "timestamp-micros" },
      "timestamp with time zone",
      -211_813_488_000_000_001n - 946_684_800_000_000n,
    ],
    [
      "a uuid not in its canonical form",
      "ref",
      { kind: "string" },
      "uuid",
      "a0eebc999c0b4ef8bb6d6bb9bd380a11",
    ],
  ] as const)("leaves rows with %s to text", (_, name, type, target, value) => {
    const { model, read } = tableOf(`bail_${name}`, [[name, type as ColumnType, target]]);
    const rows = read([
      { id: 1, [name]: null },
      { id: 2, [name]: value },
    ]);
    const layout = (rows[0] as SnapshotRead).layout;
    const targets = binaryTargets(layout, model.columns) as Target[];
    expect(targets).not.toBeNull();
    expect(copyAvroRowsBinary(layout, targets, rows.slice(0, 1))).toBeDefined();
    expect(copyAvroRowsBinary(layout, targets, rows)).toBeUndefined();
  });

  it("leaves rows with invalid UTF-8 in a text to text", () => {
    const { model, read } = tableOf("bail_utf8", [["name", { kind: "string" }, "text"]]);
    const [row] = read([{ id: 1, name: "Qzq-marker" }]);
    const read1 = row as SnapshotRead;
    const at = read1.bytes.indexOf("Qzq-marker");
    read1.bytes[at] = 0xff;
    const targets = binaryTargets(read1.layout, model.columns) as Target[];
    expect(copyAvroRowsBinary(read1.layout, targets, [read1])).toBeUndefined();
  });
});

describe("planSnapshotCopy with binary COPY", () => {
  const options = { copyThreshold: 2, stagingPrefix: "tributary_stage_0", directCopy: true };
  const records = (rows: readonly SnapshotRead[], writer: WriterSchema): SinkRecord[] =>
    rows.map((read, index) => ({
      offset: BigInt(index),
      key: read.key,
      value: read,
      schema: writer.fingerprint,
      writer,
      snapshotRow: read,
    }));
  const copyOf = (actions: ApplyAction[] | undefined) => {
    const copy = actions?.[0];
    if (copy?.kind !== "copy") throw new Error("no copy planned");
    const staged = copy.fallback?.find((action) => action.kind === "copy");
    return { copy: copy.copy, staged: staged?.kind === "copy" ? staged.copy : undefined, data: copy.data };
  };

  it("copies in binary, into the table and into the staging table to fall back on", () => {
    const { writer, model, read } = tableOf("planned", [["amount", NUMERIC, "numeric(12,2)"]]);
    const rows = read([
      { id: 1, amount: "1.00" },
      { id: 2, amount: null },
    ]);
    const { copy, staged, data } = copyOf(
      planSnapshotCopy(records(rows, writer), model, postgresDialect, options),
    );
    expect(copy).toMatch(/ FROM STDIN WITH \(FORMAT binary\)$/);
    expect(staged).toMatch(/ FROM STDIN WITH \(FORMAT binary\)$/);
    expect((data as Buffer[])[0]?.subarray(0, 11).toString("latin1")).toBe("PGCOPY\n\xff\r\n\0");
  });

  it("copies in text for a target without binary COPY", () => {
    const { writer, model, read } = tableOf("plain", [["amount", NUMERIC, "numeric(12,2)"]]);
    const rows = read([
      { id: 1, amount: "1.00" },
      { id: 2, amount: "2.00" },
    ]);
    const dialect = { ...postgresDialect, binaryCopy: false };
    const { copy, data } = copyOf(planSnapshotCopy(records(rows, writer), model, dialect, options));
    expect(copy).toMatch(/ FROM STDIN$/);
    expect(Buffer.concat(data as Buffer[]).toString()).toBe("1\t1.00\n2\t2.00\n");
  });

  it("copies a writer's rows in text from its first value that must go as text on", () => {
    const { writer, model, read } = tableOf("special", [["amount", NUMERIC, "numeric(12,2)"]]);
    const plan = (rows: readonly Row[]) =>
      copyOf(planSnapshotCopy(records(read(rows), writer), model, postgresDialect, options)).copy;
    expect(
      plan([
        { id: 1, amount: "1.00" },
        { id: 2, amount: "2.00" },
      ]),
    ).toMatch(/binary/);
    expect(
      plan([
        { id: 3, amount: "NaN" },
        { id: 4, amount: "2.00" },
      ]),
    ).toMatch(/ FROM STDIN$/);
    expect(
      plan([
        { id: 5, amount: "1.00" },
        { id: 6, amount: "2.00" },
      ]),
    ).toMatch(/ FROM STDIN$/);
  });
});
