/**
 * Conflict detection on the real PostgreSQL 15 target (127.0.0.1:5433, track_commit_timestamp
 * on): every conflict kind under every policy, applied the way BatchApplier applies a run —
 * look-up, resolution, reduction, plan and the conflict record in one target transaction —
 * plus `newer` against rows another writer changed on the target, and the number of round trips
 * of a large batch.
 */
import { type Envelope, isTributaryError, type Row } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectPg, scratchDatabase, TARGET_PORT } from "../../../../test/support/postgres.js";
import { planApply } from "../../src/apply-plan.js";
import { type BatchRecord, reduceBatch } from "../../src/batch-reduction.js";
import { ConflictDetector } from "../../src/conflicts/ConflictDetector.js";
import type { ConflictPolicy } from "../../src/conflicts/conflict-config.js";
import { postgresDialect as dialect } from "../../src/sql/postgres-dialect.js";
import type { TableModel } from "../../src/table-model.js";
import { createConflictsTable } from "../../src/target/helper-sql.js";
import { TargetConnection } from "../../src/target/TargetConnection.js";
import { testLogger } from "../support/connectors.js";
import { envelope, INT, model, pgColumn, STRING } from "../support/models.js";

const SINK = "conflict-it";
const TOPIC = "shop.public.items";

let database: { name: string; drop(): Promise<void> };
let connection: TargetConnection;
let client: pg.Client;
let tables = 0;

beforeAll(async () => {
  database = await scratchDatabase("tributary_conflicts", TARGET_PORT);
  client = await connectPg(database.name, TARGET_PORT);
  connection = await TargetConnection.open(
    {
      host: "127.0.0.1",
      port: TARGET_PORT,
      user: "postgres",
      password: "",
      database: database.name,
      ssl: "disable",
      connectTimeoutMs: 10_000,
    },
    "tributary-conflicts-it",
    testLogger,
  );
  await connection.query(createConflictsTable("public"));
});

afterAll(async () => {
  await connection?.close();
  await client?.end();
  await database?.drop();
});

/** A fresh keyed table `items_<n>` (id, note) on the target holding `rows` (id → note), written by the test as another writer. */
async function itemsTable(rows: Record<number, string> = {}, key = true): Promise<TableModel> {
  tables++;
  const table = model({
    table: `items_${tables}`,
    columns: [pgColumn("id", INT, "integer", { notNull: true }), pgColumn("note", STRING, "text")],
    key: key ? ["id"] : [],
  });
  for (const statement of dialect.createTable(table)) await connection.query(statement);
  for (const [id, note] of Object.entries(rows)) {
    await client.query(`INSERT INTO public.${table.table} VALUES ($1, $2)`, [id, note]);
  }
  return table;
}

let offset = 100n;
function event(
  op: Envelope["op"],
  id: number,
  note: string | null,
  commitMs = 1_700_000_000_000n,
): BatchRecord {
  const row: Row = { id, note };
  const value = envelope(op, op === "c" || op === "r" ? null : row, op === "d" ? null : row);
  value.source.commitTsMs = commitMs;
  value.source.lsn = 0x1_0000_0020n + offset;
  offset += 1n;
  return { key: { id }, value, offset };
}

/** Applies `records` as BatchApplier applies a run, in one transaction. */
async function apply(table: TableModel, records: BatchRecord[], policy: ConflictPolicy): Promise<void> {
  const detector = await ConflictDetector.open({
    config: { name: SINK, helperSchema: "public", conflicts: { detect: true, policy, tables: {} } },
    connection,
    dialect,
    logger: testLogger,
  });
  if (detector === undefined) throw new Error("detection is on: expected a detector");
  await connection.transaction(async () => {
    const checked = await detector.check(records, table, { topic: TOPIC, partition: 0 });
    const steps = reduceBatch(checked.records, table.keyFields);
    for (const action of planApply(steps, table, dialect, { copyThreshold: 50, stagingPrefix: "stage" })) {
      if (action.kind === "copy") await connection.copy(action.copy, action.data);
      else await connection.query(action.statement);
    }
    if (checked.record !== null) await connection.query(checked.record);
  });
}

async function rowsOf(table: TableModel): Promise<Record<number, string | null>> {
  const { rows } = await client.query<{ id: number; note: string | null }>(
    `SELECT id, note FROM public.${table.table} ORDER BY id`,
  );
  return Object.fromEntries(rows.map((row) => [row.id, row.note]));
}

async function conflictsOf(table: TableModel): Promise<Record<string, unknown>[]> {
  const { rows } = await client.query(
    `SELECT key, kind, policy, resolution, op, incoming, kafka_offset::text AS kafka_offset
       FROM public.tributary_conflicts WHERE table_name = $1 ORDER BY id`,
    [`public.${table.table}`],
  );
  return rows;
}

type Case = [ConflictPolicy, Record<number, string | null>, string];

describe("insert of an existing key", () => {
  it.each<Case>([
    ["ignore", { 1: "target", 2: "new" }, "skipped"],
    ["overwrite", { 1: "incoming", 2: "new" }, "applied"],
    ["newer", { 1: "incoming", 2: "new" }, "applied"],
  ])("%s", async (policy, expected, resolution) => {
    const table = await itemsTable({ 1: "target" });
    // The incoming change is later than the target row's commit (now), for newer.
    const later = BigInt(Date.now()) + 60_000n;
    const incoming = event("c", 1, "incoming", later);
    await apply(table, [incoming, event("c", 2, "new")], policy);
    expect(await rowsOf(table)).toEqual(expected);
    expect(await conflictsOf(table)).toEqual([
      {
        key: { id: 1 },
        kind: "insert_exists",
        policy,
        resolution,
        op: "c",
        incoming: { id: 1, note: "incoming" },
        kafka_offset: incoming.offset.toString(),
      },
    ]);
  });
});

describe("update of a missing row", () => {
  it.each<Case>([
    ["ignore", { 2: "other" }, "skipped"],
    ["overwrite", { 1: "incoming", 2: "other" }, "applied"],
    ["newer", { 1: "incoming", 2: "other" }, "applied"],
  ])("%s", async (policy, expected, resolution) => {
    const table = await itemsTable({ 2: "other" });
    await apply(table, [event("u", 1, "incoming")], policy);
    expect(await rowsOf(table)).toEqual(expected);
    expect(await conflictsOf(table)).toMatchObject([
      { key: { id: 1 }, kind: "update_missing", resolution, op: "u" },
    ]);
  });
});

describe("delete of a missing row", () => {
  it.each<ConflictPolicy>(["fail", "ignore", "overwrite", "newer"])(
    "%s: ignored and recorded",
    async (policy) => {
      const table = await itemsTable({ 2: "other" });
      await apply(table, [event("d", 1, null), event("d", 2, null)], policy);
      expect(await rowsOf(table)).toEqual({});
      expect(await conflictsOf(table)).toMatchObject([
        { key: { id: 1 }, kind: "delete_missing", policy, resolution: "skipped", op: "d", incoming: null },
      ]);
    },
  );
});

describe("fail", () => {
  it.each<[string, Record<number, string>, BatchRecord, string]>([
    ["insert of an existing key", { 1: "target" }, event("c", 1, "incoming"), "insert_exists"],
    ["update of a missing row", {}, event("u", 1, "incoming"), "update_missing"],
  ])("stops at an %s, committing nothing of the batch", async (_, rows, conflicting, kind) => {
    const table = await itemsTable(rows);
    const before = await rowsOf(table);
    const error = await apply(
      table,
      [event("c", 5, "before it"), conflicting, event("c", 6, "after it")],
      "fail",
    ).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isTributaryError(error) && error.code).toBe("TRB_SINK_CONFLICT");
    const message = (error as Error).message;
    for (const part of [
      `public.${table.table}`,
      kind,
      '{"id":1}',
      `offset ${conflicting.offset}`,
      `${TOPIC} partition 0`,
    ]) {
      expect(message).toContain(part);
    }
    expect(await rowsOf(table)).toEqual(before);
    expect(await conflictsOf(table)).toEqual([]);
  });
});

describe("newer with two writers", () => {
  it("keeps a row the target changed after the event's commit and overwrites one it changed before", async () => {
    const table = await itemsTable();
    // The other writer: two transactions on the target, each with its own commit time.
    await client.query(`INSERT INTO public.${table.table} VALUES (1, 'target, changed after the event')`);
    await client.query(`INSERT INTO public.${table.table} VALUES (2, 'target, changed before the event')`);
    const { rows } = await client.query<{ id: number; us: string }>(
      `SELECT id, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000000)::bigint::text AS us
         FROM public.${table.table} ORDER BY id`,
    );
    const committedMs = (id: number) => BigInt(rows.find((row) => row.id === id)?.us ?? "x") / 1000n;
    await apply(
      table,
      [event("c", 1, "source", committedMs(1) - 1n), event("c", 2, "source", committedMs(2) + 1n)],
      "newer",
    );
    expect(await rowsOf(table)).toEqual({ 1: "target, changed after the event", 2: "source" });
    const { rows: recorded } = await client.query(
      `SELECT key, resolution, (extract(epoch FROM target_commit_at) * 1000000)::bigint::text AS target_us,
              (extract(epoch FROM source_commit_at) * 1000)::bigint::text AS source_ms, source_position
         FROM public.tributary_conflicts WHERE table_name = $1 ORDER BY id`,
      [`public.${table.table}`],
    );
    expect(recorded).toEqual([
      {
        key: { id: 1 },
        resolution: "skipped",
        target_us: rows[0]?.us,
        source_ms: String(committedMs(1) - 1n),
        source_position: expect.stringMatching(/^1\/[0-9A-F]+$/),
      },
      {
        key: { id: 2 },
        resolution: "applied",
        target_us: rows[1]?.us,
        source_ms: String(committedMs(2) + 1n),
        source_position: expect.stringMatching(/^1\/[0-9A-F]+$/),
      },
    ]);
  });
});

describe("in bulk", () => {
  it("costs the same statements for 3 rows as for 600, through COPY too", async () => {
    const statementsFor = async (count: number): Promise<number> => {
      const existing: Record<number, string> = {};
      for (let id = 1; id <= count; id += 2) existing[id] = "target";
      const table = await itemsTable(existing);
      const records = Array.from({ length: count }, (_, i) => event("c", i + 1, "incoming"));
      const query = vi.spyOn(connection, "query");
      const copy = vi.spyOn(connection, "copy");
      const ahead = vi.spyOn(connection, "sendAhead");
      await apply(table, records, "overwrite");
      const calls = query.mock.calls.length + copy.mock.calls.length + ahead.mock.calls.length;
      query.mockRestore();
      copy.mockRestore();
      ahead.mockRestore();
      expect(Object.values(await rowsOf(table)).every((note) => note === "incoming")).toBe(true);
      expect(await conflictsOf(table)).toHaveLength(Math.ceil(count / 2));
      return calls;
    };
    const small = await statementsFor(3);
    const large = await statementsFor(600);
    // BEGIN (sent ahead), look-up, upsert (large: staging table, COPY, merge), conflict record, COMMIT.
    expect(small).toBe(5);
    expect(large).toBe(small + 2);
  });
});

describe("a table without a key", () => {
  it("is applied without detection", async () => {
    const table = await itemsTable({}, false);
    await client.query(`INSERT INTO public.${table.table} VALUES (1, 'same')`);
    const insert: BatchRecord = { ...event("c", 1, "same"), key: null };
    await apply(table, [insert], "fail");
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM public.${table.table}`);
    expect(rows[0]).toEqual({ n: 2 });
    expect(await conflictsOf(table)).toEqual([]);
  });
});
