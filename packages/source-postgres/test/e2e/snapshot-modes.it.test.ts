/**
 * `snapshot.mode` end to end (issue 3, point 2): `never` streams only what changes after it
 * starts; `initial_only` reads the tables, then releases what it created (slot, publication,
 * event triggers, helper tables, as `tributary release` does) and returns by itself;
 * `when_needed` takes a new snapshot when its slot is gone, where `initial` refuses with
 * TRB_PG_SLOT_MISSING rather than stream past lost changes.
 */
import { type Envelope, isTributaryError, tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { RecordCollector, type RecordedEvent } from "../../../../test/support/RecordCollector.js";
import { CliProcess } from "../../../../test/support/source-process.js";
import { type PostgresSourceConfig, PostgresSourceConnector, releaseSource } from "../../src/index.js";
import { cleanUpSource, sourceConfig, startConnector, testLogger, waitForTopics } from "../support/source.js";

let db: { name: string; drop(): Promise<void> };
let sql: pg.Client;
let prefix: string;
let collector: RecordCollector;
let config: PostgresSourceConfig;
const topic = () => tableTopic(prefix, "shop", "stock");
const events = () => collector.ofTopic(topic());
const summary = (list: RecordedEvent[]) =>
  list.map(
    (e) => `${e.value?.op ?? "tombstone"} ${String(e.key?.id)} ${(e.value?.after?.qty as number) ?? "-"}`,
  );

const configFor = (mode: string) =>
  sourceConfig(db.name, prefix, { tables: { include: ["shop.*"] }, snapshot: { mode, workers: 1 } });

/** Runs the connector to its end: for `initial_only`, which returns by itself. */
async function runToEnd(current: PostgresSourceConfig, timeoutMs = 60_000): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    await new PostgresSourceConnector(current, testLogger).run(controller.signal);
    if (controller.signal.aborted)
      throw new Error(`the connector did not stop by itself within ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the connector until it fails or `timeoutMs` passes; returns the error. */
async function failureOf(current: PostgresSourceConfig, timeoutMs = 30_000): Promise<unknown> {
  const running = startConnector(current);
  const timer = setTimeout(() => void running.stop(), timeoutMs);
  try {
    await running.done;
    return new Error("the connector stopped without an error");
  } catch (error) {
    return error;
  } finally {
    clearTimeout(timer);
  }
}

async function slotCount(): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1",
    [`tributary_${prefix}`],
  );
  return rows[0]?.n ?? 0;
}

async function dropSlot(): Promise<void> {
  // The walsender of a stopped connector may take a moment to exit and release the slot.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await sql.query<{ active: boolean }>(
      "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
      [`tributary_${prefix}`],
    );
    if (!rows[0]?.active || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await sql.query("SELECT pg_drop_replication_slot($1)", [`tributary_${prefix}`]);
}

/** What of the source's own objects is left in the database, by kind. */
async function leftovers(): Promise<string[]> {
  const name = `tributary_${prefix}`;
  const { rows } = await sql.query<{ what: string }>(
    `SELECT 'slot ' || slot_name AS what FROM pg_replication_slots WHERE slot_name = $1
     UNION ALL SELECT 'publication ' || pubname FROM pg_publication WHERE pubname = $1
     UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger WHERE evtname LIKE $1 || '%'
     UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE proname LIKE $1 || '%'
     UNION ALL SELECT 'table ' || relname FROM pg_class WHERE relname LIKE 'tributary\\_%' AND relkind = 'r'`,
    [name],
  );
  return rows.map((row) => row.what).sort();
}

async function waitForSlot(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await slotCount()) === 0) {
    if (Date.now() > deadline) throw new Error("the slot was not created");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeEach(async () => {
  db = await scratchDatabase("tributary_modes");
  sql = await connectPg(db.name);
  prefix = uniqueName("modes");
  config = configFor("initial");
  await sql.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.stock (id int PRIMARY KEY, qty int NOT NULL);
    INSERT INTO shop.stock VALUES (1, 10), (2, 20);
  `);
  collector = new RecordCollector(prefix);
});

afterEach(async () => {
  await collector?.close();
  await sql?.end();
  await cleanUpSource(config, db);
});

describe("snapshot.mode", () => {
  it("never: reads no existing row and streams the changes made after it started", async () => {
    config = configFor("never");
    let connector = startConnector(config);
    try {
      await connector.until(waitForSlot());
      await sql.query("INSERT INTO shop.stock VALUES (3, 30); UPDATE shop.stock SET qty = 11 WHERE id = 1");
      await connector.until(waitForTopics([topic()]));
      await collector.subscribe([topic()]);
      await connector.until(collector.waitFor("the changes", () => events().length === 2));
    } finally {
      await connector.stop();
    }
    // A restart goes on from the slot: still no snapshot.
    await sql.query("DELETE FROM shop.stock WHERE id = 2");
    connector = startConnector(config);
    try {
      await connector.until(collector.waitFor("the delete", () => events().length === 4));
    } finally {
      await connector.stop();
    }
    expect(summary(events())).toEqual(["c 3 30", "u 1 11", "d 2 -", "tombstone 2 -"]);
    expect(events().every((e) => e.value === null || !e.value.source.snapshot)).toBe(true);
  });

  // Regression: with snapshot.mode never, a slot dropped after the connector had streamed from it
  // was silently created again (start-plan.ts), so the changes made while it was missing were
  // lost without a word — the very thing planStart promises never to do.
  it("never: refuses to start with TRB_PG_SLOT_MISSING when its slot was dropped after it streamed", async () => {
    config = configFor("never");
    let connector = startConnector(config);
    try {
      await connector.until(waitForSlot());
      await sql.query("INSERT INTO shop.stock VALUES (3, 30)");
      await connector.until(waitForTopics([topic()]));
      await collector.subscribe([topic()]);
      await connector.until(collector.waitFor("the insert", () => events().length === 1));
    } finally {
      await connector.stop();
    }
    await dropSlot();
    await sql.query("INSERT INTO shop.stock VALUES (4, 40)");
    expect(isTributaryError(await failureOf(config), "TRB_PG_SLOT_MISSING")).toBe(true);
    expect(await slotCount()).toBe(0);
    // Released, it starts afresh: a new slot, streaming what comes next.
    await releaseSource(config);
    connector = startConnector(config);
    try {
      await connector.until(waitForSlot());
      await sql.query("INSERT INTO shop.stock VALUES (5, 50)");
      await connector.until(collector.waitFor("the insert after release", () => events().length === 2));
    } finally {
      await connector.stop();
    }
    expect(summary(events())).toEqual(["c 3 30", "c 5 50"]);
  });

  it("initial_only: reads every row, then returns by itself and drops its slot", async () => {
    config = configFor("initial_only");
    await runToEnd(config);
    expect(await slotCount()).toBe(0);
    expect(await leftovers()).toEqual([]);
    await collector.subscribe([topic()]);
    await collector.waitFor("the snapshot", () => events().length === 2);
    // Changes after it returned are not read by anyone.
    await sql.query("INSERT INTO shop.stock VALUES (3, 30)");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(summary(events()).sort()).toEqual(["r 1 10", "r 2 20"]);
    expect(events().every((e) => (e.value as Envelope).source.snapshot)).toBe(true);
  });

  // Regression: a second run of initial_only failed with TRB_PG_SLOT_MISSING ("the slot is gone
  // although this connector streamed from it before, so changes … are lost"), although
  // initial_only never streams and drops its slot on purpose: start-plan.ts treated it like initial.
  it("initial_only run again: reads the tables again instead of failing with TRB_PG_SLOT_MISSING", async () => {
    config = configFor("initial_only");
    await runToEnd(config);
    await sql.query("UPDATE shop.stock SET qty = 21 WHERE id = 2");
    await runToEnd(config);
    expect(await slotCount()).toBe(0);
    await collector.subscribe([topic()]);
    await collector.waitFor("both snapshots", () => events().length === 4);
    expect(summary(events()).sort()).toEqual(["r 1 10", "r 1 10", "r 2 20", "r 2 21"]);
  });

  it("initial_only as a process: exits 0 after releasing slot, publication, DDL capture and helper tables, and says so", async () => {
    config = configFor("initial_only");
    const child = CliProcess.start("source", {
      connector: "postgres-source",
      name: prefix,
      postgres: { host: "127.0.0.1", port: 5432, user: "postgres", database: db.name },
      kafka: { brokers: ["127.0.0.1:9092"] },
      tables: { include: ["shop.*"] },
      snapshot: { mode: "initial_only", workers: 1 },
      http: { enabled: false },
      log: { level: "info" },
    });
    try {
      const exit = await child.waitForExit(60_000);
      expect(exit, child.tail()).toEqual({ code: 0, signal: null });
    } finally {
      await child[Symbol.asyncDispose]();
    }
    const done = child.logs.find((line) => Array.isArray(line.released));
    const released = (done?.released ?? []) as string[];
    const name = `tributary_${prefix}`;
    expect(released).toContain(`dropped replication slot ${name}`);
    expect(released).toContain(`dropped publication ${name}`);
    expect(released.filter((line) => line.startsWith("dropped event trigger"))).toHaveLength(2);
    expect(
      released.some((line) => line.startsWith("dropped table") && line.includes("tributary_heartbeat")),
    ).toBe(true);
    expect(await leftovers()).toEqual([]);
    await collector.subscribe([topic()]);
    await collector.waitFor("the snapshot", () => events().length === 2);
    expect(summary(events()).sort()).toEqual(["r 1 10", "r 2 20"]);
  });

  it("initial: refuses to start with TRB_PG_SLOT_MISSING when its slot was dropped while stopped", async () => {
    config = configFor("initial");
    const connector = startConnector(config);
    try {
      await connector.until(waitForTopics([topic()]));
      await collector.subscribe([topic()]);
      await connector.until(collector.waitFor("the snapshot", () => events().length === 2));
    } finally {
      await connector.stop();
    }
    await dropSlot();
    await sql.query("UPDATE shop.stock SET qty = 12 WHERE id = 1");
    const error = await failureOf(config);
    expect(isTributaryError(error, "TRB_PG_SLOT_MISSING")).toBe(true);
    expect((error as Error).message).toContain(`tributary_${prefix}`);
    expect(await slotCount()).toBe(0);
    expect(summary(events()).sort()).toEqual(["r 1 10", "r 2 20"]);
  });

  // Regression: TRB_PG_SLOT_MISSING tells the operator to "run `tributary release` and start again
  // to take a new snapshot", but release left the source's state (snapshot done, LSN confirmed) in
  // `<prefix>._offsets`, so the next start failed with TRB_PG_SLOT_MISSING again, for ever.
  it("initial: after TRB_PG_SLOT_MISSING, release and a new start take a new snapshot", async () => {
    config = configFor("initial");
    let connector = startConnector(config);
    try {
      await connector.until(waitForTopics([topic()]));
      await collector.subscribe([topic()]);
      await connector.until(collector.waitFor("the snapshot", () => events().length === 2));
    } finally {
      await connector.stop();
    }
    await dropSlot();
    expect(isTributaryError(await failureOf(config), "TRB_PG_SLOT_MISSING")).toBe(true);
    const report = await releaseSource(config);
    expect(report.lines).toContain(`deleted state postgres-source/${prefix} of ${prefix}._offsets`);
    await sql.query("UPDATE shop.stock SET qty = 12 WHERE id = 1");
    connector = startConnector(config);
    try {
      await connector.until(collector.waitFor("the new snapshot", () => events().length === 4));
      await sql.query("INSERT INTO shop.stock VALUES (3, 30)");
      await connector.until(collector.waitFor("a change after it", () => events().length === 5));
    } finally {
      await connector.stop();
    }
    expect(summary(events().slice(2)).sort()).toEqual(["c 3 30", "r 1 12", "r 2 20"]);
  });

  it("when_needed: takes a new snapshot when its slot was dropped while stopped, then streams", async () => {
    config = configFor("when_needed");
    let connector = startConnector(config);
    try {
      await connector.until(waitForTopics([topic()]));
      await collector.subscribe([topic()]);
      await connector.until(collector.waitFor("the snapshot", () => events().length === 2));
      await sql.query("UPDATE shop.stock SET qty = 11 WHERE id = 1");
      await connector.until(collector.waitFor("the update", () => events().length === 3));
    } finally {
      await connector.stop();
    }
    // A clean stop streams nothing new on restart while the slot is there.
    connector = startConnector(config);
    try {
      await sql.query("UPDATE shop.stock SET qty = 12 WHERE id = 1");
      await connector.until(collector.waitFor("the second update", () => events().length === 4));
    } finally {
      await connector.stop();
    }
    await dropSlot();
    // Lost with the slot, but in the new snapshot.
    await sql.query("UPDATE shop.stock SET qty = 22 WHERE id = 2; INSERT INTO shop.stock VALUES (3, 30)");
    connector = startConnector(config);
    try {
      await connector.until(collector.waitFor("the new snapshot", () => events().length === 7));
      expect(await slotCount()).toBe(1);
      await sql.query("DELETE FROM shop.stock WHERE id = 3");
      await connector.until(collector.waitFor("the delete", () => events().length === 9));
    } finally {
      await connector.stop();
    }
    const all = summary(events());
    expect(all.slice(0, 2).sort()).toEqual(["r 1 10", "r 2 20"]);
    expect(all.slice(2, 4)).toEqual(["u 1 11", "u 1 12"]);
    expect(all.slice(4, 7).sort()).toEqual(["r 1 12", "r 2 22", "r 3 30"]);
    expect(all.slice(7)).toEqual(["d 3 -", "tombstone 3 -"]);
  });
});
