/**
 * Snapshot reads written straight from their Avro bytes into COPY text must give, byte for byte,
 * what the decoded rows give through `copyRowsUtf8` (the value-text formatters), and the same
 * envelope and apply plan as a full decode.
 */
import {
  buildTableSchemas,
  type ColumnDescription,
  type ColumnType,
  compileSchema,
  decode,
  type Envelope,
  encode,
  type Row,
  type TableDescription,
  type WriterSchema,
} from "@tributary/core";
import { describe, expect, it } from "vitest";
import type { SinkRecord } from "../../src/apply/EventDecoder.js";
import { planSnapshotCopy } from "../../src/apply/snapshot-copy.js";
import { snapshotReaderOf } from "../../src/apply/snapshot-rows.js";
import { type ApplyAction, planApply } from "../../src/apply-plan.js";
import { reduceBatch } from "../../src/batch-reduction.js";
import {
  DATE_NEGATIVE_INFINITY,
  DATE_POSITIVE_INFINITY,
  TIMESTAMP_NEGATIVE_INFINITY,
  TIMESTAMP_POSITIVE_INFINITY,
} from "../../src/datetime-format.js";
import { copyAvroRowsUtf8 } from "../../src/sql/avro-copy-text.js";
import { copyRowsUtf8 } from "../../src/sql/copy-text.js";
import { postgresDialect } from "../../src/sql/postgres-dialect.js";
import { buildTableModel, type TableModel } from "../../src/table-model.js";

const column = (name: string, type: ColumnType, nullable = true): ColumnDescription => ({
  name,
  type,
  nullable,
  sourceType: type.kind,
});

/** Every column type the direct path writes, nullable and not. */
const zoo: TableDescription = {
  database: "shop",
  schema: "public",
  table: "zoo",
  key: ["id"],
  columns: [
    column("id", { kind: "long" }, false),
    column("flag", { kind: "boolean" }),
    column("flag_nn", { kind: "boolean" }, false),
    column("small", { kind: "int" }),
    column("small_nn", { kind: "int" }, false),
    column("big", { kind: "long" }),
    column("real4", { kind: "float" }),
    column("real8", { kind: "double" }),
    column("real8_nn", { kind: "double" }, false),
    column("money", { kind: "decimal", precision: 12, scale: 2, specialValues: true }),
    column("money_nn", { kind: "decimal", precision: 12, scale: 2 }, false),
    column("wide", { kind: "decimal", precision: 38, scale: 10 }),
    column("whole", { kind: "decimal", precision: 5, scale: 0, specialValues: true }),
    column("note", { kind: "string" }),
    column("note_nn", { kind: "string" }, false),
    column("blob", { kind: "bytes" }),
    column("day", { kind: "date" }),
    column("clock", { kind: "time-micros" }),
    column("at", { kind: "timestamp-micros" }),
    column("at_nn", { kind: "timestamp-micros" }, false),
    column("local", { kind: "local-timestamp-micros" }),
    column("ref", { kind: "uuid" }),
  ],
};

/** The not-null columns' values of a row whose other columns are all null. */
const required = (id: bigint): Row => ({
  id,
  flag_nn: false,
  small_nn: 0,
  real8_nn: 0,
  money_nn: "0.00",
  note_nn: "",
  at_nn: 0n,
});

const nulls = (id: bigint): Row => ({
  ...required(id),
  flag: null,
  small: null,
  big: null,
  real4: null,
  real8: null,
  money: null,
  wide: null,
  whole: null,
  note: null,
  blob: null,
  day: null,
  clock: null,
  at: null,
  local: null,
  ref: null,
});

const edgeRows: Row[] = [
  nulls(1n),
  {
    ...nulls(2n),
    flag: true,
    flag_nn: true,
    small: -1,
    small_nn: 2_147_483_647,
    big: 9_223_372_036_854_775_807n,
    real4: Number.NaN,
    real8: Number.POSITIVE_INFINITY,
    real8_nn: -0,
    money: "NaN",
    money_nn: "-0.01",
    wide: "1234567890123456789012345678.1234567890",
    whole: "Infinity",
    note: "tab\there back\\slash new\nline cr\rend \\N \\.",
    note_nn: "ünïcødé 🚚 with\ttab",
    blob: Buffer.alloc(0),
    day: DATE_POSITIVE_INFINITY,
    clock: 0n,
    at: TIMESTAMP_POSITIVE_INFINITY,
    at_nn: TIMESTAMP_NEGATIVE_INFINITY,
    local: TIMESTAMP_NEGATIVE_INFINITY,
    ref: "0b6f7d1e-3c2a-4f1e-9d8c-7a6b5c4d3e2f",
  },
  {
    ...nulls(3n),
    flag: false,
    small: -2_147_483_648,
    small_nn: 0,
    big: -9_223_372_036_854_775_808n,
    real4: Number.NEGATIVE_INFINITY,
    real8: Number.NaN,
    real8_nn: 5e-324,
    money: "-Infinity",
    money_nn: "-9999999999.99",
    wide: "-0.0000000001",
    whole: "-12345",
    note: "",
    note_nn: "a".repeat(100),
    blob: Buffer.from([0x00, 0xff, 0x5c, 0x0a]),
    day: DATE_NEGATIVE_INFINITY,
    clock: 86_400_000_000n,
    at: -1n,
    at_nn: 1_700_000_000_123_456n,
    local: 2n ** 60n,
    ref: "FFFFFFFF-0000-4000-8000-000000000000",
  },
  {
    ...nulls(4n),
    small: 0,
    big: 0n,
    real4: 0.1,
    real8: 1.7976931348623157e308,
    real8_nn: -1.5,
    money: "0.00",
    money_nn: "12345678.90",
    wide: "0.0000000000",
    whole: "0",
    note: "é\t😀\\ mixed",
    note_nn: "x".repeat(3000),
    blob: Buffer.from("\\x41"),
    day: -719_528,
    clock: 45_296_500_000n,
    at: -62_135_596_800_000_001n,
    at_nn: 2n ** 53n,
    local: 1_700_000_000_000_000n,
  },
  {
    ...nulls(5n),
    big: -(2n ** 53n) + 1n,
    real4: -0,
    real8: 0.1,
    money: "999999999.99",
    whole: "-Infinity",
    day: 0,
    clock: 1n,
    at: 0n,
    at_nn: -(2n ** 60n),
    local: -1n,
  },
  { ...nulls(6n), day: -1, at: 1n, local: 86_399_999_999n, money: "-0.10", big: -1n },
  {
    // Decimals with fewer digits than their scale; texts past the byte-by-byte length, or not.
    ...nulls(7n),
    money: "0.05",
    money_nn: "-0.05",
    wide: "14073.7488355327",
    whole: "-9",
    small: 10,
    big: 1_000_000n,
    note: `${"n".repeat(100)}\t${"m".repeat(411)}`,
    note_nn: `${"p".repeat(300)}é${"q".repeat(300)}`,
  },
  {
    ...nulls(8n),
    wide: "-14073.7488355328",
    whole: "99999",
    note: "o".repeat(512),
    note_nn: "r".repeat(513),
  },
  // A key again: only its last row counts.
  { ...nulls(2n), note: "the second row of key 2" },
];

function schemasOf(table: TableDescription) {
  const schemas = buildTableSchemas(table);
  const writer = compileSchema(schemas.value);
  const keyWriter = schemas.key === null ? null : compileSchema(schemas.key);
  const model = buildTableModel(schemas.value, schemas.key, { sourceConnector: "postgres" });
  return { writer, keyWriter, model };
}

function envelope(after: Row, overrides: Partial<Envelope> = {}): Envelope {
  return {
    before: null,
    after,
    unchanged: [],
    op: "r",
    source: {
      connector: "postgres",
      name: "shop",
      database: "shop",
      schema: "public",
      table: "zoo",
      lsn: 0x16b3748n,
      file: null,
      pos: null,
      gtid: null,
      txId: null,
      commitTsMs: null,
      snapshot: true,
    },
    origin: "dc1 ünï",
    ts_ms: 1_700_000_000_123n,
    transaction: null,
    ...overrides,
  };
}

const text = (chunks: readonly Buffer[]) => Buffer.concat(chunks).toString("utf8");

/** The COPY text of the rows decoded in full, and written straight from their messages. */
function bothWays(writer: WriterSchema, model: TableModel, messages: readonly Buffer[]) {
  const reader = snapshotReaderOf(writer);
  if (reader === null) throw new Error("no snapshot reader for the schema");
  const decoded = messages.map((message) => (decode(writer, message) as Envelope).after as Row);
  const read = messages.map((message) => {
    const result = reader.read(message, null);
    if (result === undefined) throw new Error("the snapshot reader did not read a message");
    return result;
  });
  const layout = read[0]?.layout;
  if (layout === undefined) throw new Error("no rows");
  return {
    expected: Buffer.concat(copyRowsUtf8(model.columns, decoded)),
    actual: Buffer.concat(copyAvroRowsUtf8(layout, model.columns, read)),
  };
}

describe("copyAvroRowsUtf8", () => {
  const { writer, model } = schemasOf(zoo);

  it.each(edgeRows.map((row, index) => [index, row] as const))(
    "writes edge row %i as copyRowsUtf8 writes it decoded",
    (_, row) => {
      const { expected, actual } = bothWays(writer, model, [encode(writer, envelope(row))]);
      expect(actual.toString("utf8")).toBe(expected.toString("utf8"));
      expect(actual.equals(expected)).toBe(true);
    },
  );

  it("writes many rows across chunks as copyRowsUtf8 does", () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({
      ...(edgeRows[i % edgeRows.length] as Row),
      id: BigInt(i),
      note_nn: `${"w".repeat(5000)}\t${i}`,
    }));
    const { expected, actual } = bothWays(
      writer,
      model,
      rows.map((row) => encode(writer, envelope(row))),
    );
    expect(actual.length).toBeGreaterThan(1 << 20);
    expect(actual.equals(expected)).toBe(true);
  });

  it("writes random dates, times and timestamps across their ranges as copyRowsUtf8 writes them decoded", () => {
    const times: TableDescription = {
      ...zoo,
      key: [],
      columns: [
        column("day", { kind: "date" }),
        column("clock", { kind: "time-micros" }),
        column("at", { kind: "timestamp-micros" }),
        column("local", { kind: "local-timestamp-micros" }),
      ],
    };
    const { writer: timesWriter, model: timesModel } = schemasOf(times);
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const anyLong = (bits: number) => BigInt(Math.floor((random() * 2 - 1) * 2 ** bits));
    const messages = Array.from({ length: 20_000 }, (_, i) =>
      encode(
        timesWriter,
        envelope({
          day: Math.floor((random() * 2 - 1) * 2 ** (i % 3 === 0 ? 31 : 20)),
          clock: BigInt(Math.floor(random() * 86_400_000_001)) / (i % 2 === 0 ? 1n : 1000n),
          at: anyLong(i % 4 === 0 ? 62 : 53) / (i % 3 === 0 ? 1_000_000n : 1n),
          local: i % 5 === 0 ? anyLong(63) : anyLong(50) * (i % 7 === 0 ? 1000n : 1n),
        }),
      ),
    );
    const { expected, actual } = bothWays(timesWriter, timesModel, messages);
    expect(actual.toString("utf8")).toBe(expected.toString("utf8"));
  });

  it("writes a string of invalid UTF-8 as its decoded text (replacement characters)", () => {
    const message = encode(writer, envelope({ ...nulls(1n), note: "Qzq-marker" }));
    const at = message.indexOf("Qzq-marker");
    message[at] = 0xff;
    message[at + 2] = 0xc3;
    const { expected, actual } = bothWays(writer, model, [message]);
    expect(expected.toString("utf8")).toContain("\uFFFD");
    expect(actual.equals(expected)).toBe(true);
  });

  it("fails on a NUL character as the column's formatter does", () => {
    const message = encode(writer, envelope({ ...nulls(1n), note: "a\u0000b" }));
    const decoded = (decode(writer, message) as Envelope).after as Row;
    const read = snapshotReaderOf(writer)?.read(message, null);
    expect(read).toBeDefined();
    const fromRows = () => copyRowsUtf8(model.columns, [decoded]);
    const fromBytes = () => copyAvroRowsUtf8(read?.layout as never, model.columns, [read as never]);
    expect(fromRows).toThrow(/NUL character/);
    expect(fromBytes).toThrow(/NUL character/);
    let expected: unknown;
    try {
      fromRows();
    } catch (error) {
      expected = error;
    }
    expect(fromBytes).toThrow(expected as Error);
  });
});

describe("SnapshotReader", () => {
  const { writer } = schemasOf(zoo);
  const reader = snapshotReaderOf(writer);

  it("gives the envelope a full decode gives, `after` included", () => {
    const transaction = { id: "77", total_order: 3n, data_collection_order: 2n };
    for (const [index, row] of [...edgeRows, ...edgeRows].entries()) {
      // Source and origin change now and then (the reader reuses the last ones while their bytes repeat).
      const base = envelope(row);
      const changes = {
        transaction: index % 3 === 0 ? null : transaction,
        source: { ...base.source, lsn: BigInt(index >> 2), table: index % 5 === 0 ? "zoo" : "zoo2" },
        origin: index % 4 === 0 ? "dc1" : "dc2",
        // Repeats too (the reader reuses the last one's bigint), and exceeds 2^53 once.
        ts_ms: index === 7 ? 2n ** 60n : BigInt(1_700_000_000_000 + (index >> 1)),
      };
      const message = encode(writer, envelope(row, changes));
      const full = decode(writer, message) as Envelope;
      const read = reader?.read(message, null)?.envelope as Envelope;
      for (const field of [
        "before",
        "unchanged",
        "op",
        "source",
        "origin",
        "ts_ms",
        "transaction",
        "after",
      ]) {
        expect(read[field as keyof Envelope], field).toEqual(full[field as keyof Envelope]);
      }
      expect(read.ts_ms).toBe(changes.ts_ms);
    }
  });

  it("is the read's row as well as its envelope", () => {
    const key = { id: 1n };
    const message = encode(writer, envelope(edgeRows[0] as Row));
    const read = reader?.read(message, key);
    expect(read?.envelope).toBe(read);
    expect(read?.key).toBe(key);
    expect(read?.bytes).toBe(message);
  });

  it("reads only snapshot reads with a full row and no old image", () => {
    const row = edgeRows[1] as Row;
    expect(reader?.read(encode(writer, envelope(row)), null)).toBeDefined();
    expect(reader?.read(encode(writer, envelope(row, { op: "c" })), null)).toBeUndefined();
    expect(reader?.read(encode(writer, envelope(row, { op: "u", before: row })), null)).toBeUndefined();
    expect(reader?.read(encode(writer, envelope(row, { unchanged: ["note"] })), null)).toBeUndefined();
    expect(reader?.read(encode(writer, envelope(row, { before: row })), null)).toBeUndefined();
  });

  it("leaves truncated and trailing bytes to the full decode", () => {
    const message = encode(writer, envelope(edgeRows[2] as Row));
    for (let length = 10; length < message.length; length += 7) {
      expect(reader?.read(message.subarray(0, length), null)).toBeUndefined();
    }
    expect(reader?.read(Buffer.concat([message, Buffer.from([0])]), null)).toBeUndefined();
  });

  it("has no reader for a table with an array column", () => {
    const withArray: TableDescription = {
      ...zoo,
      columns: [
        ...zoo.columns,
        column("tags", { kind: "array", items: { kind: "string" }, itemsNullable: true }),
      ],
    };
    expect(snapshotReaderOf(schemasOf(withArray).writer)).toBeNull();
  });
});

describe("planSnapshotCopy", () => {
  const { writer, keyWriter, model } = schemasOf(zoo);
  const options = { copyThreshold: 3, stagingPrefix: "tributary_stage_0", directCopy: true };

  function records(rows: readonly Row[]): SinkRecord[] {
    return rows.map((row, index) => {
      const key = decode(keyWriter as WriterSchema, encode(keyWriter as WriterSchema, { id: row.id })) as Row;
      const read = snapshotReaderOf(writer)?.read(encode(writer, envelope(row)), key);
      if (read === undefined) throw new Error("not read");
      return {
        offset: BigInt(index),
        key,
        value: read,
        schema: writer.fingerprint,
        writer,
        snapshotRow: read,
      };
    });
  }

  const comparable = (actions: readonly ApplyAction[]): unknown =>
    actions.map((action) =>
      action.kind === "copy"
        ? {
            copy: action.copy,
            rows: action.rows,
            data: text(action.data as Buffer[]),
            fallback: action.fallback === undefined ? undefined : comparable(action.fallback),
          }
        : action,
    );

  it("plans what reduceBatch and planApply plan for the decoded rows (the last row of each key, in order)", () => {
    const run = records(edgeRows);
    const direct = planSnapshotCopy(run, model, postgresDialect, options);
    const planned = planApply(reduceBatch(run, model.keyFields), model, postgresDialect, options);
    expect(direct).toBeDefined();
    expect(comparable(direct as ApplyAction[])).toEqual(comparable(planned));
    const copy = (direct as ApplyAction[])[0] as Extract<ApplyAction, { kind: "copy" }>;
    expect(text(copy.data as Buffer[])).toContain("the second row of key 2");
  });

  it.each([
    ["ascending keys", [-20n, -10n, 0n, 10n, 20n, 30n], 0n, 7],
    ["the interleaved chunks of two snapshot workers", [1n, 2n, 100n, 101n, 3n, 102n, 4n, -5n], 101n, 9],
  ])("plans what planApply plans for %s, and when a key repeats after them", (_, ids, again, copied) => {
    const rows = ids.map((id) => nulls(id));
    const repeated = [...rows, { ...nulls(again), note: `the second row of key ${again}` }, nulls(-100n)];
    for (const set of [rows, repeated]) {
      const run = records(set);
      const direct = planSnapshotCopy(run, model, postgresDialect, options);
      const planned = planApply(reduceBatch(run, model.keyFields), model, postgresDialect, options);
      expect(direct).toBeDefined();
      expect(comparable(direct as ApplyAction[])).toEqual(comparable(planned));
    }
    const copy = (planSnapshotCopy(records(repeated), model, postgresDialect, options) as ApplyAction[])[0];
    expect((copy as Extract<ApplyAction, { kind: "copy" }>).rows).toBe(copied);
  });

  it("tells keys apart as reduceBatch does: -0 from 0, a number from a bigint, NaN equal to NaN", () => {
    const keyed = (kind: "double" | "string") => {
      const table: TableDescription = {
        ...zoo,
        key: ["k"],
        columns: [column("k", { kind }, false), column("n", { kind: "int" })],
      };
      return schemasOf(table);
    };
    const runOf = (schemas: ReturnType<typeof keyed>, keys: readonly unknown[]): SinkRecord[] =>
      keys.map((k, index) => {
        const keyWriter = schemas.keyWriter as WriterSchema;
        const key = decode(keyWriter, encode(keyWriter, { k })) as Row;
        const read = snapshotReaderOf(schemas.writer)?.read(
          encode(schemas.writer, envelope({ k: k as Row[string], n: index })),
          key,
        );
        if (read === undefined) throw new Error("not read");
        const { writer: valueWriter } = schemas;
        return {
          offset: BigInt(index),
          key,
          value: read,
          schema: valueWriter.fingerprint,
          writer: valueWriter,
          snapshotRow: read,
        };
      });
    for (const [kind, keys] of [
      ["double", [0, -0, Number.NaN, 1.5, Number.NaN, 0, -0, Number.POSITIVE_INFINITY]],
      ["double", [2.5, 0.5, 1.5, Number.NEGATIVE_INFINITY, 3]],
      ["double", [2.5, 0.5, 1.5, 0.5, 3]],
      ["string", ["a", "1", "", "a", "l1|", "1"]],
    ] as const) {
      const schemas = keyed(kind);
      const run = runOf(schemas, keys);
      const direct = planSnapshotCopy(run, schemas.model, postgresDialect, options);
      const planned = planApply(
        reduceBatch(run, schemas.model.keyFields),
        schemas.model,
        postgresDialect,
        options,
      );
      expect(direct).toBeDefined();
      expect(comparable(direct as ApplyAction[])).toEqual(comparable(planned));
    }
  });

  it("leaves to planApply a run below the copy threshold, or a record whose envelope was replaced", () => {
    expect(planSnapshotCopy(records(edgeRows.slice(0, 2)), model, postgresDialect, options)).toBeUndefined();
    const replaced = records(edgeRows).map((record, index) =>
      index === 1 ? { ...record, value: { ...(record.value as Envelope), after: nulls(2n) } } : record,
    );
    expect(planSnapshotCopy(replaced, model, postgresDialect, options)).toBeUndefined();
  });

  it("skips records the filters emptied, as reduceBatch does", () => {
    const run = records(edgeRows).map((record, index) =>
      index === 0 ? { ...record, value: null, writer: null } : record,
    );
    const direct = planSnapshotCopy(run, model, postgresDialect, options);
    const planned = planApply(reduceBatch(run, model.keyFields), model, postgresDialect, options);
    expect(comparable(direct as ApplyAction[])).toEqual(comparable(planned));
  });
});
