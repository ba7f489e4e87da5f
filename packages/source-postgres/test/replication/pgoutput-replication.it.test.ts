import { randomBytes } from "node:crypto";
import { classifyError } from "@tributary/core";
import pg from "pg";
import plr from "pg-logical-replication";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  choosePgoutputOptions,
  formatLsn,
  type Lsn,
  lsnForLibraryAcknowledge,
  type PgoutputMessage,
  type PgoutputPluginOutput,
  parseLsn,
  TributaryPgoutputPlugin,
  type TupleValue,
} from "../../src/replication/index.js";

const { LogicalReplicationService } = plr;
type Service = InstanceType<typeof LogicalReplicationService>;

/**
 * pgoutput end to end against the local PostgreSQL (wal_level=logical): one workload written
 * after two slots are created, then read through pg-logical-replication with our plugin —
 * protocol 2 with streaming (logical_decoding_work_mem lowered to 64kB on the walsender so the
 * big transactions stream) and protocol 1 with binary values.
 */

const SERVER = { host: "127.0.0.1", port: 5432, user: "postgres" };
const suffix = randomBytes(4).toString("hex");
const database = `tributary_pgoutput_${suffix}`;
const publication = `Tributary Pub "${suffix}"`; // mixed case, a space and quotes: needs proper quoting
const slotV2 = `tributary_pgoutput_${suffix}_v2`;
const slotV1 = `tributary_pgoutput_${suffix}_v1`;
const originName = `tributary_pgoutput_${suffix}`;
const ORIGIN_LSN = "0/ABCDEF";
const BIG_ROWS = 20_000;
const TOAST_BODY = randomBytes(60_000).toString("hex"); // 120 kB, incompressible, stored out of line

const admin = new pg.Client({ ...SERVER, database: "postgres" });
let writer: pg.Client;
const services: Service[] = [];
let serverVersionNum = 0;
let slotStart: Lsn;
const oids: Record<string, number> = {};
const xids = { bigCommit: 0, bigAbort: 0, savepoint: 0 };

interface Received {
  readonly lsn: Lsn;
  readonly message: PgoutputMessage;
}

/** Subscribes a fresh service with the plugin and collects decoded messages. */
class Consumer {
  readonly service: Service;
  readonly plugin: TributaryPgoutputPlugin;
  readonly received: Received[] = [];
  readonly errors: unknown[] = [];
  readonly subscription: Promise<unknown>;
  confirmed: Lsn;
  private waiter: (() => void) | undefined;

  constructor(plugin: TributaryPgoutputPlugin, slot: string, from: Lsn) {
    this.confirmed = from;
    this.plugin = plugin;
    this.service = new LogicalReplicationService(
      { ...SERVER, database, options: "-c logical_decoding_work_mem=64kB" },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    services.push(this.service);
    this.service.on("data", (lsn: string, output: PgoutputPluginOutput) => {
      if (output.tag === "decode-failure") this.errors.push(output.error);
      else this.received.push({ lsn: parseLsn(lsn), message: output });
      this.waiter?.();
    });
    this.service.on("error", (error: Error) => this.errors.push(error));
    // With timeoutSeconds 0 the library never reports on its own: answer the server's requests.
    this.service.on("heartbeat", async (_lsn: string, _time: number, shouldRespond: boolean) => {
      if (shouldRespond) await this.service.acknowledge(lsnForLibraryAcknowledge(this.confirmed));
    });
    this.subscription = this.service
      .subscribe(plugin, slot, formatLsn(from))
      .catch((error: unknown) => error);
  }

  messages(): PgoutputMessage[] {
    return this.received.map((r) => r.message);
  }

  async waitFor(predicate: (message: PgoutputMessage) => boolean, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let checked = 0;
    const seen = (): boolean => {
      for (; checked < this.received.length; checked++) {
        if (predicate((this.received[checked] as Received).message)) return true;
      }
      return false;
    };
    while (!seen()) {
      if (this.errors.length > 0) throw this.errors[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${this.received.length} messages`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

type DataMessage = Extract<PgoutputMessage, { xid: number | undefined }>;
const DATA_TAGS = new Set(["relation", "type", "insert", "update", "delete", "truncate", "message"]);
const isData = (m: PgoutputMessage): m is DataMessage => DATA_TAGS.has(m.tag);
const isEndMarker = (m: PgoutputMessage): boolean => m.tag === "message" && m.prefix === "tributary-end";
const text = (t: string): TupleValue => ({ kind: "text", text: t });
const NULL: TupleValue = { kind: "null" };
const UNCHANGED: TupleValue = { kind: "unchanged" };

async function slotRow(slot: string): Promise<{ confirmed: Lsn; active: boolean; activePid: number | null }> {
  const { rows } = await admin.query(
    "SELECT confirmed_flush_lsn::text AS confirmed, active, active_pid FROM pg_replication_slots WHERE slot_name = $1",
    [slot],
  );
  const row = rows[0] as { confirmed: string; active: boolean; active_pid: number | null };
  return { confirmed: parseLsn(row.confirmed), active: row.active, activePid: row.active_pid };
}

async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function currentXid(client: pg.Client): Promise<number> {
  const { rows } = await client.query("SELECT pg_current_xact_id()::xid::text AS xid");
  return Number((rows[0] as { xid: string }).xid);
}

async function writeWorkload(): Promise<void> {
  const w = writer;
  await w.query("INSERT INTO items VALUES (1, 'apple', 3, 'happy'), (2, 'pear', 5, 'sad')");
  await w.query("BEGIN");
  await w.query("INSERT INTO full_items VALUES (1, 'first')");
  await w.query("UPDATE full_items SET note = 'second' WHERE id = 1");
  await w.query("COMMIT");
  await w.query("UPDATE items SET id = 10 WHERE id = 1"); // key change: old key (K)
  await w.query("UPDATE items SET qty = 6 WHERE id = 2"); // no old tuple
  await w.query("DELETE FROM items WHERE id = 10"); // K
  await w.query("DELETE FROM full_items WHERE id = 1"); // O
  await w.query("INSERT INTO trunc_a DEFAULT VALUES; INSERT INTO trunc_b DEFAULT VALUES");
  await w.query("TRUNCATE trunc_a, trunc_b RESTART IDENTITY");

  // A transaction replayed under a replication origin, as a Tributary sink writes it.
  const replayer = new pg.Client({ ...SERVER, database });
  await replayer.connect();
  try {
    await replayer.query("SELECT pg_replication_origin_session_setup($1)", [originName]);
    await replayer.query("BEGIN");
    await replayer.query("SELECT pg_replication_origin_xact_setup($1, now())", [ORIGIN_LSN]);
    await replayer.query("INSERT INTO items VALUES (3, 'plum', 1, 'ok')");
    await replayer.query("COMMIT");
    await replayer.query("SELECT pg_replication_origin_session_reset()");
  } finally {
    await replayer.end();
  }

  await w.query("SELECT pg_logical_emit_message(true, 'tributary', 'hi')");
  await w.query("SELECT pg_logical_emit_message(false, 'tributary', 'outside')");
  await w.query("INSERT INTO docs VALUES (1, $1, 0)", [TOAST_BODY]);
  await w.query("UPDATE docs SET counter = 1 WHERE id = 1"); // body stays TOASTed: unchanged

  await w.query("BEGIN");
  xids.bigCommit = await currentXid(w);
  await w.query("INSERT INTO big SELECT g, repeat('x', 100) || g FROM generate_series(1, $1::int) g", [
    BIG_ROWS,
  ]);
  await w.query("COMMIT");

  await w.query("BEGIN");
  xids.bigAbort = await currentXid(w);
  await w.query("INSERT INTO big SELECT g, repeat('y', 100) FROM generate_series($1::int, $2::int) g", [
    BIG_ROWS + 1,
    2 * BIG_ROWS,
  ]);
  await w.query("ROLLBACK");

  await w.query("BEGIN");
  xids.savepoint = await currentXid(w);
  await w.query("INSERT INTO big SELECT g, repeat('s', 100) FROM generate_series(40001, 50000) g");
  await w.query("SAVEPOINT sp");
  await w.query("INSERT INTO big SELECT g, repeat('r', 100) FROM generate_series(50001, 60000) g");
  await w.query("ROLLBACK TO SAVEPOINT sp");
  await w.query("INSERT INTO big VALUES (60001, 'last')");
  await w.query("COMMIT");

  await w.query("SELECT pg_logical_emit_message(false, 'tributary-end', '')");
}

beforeAll(async () => {
  await admin.connect();
  serverVersionNum = Number((await admin.query("SHOW server_version_num")).rows[0].server_version_num);
  await admin.query(`CREATE DATABASE ${database}`);
  writer = new pg.Client({ ...SERVER, database });
  await writer.connect();
  await writer.query(`
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, feeling mood);
    CREATE TABLE full_items (id int, note text);
    ALTER TABLE full_items REPLICA IDENTITY FULL;
    CREATE TABLE trunc_a (id serial PRIMARY KEY);
    CREATE TABLE trunc_b (id serial PRIMARY KEY);
    CREATE TABLE docs (id int PRIMARY KEY, body text, counter int);
    ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
    CREATE TABLE big (id int PRIMARY KEY, payload text);
    CREATE PUBLICATION "${publication.replaceAll('"', '""')}" FOR ALL TABLES;
  `);
  const { rows } = await writer.query(
    "SELECT c.relname, c.oid::int AS oid FROM pg_class c WHERE c.relname IN ('items','full_items','trunc_a','trunc_b','docs','big') " +
      "UNION ALL SELECT 'mood', 'mood'::regtype::oid::int",
  );
  for (const row of rows as Array<{ relname: string; oid: number }>) oids[row.relname] = row.oid;
  await admin.query("SELECT pg_replication_origin_create($1)", [originName]);
  const created = await writer.query(
    "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')",
    [slotV2],
  );
  slotStart = parseLsn((created.rows[0] as { lsn: string }).lsn);
  await writer.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slotV1]);
  await writeWorkload();
});

afterAll(async () => {
  for (const service of services) await service.destroy().catch(() => undefined);
  await writer?.end().catch(() => undefined);
  for (const slot of [slotV2, slotV1]) {
    await eventually(
      async () =>
        (await admin.query("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot])).rows,
      (rows) => rows.every((r: { active: boolean }) => !r.active),
    );
    await admin.query(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
      [slot],
    );
  }
  await admin.query(
    "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = $1",
    [originName],
  );
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

describe("pgoutput on PostgreSQL through pg-logical-replication", () => {
  let v2: Consumer;

  it("decodes protocol 2 with streaming: every message type, old tuples, TOAST, origin, streams", async () => {
    const options = choosePgoutputOptions(serverVersionNum, {
      publicationNames: [publication],
      messages: true,
    });
    expect(options).toMatchObject({ protoVersion: 2, streaming: true, messages: true, binary: false });
    v2 = new Consumer(new TributaryPgoutputPlugin(options), slotV2, slotStart);
    await v2.waitFor(isEndMarker);
    const all = v2.messages();
    expect(v2.errors).toEqual([]);
    const onRelation = (name: string): DataMessage[] =>
      all.filter(
        (m): m is DataMessage =>
          isData(m) && m.tag !== "relation" && "relationOid" in m && m.relationOid === oids[name],
      );

    // Type before the Relation that uses it; Relation with key flags, OIDs and replica identity.
    const typeAt = all.findIndex((m) => m.tag === "type");
    const itemsAt = all.findIndex((m) => m.tag === "relation" && m.name === "items");
    expect(typeAt).toBeGreaterThanOrEqual(0);
    expect(typeAt).toBeLessThan(itemsAt);
    expect(all[typeAt]).toEqual({
      tag: "type",
      xid: undefined,
      typeOid: oids.mood,
      schema: "public",
      name: "mood",
    });
    expect(all[itemsAt]).toEqual({
      tag: "relation",
      xid: undefined,
      relationOid: oids.items,
      schema: "public",
      name: "items",
      replicaIdentity: "d",
      columns: [
        { flags: 1, isKey: true, name: "id", typeOid: 23, typeMod: -1 },
        { flags: 0, isKey: false, name: "name", typeOid: 25, typeMod: -1 },
        { flags: 0, isKey: false, name: "qty", typeOid: 23, typeMod: -1 },
        { flags: 0, isKey: false, name: "feeling", typeOid: oids.mood, typeMod: -1 },
      ],
    });
    expect(all.find((m) => m.tag === "relation" && m.name === "full_items")).toMatchObject({
      replicaIdentity: "f",
    });

    // Begin … Commit around the first transaction, with consistent LSNs and a recent time.
    const [begin, ...rest] = all.filter((m) => m.tag === "begin" || m.tag === "commit");
    const commit = rest[0];
    if (begin?.tag !== "begin" || commit?.tag !== "commit") throw new Error("no Begin/Commit pair");
    expect(begin.finalLsn).toBe(commit.commitLsn);
    expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);
    expect(Math.abs(begin.commitTimeMs - Date.now())).toBeLessThan(10 * 60_000);
    expect(begin.commitTimeMs).toBe(commit.commitTimeMs);

    expect(onRelation("items")).toEqual([
      {
        tag: "insert",
        xid: undefined,
        relationOid: oids.items,
        newTuple: ["1", "apple", "3", "happy"].map(text),
      },
      {
        tag: "insert",
        xid: undefined,
        relationOid: oids.items,
        newTuple: ["2", "pear", "5", "sad"].map(text),
      },
      {
        tag: "update",
        xid: undefined,
        relationOid: oids.items,
        oldTuple: { kind: "key", values: [text("1"), NULL, NULL, NULL] },
        newTuple: ["10", "apple", "3", "happy"].map(text),
      },
      {
        tag: "update",
        xid: undefined,
        relationOid: oids.items,
        oldTuple: undefined,
        newTuple: ["2", "pear", "6", "sad"].map(text),
      },
      {
        tag: "delete",
        xid: undefined,
        relationOid: oids.items,
        oldTuple: { kind: "key", values: [text("10"), NULL, NULL, NULL] },
      },
      {
        tag: "insert",
        xid: undefined,
        relationOid: oids.items,
        newTuple: ["3", "plum", "1", "ok"].map(text),
      },
    ]);
    expect(onRelation("full_items")).toEqual([
      { tag: "insert", xid: undefined, relationOid: oids.full_items, newTuple: [text("1"), text("first")] },
      {
        tag: "update",
        xid: undefined,
        relationOid: oids.full_items,
        oldTuple: { kind: "full", values: [text("1"), text("first")] },
        newTuple: [text("1"), text("second")],
      },
      {
        tag: "delete",
        xid: undefined,
        relationOid: oids.full_items,
        oldTuple: { kind: "full", values: [text("1"), text("second")] },
      },
    ]);

    // One Truncate message naming both tables.
    const truncates = all.filter((m) => m.tag === "truncate");
    expect(truncates).toHaveLength(1);
    expect(truncates[0]).toMatchObject({ cascade: false, restartIdentity: true, options: 2 });
    expect(truncates[0]?.tag === "truncate" && [...truncates[0].relationOids].sort()).toEqual(
      [oids.trunc_a, oids.trunc_b].sort(),
    );

    // The replayed transaction: Begin, Origin (name and origin commit LSN), the row, Commit.
    const originAt = all.findIndex((m) => m.tag === "origin");
    expect(all[originAt]).toEqual({ tag: "origin", originLsn: parseLsn(ORIGIN_LSN), originName });
    expect(all[originAt - 1]?.tag).toBe("begin");
    expect(all[originAt + 1]).toMatchObject({
      tag: "insert",
      newTuple: [text("3"), text("plum"), text("1"), text("ok")],
    });
    expect(all.filter((m) => m.tag === "origin")).toHaveLength(1);

    // Logical decoding messages: the transactional one inside Begin/Commit, the other alone.
    const hiAt = all.findIndex((m) => m.tag === "message" && m.prefix === "tributary" && m.transactional);
    expect(all[hiAt]).toMatchObject({ tag: "message", xid: undefined, flags: 1, content: Buffer.from("hi") });
    expect(all[hiAt - 1]?.tag).toBe("begin");
    expect(all[hiAt + 1]?.tag).toBe("commit");
    const outsideAt = all.findIndex(
      (m) => m.tag === "message" && !m.transactional && m.prefix === "tributary",
    );
    expect(all[outsideAt]).toMatchObject({ flags: 0, content: Buffer.from("outside") });
    expect(all[outsideAt - 1]?.tag).toBe("commit");

    // TOAST: the update of another column sends the big column as unchanged, not as a value.
    const docs = onRelation("docs");
    expect(docs.map((m) => m.tag)).toEqual(["insert", "update"]);
    expect(docs[0]?.tag === "insert" && docs[0].newTuple[1]).toEqual(text(TOAST_BODY));
    expect(docs[1]).toEqual({
      tag: "update",
      xid: undefined,
      relationOid: oids.docs,
      oldTuple: undefined,
      newTuple: [text("1"), UNCHANGED, text("1")],
    });

    // Streaming: the committed big transaction arrives in several stream blocks, rows carry its
    // xid, and it ends with Stream Commit instead of Begin/Commit.
    const startsOf = (xid: number) => all.filter((m) => m.tag === "stream-start" && m.xid === xid);
    const bigStarts = startsOf(xids.bigCommit);
    expect(bigStarts.length).toBeGreaterThan(1);
    expect(bigStarts.map((m) => m.tag === "stream-start" && m.firstSegment)).toEqual([
      true,
      ...bigStarts.slice(1).map(() => false),
    ]);
    const bigRows = onRelation("big").filter((m) => m.xid === xids.bigCommit);
    expect(bigRows).toHaveLength(BIG_ROWS);
    expect(bigRows.every((m) => m.tag === "insert")).toBe(true);
    expect(bigRows[BIG_ROWS - 1]).toMatchObject({
      newTuple: [text(String(BIG_ROWS)), text(`${"x".repeat(100)}${BIG_ROWS}`)],
    });
    const bigCommit = all.find((m) => m.tag === "stream-commit" && m.xid === xids.bigCommit);
    expect(bigCommit).toMatchObject({ flags: 0 });
    expect(all.some((m) => m.tag === "begin" && m.xid === xids.bigCommit)).toBe(false);
    // Between Stream Start and Stream Stop there is nothing but data messages of that stream.
    let open: number | undefined;
    for (const m of all) {
      if (m.tag === "stream-start") open = m.xid;
      else if (m.tag === "stream-stop") open = undefined;
      else if (open !== undefined)
        expect(isData(m) && m.xid !== undefined, `${m.tag} inside a stream`).toBe(true);
      else if (isData(m)) expect(m.xid, `${m.tag} outside a stream`).toBeUndefined();
    }

    // The rolled-back streamed transaction: streamed rows, then Stream Abort, never a commit.
    expect(startsOf(xids.bigAbort).length).toBeGreaterThan(0);
    expect(all.filter((m) => m.tag === "stream-abort" && m.xid === xids.bigAbort)).toEqual([
      {
        tag: "stream-abort",
        xid: xids.bigAbort,
        subxid: xids.bigAbort,
        abortLsn: undefined,
        abortTimeMicros: undefined,
      },
    ]);
    expect(all.some((m) => m.tag === "stream-commit" && m.xid === xids.bigAbort)).toBe(false);

    // ROLLBACK TO SAVEPOINT inside a streamed transaction: Stream Abort of the subtransaction
    // only (subxid ≠ xid), then Stream Commit of the transaction.
    const savepointAborts = all.filter((m) => m.tag === "stream-abort" && m.xid === xids.savepoint);
    expect(savepointAborts).toHaveLength(1);
    const subxid = savepointAborts[0]?.tag === "stream-abort" ? savepointAborts[0].subxid : 0;
    expect(subxid).not.toBe(xids.savepoint);
    expect(onRelation("big").filter((m) => m.xid === subxid).length).toBeGreaterThan(0);
    const savepointCommitAt = all.findIndex((m) => m.tag === "stream-commit" && m.xid === xids.savepoint);
    expect(savepointCommitAt).toBeGreaterThan(all.indexOf(savepointAborts[0] as PgoutputMessage));
    expect(onRelation("big").filter((m) => m.xid === xids.savepoint)).toHaveLength(10_000);
  });

  it("acknowledges manually: confirmed_flush_lsn moves to exactly the commit's end LSN, and a restart resumes after it", async () => {
    const before = await slotRow(slotV2);
    expect(before.confirmed).toBe(slotStart); // nothing acknowledged automatically
    const ends = v2
      .messages()
      .flatMap((m) => (m.tag === "commit" || m.tag === "stream-commit" ? [m.endLsn] : []));
    const lastEnd = ends[ends.length - 1] as Lsn;
    expect(ends).toEqual([...ends].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // The data event's LSN of a commit is its end LSN.
    const lastCommit = v2.received.filter((r) => r.message.tag === "commit").at(-1);
    if (lastCommit?.message.tag !== "commit") throw new Error("no Commit message");
    expect(lastCommit.lsn).toBe(lastCommit.message.endLsn);

    v2.confirmed = lastEnd;
    expect(await v2.service.acknowledge(lsnForLibraryAcknowledge(lastEnd))).toBe(true);
    const after = await eventually(
      () => slotRow(slotV2),
      (row) => row.confirmed !== slotStart,
    );
    expect(formatLsn(after.confirmed)).toBe(formatLsn(lastEnd));

    await v2.service.stop();
    await v2.subscription;
    await eventually(
      () => slotRow(slotV2),
      (row) => !row.active,
    );
    // Resume from the confirmed position: no transaction comes again, only what followed it.
    const again = new Consumer(new TributaryPgoutputPlugin(v2.plugin.options), slotV2, after.confirmed);
    await again.waitFor(isEndMarker);
    expect(again.messages().map((m) => m.tag)).toEqual(["message"]);
    await again.service.stop();
  });

  it("decodes protocol 1 with binary values: no streams, big transactions whole, rollbacks absent", async () => {
    const v1 = new Consumer(
      new TributaryPgoutputPlugin({
        protoVersion: 1,
        publicationNames: [publication],
        binary: true,
        messages: true,
      }),
      slotV1,
      slotStart,
    );
    await v1.waitFor(isEndMarker);
    await v1.service.stop();
    const all = v1.messages();
    expect(v1.errors).toEqual([]);
    expect(all.some((m) => m.tag.startsWith("stream-"))).toBe(false);
    expect(all.filter(isData).every((m) => m.xid === undefined)).toBe(true);

    const first = all.find((m) => m.tag === "insert");
    const int4 = (n: number) => ({ kind: "binary", bytes: Buffer.from([0, 0, 0, n]) });
    expect(first).toMatchObject({
      tag: "insert",
      newTuple: [
        int4(1),
        { kind: "binary", bytes: Buffer.from("apple") },
        int4(3),
        { kind: "binary", bytes: Buffer.from("happy") },
      ],
    });
    const docsUpdate = all.find((m) => m.tag === "update" && m.relationOid === oids.docs);
    expect(docsUpdate).toMatchObject({ newTuple: [int4(1), UNCHANGED, int4(1)] });

    const bigTx = all.findIndex((m) => m.tag === "begin" && m.xid === xids.bigCommit);
    expect(bigTx).toBeGreaterThanOrEqual(0);
    const commitAt = all.findIndex((m, i) => i > bigTx && m.tag === "commit");
    // The whole transaction between its Begin and Commit: the table's Relation, then every row.
    expect(all.slice(bigTx + 1, commitAt).map((m) => m.tag)).toEqual([
      "relation",
      ...Array(BIG_ROWS).fill("insert"),
    ]);
    expect(all.some((m) => m.tag === "begin" && m.xid === xids.bigAbort)).toBe(false);
    const bigRows = all.filter((m) => m.tag === "insert" && m.relationOid === oids.big);
    expect(bigRows).toHaveLength(BIG_ROWS + 10_001);
  });

  it("pins the library's behaviour on connection loss: subscribe rejects, an error event, no reconnect", async () => {
    const consumer = new Consumer(
      new TributaryPgoutputPlugin({ protoVersion: 1, publicationNames: [publication] }),
      slotV1,
      slotStart,
    );
    const started = new Promise<void>((resolve) => consumer.service.once("start", () => resolve()));
    await started;
    const { activePid } = await eventually(
      () => slotRow(slotV1),
      (row) => row.activePid !== null,
    );
    await admin.query("SELECT pg_terminate_backend($1)", [activePid]);
    const rejection = (await consumer.subscription) as { code?: string };
    expect(rejection).toBeInstanceOf(Error);
    expect(rejection.code).toBe("57P01"); // admin_shutdown, from the ErrorResponse
    expect(classifyError(rejection)).toBe("retriable");
    await eventually(
      async () => consumer.errors.length,
      (n) => n > 0,
    );
    expect(String(consumer.errors[0])).toContain("Connection terminated unexpectedly");
    expect(consumer.service.isStop()).toBe(false); // it does not notice, and it does not reconnect
    await consumer.service.stop();
  });
});
