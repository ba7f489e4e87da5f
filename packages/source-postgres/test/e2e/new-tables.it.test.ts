/**
 * Table selection end to end (issue 3, point 1): `tables.include` globs such as `shop.order*`,
 * excluded tables and columns that never reach Kafka, and tables created while the source
 * streams that are captured without a restart — both when the publication lists tables one by
 * one (a glob or an exclude: the source adds the new table when it sees its CREATE TABLE) and
 * when it publishes the whole schema (PostgreSQL 15+, `schema.*` with no exclude).
 */
import { Writable } from "node:stream";
import { createLogger, type Envelope, internalTopic, type Logger, tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { RecordCollector, type RecordedEvent } from "../../../../test/support/RecordCollector.js";
import type { PostgresSourceConfig } from "../../src/index.js";
import {
  cleanUpSource,
  type RunningConnector,
  sourceConfig,
  startConnector,
  testLogger,
  topicsOf,
  waitForTopics,
} from "../support/source.js";

interface Harness {
  db: { name: string; drop(): Promise<void> };
  sql: pg.Client;
  prefix: string;
  config: PostgresSourceConfig;
  collector: RecordCollector;
  connector: RunningConnector;
}

const summary = (events: RecordedEvent[]) =>
  events.map((e) => `${e.value?.op ?? "tombstone"} ${JSON.stringify(e.key)}`);
const envelopeOf = (event: RecordedEvent | undefined): Envelope => {
  if (!event?.value) throw new Error("expected an event, found none or a tombstone");
  return event.value;
};

async function open(
  label: string,
  tables: Record<string, unknown>,
  ddl: string,
  overrides: Record<string, unknown> = {},
  logger: Logger = testLogger,
): Promise<Harness> {
  const db = await scratchDatabase(`tributary_${label}`);
  const sql = await connectPg(db.name);
  const prefix = uniqueName(label);
  const config = sourceConfig(db.name, prefix, { tables, ...overrides });
  await sql.query(ddl);
  const collector = new RecordCollector(prefix);
  const connector = startConnector(config, logger);
  return { db, sql, prefix, config, collector, connector };
}

async function close(h: Harness | undefined): Promise<void> {
  if (!h) return;
  await h.connector.stop();
  await h.collector.close();
  await h.sql.end();
  await cleanUpSource(h.config, h.db);
}

/** Waits until Kafka holds the one row of `shop.<table>` the snapshot read, its only event yet. */
async function snapshotOfOneRow(h: Harness, table: string): Promise<void> {
  const topic = tableTopic(h.prefix, "shop", table);
  await h.connector.until(waitForTopics([topic]));
  await h.collector.subscribe([topic]);
  await h.connector.until(h.collector.waitFor("the snapshot", () => h.collector.events.length === 1));
}

/** A logger at `level` whose lines (parsed) land in `lines`. */
function recordingLogger(level: "info" | "warn"): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

describe("a glob include with excluded tables and columns (publication FOR TABLE)", () => {
  let h: Harness;
  const topic = (table: string) => tableTopic(h.prefix, "shop", table);
  const eventsOf = (table: string) => h.collector.ofTopic(topic(table));

  beforeAll(async () => {
    h = await open(
      "sel",
      { include: ["shop.order*"], exclude: ["shop.*secret"], excludeColumns: ["shop.*.note"] },
      `
      CREATE SCHEMA shop;
      CREATE SCHEMA other;
      CREATE TABLE shop.orders (id int PRIMARY KEY, customer text, note text);
      CREATE TABLE shop.order_lines (id int PRIMARY KEY, sku text, note text);
      ALTER TABLE shop.order_lines REPLICA IDENTITY FULL;
      CREATE TABLE shop.orders_secret (id int PRIMARY KEY, v text);
      CREATE TABLE shop.customers (id int PRIMARY KEY, name text);
      CREATE TABLE other.orders (id int PRIMARY KEY, v text);
      INSERT INTO shop.orders VALUES (1, 'ann', 'private 1');
      INSERT INTO shop.order_lines VALUES (1, 'sku-1', 'private line');
      INSERT INTO shop.orders_secret VALUES (1, 'hidden');
      INSERT INTO shop.customers VALUES (1, 'ann');
      INSERT INTO other.orders VALUES (1, 'elsewhere');
    `,
    );
    const schemaChanges = internalTopic(h.prefix, "schema_changes");
    await h.connector.until(waitForTopics([topic("orders"), topic("order_lines"), schemaChanges]));
    await h.collector.subscribe([topic("orders"), topic("order_lines"), schemaChanges]);
    await h.connector.until(
      h.collector.waitFor(
        "the snapshot",
        () => eventsOf("orders").length === 1 && eventsOf("order_lines").length === 1,
      ),
    );
  });

  afterAll(async () => {
    await close(h);
  });

  it("snapshots only the tables the glob selects, without the excluded columns", () => {
    expect(envelopeOf(eventsOf("orders")[0])).toMatchObject({ op: "r", after: { id: 1, customer: "ann" } });
    expect(envelopeOf(eventsOf("orders")[0]).after).toEqual({ id: 1, customer: "ann" });
    expect(envelopeOf(eventsOf("order_lines")[0]).after).toEqual({ id: 1, sku: "sku-1" });
  });

  it("streams changes of selected tables only, never an excluded column, not even in `before`", async () => {
    await h.sql.query(`
      INSERT INTO shop.orders VALUES (2, 'bob', 'private 2');
      UPDATE shop.order_lines SET sku = 'sku-1b', note = 'still private' WHERE id = 1;
      DELETE FROM shop.order_lines WHERE id = 1;
      INSERT INTO shop.orders_secret VALUES (2, 'hidden');
      INSERT INTO shop.customers VALUES (2, 'bob');
      INSERT INTO other.orders VALUES (2, 'elsewhere');
      UPDATE shop.orders SET note = 'changed privately' WHERE id = 1;
    `);
    await h.connector.until(
      h.collector.waitFor(
        "the changes",
        () => eventsOf("orders").length === 3 && eventsOf("order_lines").length === 4,
      ),
    );
    expect(summary(eventsOf("orders"))).toEqual(['r {"id":1}', 'c {"id":2}', 'u {"id":1}']);
    expect(envelopeOf(eventsOf("orders")[1]).after).toEqual({ id: 2, customer: "bob" });
    expect(envelopeOf(eventsOf("orders")[2]).after).toEqual({ id: 1, customer: "ann" });
    expect(summary(eventsOf("order_lines"))).toEqual([
      'r {"id":1}',
      'u {"id":1}',
      'd {"id":1}',
      'tombstone {"id":1}',
    ]);
    expect(envelopeOf(eventsOf("order_lines")[1])).toMatchObject({
      before: { id: 1, sku: "sku-1" },
      after: { id: 1, sku: "sku-1b" },
    });
    expect(envelopeOf(eventsOf("order_lines")[1]).before).toEqual({ id: 1, sku: "sku-1" });
    expect(envelopeOf(eventsOf("order_lines")[2]).before).toEqual({ id: 1, sku: "sku-1b" });
    expect(await topicsOf(h.prefix)).toEqual(
      [
        topic("order_lines"),
        topic("orders"),
        ...["heartbeat", "offsets", "schema_changes", "schemas"].map((k) => `${h.prefix}._${k}`),
      ].sort(),
    );
  });

  it("captures a table created later that the glob matches, once its CREATE TABLE went by", async () => {
    await h.sql.query("CREATE TABLE shop.order_notes (id int PRIMARY KEY, body text, note text)");
    await h.connector.until(
      h.collector.waitFor("the CREATE TABLE", () =>
        h.collector.schemaChanges().some((c) => c.table === "order_notes"),
      ),
    );
    await h.sql.query("INSERT INTO shop.order_notes VALUES (1, 'hello', 'private')");
    await h.connector.until(waitForTopics([topic("order_notes")]));
    await h.collector.subscribe([topic("order_notes")]);
    await h.connector.until(
      h.collector.waitFor("the new table's row", () => eventsOf("order_notes").length === 1),
    );
    expect(envelopeOf(eventsOf("order_notes")[0])).toMatchObject({
      op: "c",
      after: { id: 1, body: "hello" },
      source: { schema: "shop", table: "order_notes", snapshot: false },
    });
    expect(envelopeOf(eventsOf("order_notes")[0]).after).toEqual({ id: 1, body: "hello" });
  });

  it("never creates a topic for a table created later that the glob does not match", async () => {
    await h.sql.query("CREATE TABLE shop.invoices (id int PRIMARY KEY)");
    await h.sql.query("INSERT INTO shop.invoices VALUES (1)");
    await h.sql.query("INSERT INTO shop.orders VALUES (3, 'cy', null)");
    await h.connector.until(h.collector.waitFor("a later order", () => eventsOf("orders").length === 4));
    expect((await topicsOf(h.prefix)).filter((t) => t.includes("invoices"))).toEqual([]);
  });

  it("publishes no schema change of a table it does not capture", async () => {
    await h.sql.query("ALTER TABLE shop.orders_secret ADD COLUMN more text");
    await h.sql.query("CREATE TABLE other.later (id int PRIMARY KEY)");
    await h.sql.query("ALTER TABLE shop.orders ADD COLUMN extra int");
    await h.connector.until(
      h.collector.waitFor("the ALTER of shop.orders", () =>
        h.collector.schemaChanges().some((c) => c.statement.includes("extra")),
      ),
    );
    const tables = h.collector.schemaChanges().map((c) => `${c.schema}.${c.table}`);
    expect(tables).not.toContain("shop.orders_secret");
    expect(tables).not.toContain("other.later");
    expect(tables).not.toContain("shop.invoices");
  });

  it("lists no excluded column in a schema change", async () => {
    await h.sql.query("ALTER TABLE shop.orders ADD COLUMN shipped boolean");
    await h.connector.until(
      h.collector.waitFor("the ALTER", () =>
        h.collector.schemaChanges().some((c) => c.statement.includes("shipped")),
      ),
    );
    const change = h.collector.schemaChanges().find((c) => c.statement.includes("shipped"));
    expect(change?.columns.map((c) => c.name)).not.toContain("note");
  });

  // pgoutput never publishes rows written before the source added the table to its publication
  // (here: in the creating transaction and right after it), so the source reads a table that joins
  // its publication beside the stream (backfill/IncrementalSnapshot.ts): those rows arrive as
  // snapshot reads (`r`), the rows written later as inserts, each key's events in commit order.
  it("captures the rows written in the transaction that created the table", async () => {
    await h.sql.query(`
      BEGIN;
      CREATE TABLE shop.order_tags (id int PRIMARY KEY, tag text);
      INSERT INTO shop.order_tags VALUES (1, 'first');
      COMMIT;
    `);
    await h.sql.query("INSERT INTO shop.order_tags VALUES (2, 'right after')");
    await h.connector.until(
      h.collector.waitFor("the CREATE TABLE", () =>
        h.collector.schemaChanges().some((c) => c.table === "order_tags"),
      ),
    );
    await h.sql.query("INSERT INTO shop.order_tags VALUES (3, 'once the source saw the table')");
    await h.connector.until(waitForTopics([topic("order_tags")]));
    await h.collector.subscribe([topic("order_tags")]);
    const ids = () => new Set(eventsOf("order_tags").map((e) => e.key?.id));
    await h.connector.until(h.collector.waitFor("all three rows", () => ids().size === 3));
    const events = eventsOf("order_tags").map(envelopeOf);
    expect(new Map(events.map((e) => [e.after?.id, e.after]))).toEqual(
      new Map([
        [1, { id: 1, tag: "first" }],
        [2, { id: 2, tag: "right after" }],
        [3, { id: 3, tag: "once the source saw the table" }],
      ]),
    );
    // The first row was written before the table was published: only the table read has it.
    expect(events.filter((e) => e.after?.id === 1).map((e) => [e.op, e.source.snapshot])).toEqual([
      ["r", true],
    ]);
    expect(events.some((e) => e.after?.id === 3 && e.op === "c")).toBe(true);
  });
});

describe("a whole schema (publication FOR TABLES IN SCHEMA)", () => {
  let h: Harness;
  const topic = (table: string) => tableTopic(h.prefix, "shop", table);

  beforeAll(async () => {
    h = await open(
      "schema",
      { include: ["shop.*"] },
      `CREATE SCHEMA shop; CREATE TABLE shop.first (id int PRIMARY KEY); INSERT INTO shop.first VALUES (1);
       CREATE SCHEMA other; CREATE TABLE other.moved (id int PRIMARY KEY, v text);
       INSERT INTO other.moved VALUES (1, 'one'), (2, 'two')`,
    );
    await snapshotOfOneRow(h, "first");
  });

  afterAll(async () => {
    await close(h);
  });

  it("captures a table created later, including the rows of the creating transaction", async () => {
    await h.sql.query(`
      BEGIN;
      CREATE TABLE shop.later (id int PRIMARY KEY, v text);
      INSERT INTO shop.later VALUES (1, 'in the creating transaction');
      COMMIT;
      INSERT INTO shop.later VALUES (2, 'after');
    `);
    await h.connector.until(waitForTopics([topic("later")]));
    await h.collector.subscribe([topic("later")]);
    await h.connector.until(
      h.collector.waitFor("both rows", () => h.collector.ofTopic(topic("later")).length === 2),
    );
    const later = h.collector.ofTopic(topic("later"));
    expect(later.map((e) => e.value?.after)).toEqual([
      { id: 1, v: "in the creating transaction" },
      { id: 2, v: "after" },
    ]);
    expect(later.every((e) => e.value?.op === "c" && !e.value.source.snapshot)).toBe(true);
  });
  // A table moved into the captured schema brings rows pgoutput never published: the source reads
  // them beside the stream (backfill/IncrementalSnapshot.ts), never older than a streamed update.
  it("reads the existing rows of a table moved into the captured schema", async () => {
    await h.sql.query("ALTER TABLE other.moved SET SCHEMA shop");
    await h.sql.query("UPDATE shop.moved SET v = 'two!' WHERE id = 2");
    await h.connector.until(waitForTopics([topic("moved")]));
    await h.collector.subscribe([topic("moved")]);
    await h.connector.until(
      h.collector.waitFor(
        "the update and the first row",
        () =>
          h.collector.ofTopic(topic("moved")).some((e) => e.value?.op === "u") &&
          h.collector.ofTopic(topic("moved")).some((e) => e.key?.id === 1),
      ),
    );
    const rows = new Map(h.collector.ofTopic(topic("moved")).map((e) => [e.key?.id, e.value?.after]));
    expect(rows).toEqual(
      new Map([
        [1, { id: 1, v: "one" }],
        [2, { id: 2, v: "two!" }],
      ]),
    );
  });

  // The table CREATE TABLE AS makes has no key: with REPLICA IDENTITY FULL set in the same
  // transaction it is publishable, and the rows of the creating transaction are streamed (without
  // it, the table is refused: see "a keyless table without REPLICA IDENTITY FULL" below).
  it("captures the rows of CREATE TABLE AS", async () => {
    await h.sql.query(`
      BEGIN;
      CREATE TABLE shop.copied AS SELECT g AS id, 'copy ' || g AS v FROM generate_series(1, 3) g;
      ALTER TABLE shop.copied REPLICA IDENTITY FULL;
      COMMIT;
    `);
    await h.connector.until(waitForTopics([topic("copied")]));
    await h.collector.subscribe([topic("copied")]);
    await h.connector.until(
      h.collector.waitFor("the rows", () => h.collector.ofTopic(topic("copied")).length === 3),
    );
    expect(h.collector.ofTopic(topic("copied")).map((e) => e.value?.after)).toEqual([
      { id: 1, v: "copy 1" },
      { id: 2, v: "copy 2" },
      { id: 3, v: "copy 3" },
    ]);
  });
});

describe("a table that joins the capture while it is written to", () => {
  let h: Harness;
  const { logger, lines } = recordingLogger("info");
  const topic = (table: string) => tableTopic(h.prefix, "shop", table);

  beforeAll(async () => {
    h = await open(
      "joinbusy",
      { include: ["shop.*"] },
      `CREATE SCHEMA shop; CREATE TABLE shop.first (id int PRIMARY KEY); INSERT INTO shop.first VALUES (1);
       CREATE SCHEMA other; CREATE TABLE other.busy (id int PRIMARY KEY, v int NOT NULL);
       INSERT INTO other.busy SELECT g, 0 FROM generate_series(1, 400) g`,
      { snapshot: { workers: 1, chunkRows: 1000, fetchRows: 500, incrementalChunkRows: 37 } },
      logger,
    );
    await snapshotOfOneRow(h, "first");
  });

  afterAll(async () => {
    await close(h);
  });

  it("ends with the table's rows, each key's values never going back, while chunks race updates", async () => {
    const writer = await connectPg(h.db.name);
    try {
      await writer.query("SET search_path = shop, other");
      const writes = (async () => {
        for (let i = 0; i < 400; i++) {
          const id = 1 + ((i * 97) % 420);
          await writer.query(
            i % 7 === 0
              ? `DELETE FROM busy WHERE id = ${id}`
              : `INSERT INTO busy VALUES (${id}, 1) ON CONFLICT (id) DO UPDATE SET v = busy.v + 1`,
          );
        }
      })();
      await h.sql.query("ALTER TABLE other.busy SET SCHEMA shop");
      await writes;
    } finally {
      await writer.end();
    }
    const { rows } = await h.sql.query<{ id: number; v: number }>("SELECT id, v FROM shop.busy ORDER BY id");
    const expected = new Map(rows.map((row) => [row.id, row.v]));
    await h.connector.until(waitForTopics([topic("busy")]));
    await h.collector.subscribe([topic("busy")]);
    const latest = () => {
      const state = new Map<number, number>();
      for (const event of h.collector.ofTopic(topic("busy"))) {
        const id = Number(event.key?.id);
        if (!event.value) continue;
        if (event.value.after) state.set(id, Number(event.value.after.v));
        else state.delete(id);
      }
      return state;
    };
    const differing = () => {
      const state = latest();
      const ids = new Set([...expected.keys(), ...state.keys()]);
      return [...ids].filter((id) => state.get(id) !== expected.get(id));
    };
    try {
      await h.connector.until(
        h.collector.waitFor("the table's current rows", () => differing().length === 0, 60_000),
      );
    } catch (error) {
      // Name each key that differs, with its events, so a failure can be told from a slow run.
      const keys = differing();
      const history = keys.slice(0, 20).map((id) => ({
        id,
        expected: expected.get(id),
        events: h.collector
          .ofTopic(topic("busy"))
          .filter((event) => Number(event.key?.id) === id)
          .map(
            (event) => `${event.offset}:${event.value?.op ?? "tombstone"}:${event.value?.after?.v ?? "-"}`,
          ),
      }));
      const log = lines.map(
        ({ time, level, msg, pid: _pid, ...fields }) => `${time} ${level} ${msg} ${JSON.stringify(fields)}`,
      );
      throw new Error(
        `${(error as Error).message}; ${keys.length} keys differ, the first: ${JSON.stringify(history)}; the source's log:\n${log.join("\n")}`,
      );
    }
    expect(latest()).toEqual(expected);
    // A key's value only grows until it is deleted: an older image after a newer one is a regression.
    const regressions: string[] = [];
    const last = new Map<number, number>();
    for (const event of h.collector.ofTopic(topic("busy"))) {
      const id = Number(event.key?.id);
      const after = event.value?.after;
      if (!event.value) continue;
      if (!after) {
        last.delete(id);
        continue;
      }
      const previous = last.get(id);
      if (previous !== undefined && Number(after.v) < previous)
        regressions.push(`${id}: ${previous} -> ${after.v}`);
      last.set(id, Number(after.v));
    }
    expect(regressions).toEqual([]);
    expect(h.collector.ofTopic(topic("busy")).some((e) => e.value?.op === "r")).toBe(true);
  });
});

describe("a keyless table that joins the capture while rows are inserted into it", () => {
  let h: Harness;
  const topic = (table: string) => tableTopic(h.prefix, "shop", table);

  beforeAll(async () => {
    h = await open(
      "joinkeyless",
      { include: ["shop.*"] },
      `CREATE SCHEMA shop; CREATE TABLE shop.first (id int PRIMARY KEY); INSERT INTO shop.first VALUES (1);
       CREATE SCHEMA other; CREATE TABLE other.log (v int NOT NULL); ALTER TABLE other.log REPLICA IDENTITY FULL;
       INSERT INTO other.log SELECT g FROM generate_series(1, 300) g`,
    );
    await snapshotOfOneRow(h, "first");
  });

  afterAll(async () => {
    await close(h);
  });

  // Regression: rows inserted after the table joined but before its backfill read went out twice,
  // once streamed and once read (a keyless row has no key to tell the two apart).
  it("keyless-backfill-duplicated-concurrent-inserts: publishes every row exactly once", async () => {
    const writer = await connectPg(h.db.name);
    try {
      await writer.query("SET search_path = shop, other");
      const writes = (async () => {
        for (let v = 301; v <= 700; v++) await writer.query(`INSERT INTO log VALUES (${v})`);
      })();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await h.sql.query("ALTER TABLE other.log SET SCHEMA shop");
      await writes;
    } finally {
      await writer.end();
    }
    await h.connector.until(waitForTopics([topic("log")]));
    await h.collector.subscribe([topic("log")]);
    const values = () => h.collector.ofTopic(topic("log")).map((event) => Number(event.value?.after?.v));
    await h.connector.until(h.collector.waitFor("every row", () => values().length >= 700, 60_000));
    // Anything still in flight arrives within a few flush intervals.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const counts = new Map<number, number>();
    for (const v of values()) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect(counts.size).toBe(700);
  });
});

describe("a keyless table without REPLICA IDENTITY FULL that joins the capture", () => {
  let h: Harness;
  const { logger, lines } = recordingLogger("warn");
  const topic = (table: string) => tableTopic(h.prefix, "shop", table);

  beforeAll(async () => {
    h = await open(
      "joinrefused",
      { include: ["shop.*"] },
      `CREATE SCHEMA shop; CREATE TABLE shop.first (id int PRIMARY KEY); INSERT INTO shop.first VALUES (1);
       CREATE SCHEMA other; CREATE TABLE other.log (v int NOT NULL);
       INSERT INTO other.log SELECT g FROM generate_series(1, 100) g`,
      {},
      logger,
    );
    await snapshotOfOneRow(h, "first");
  });

  afterAll(async () => {
    await close(h);
  });

  // Regression: moved into a schema published whole, such a table was dropped from the
  // publication without a word, after the inserts of the meantime had been published.
  it("refused-joining-table-was-silent: is reported with its fix, publishes nothing, and joins once fixed", async () => {
    const writer = await connectPg(h.db.name);
    try {
      await writer.query("SET search_path = shop, other");
      await h.sql.query("ALTER TABLE other.log SET SCHEMA shop");
      for (let v = 101; v <= 150; v++) await writer.query(`INSERT INTO log VALUES (${v})`);
      const refused = () => lines.find((line) => line.code === "TRB_PG_REPLICA_IDENTITY");
      await h.connector.until(h.collector.waitFor("the report", () => refused() !== undefined, 30_000));
      expect(refused()).toMatchObject({ level: "error", table: "shop.log" });
      expect(String(refused()?.fix)).toContain("REPLICA IDENTITY FULL");
      // A marker that went through the stream after the inserts: they were not published.
      await h.sql.query("INSERT INTO shop.first VALUES (2)");
      await h.connector.until(h.collector.waitFor("the marker", () => h.collector.events.length === 2));
      expect(await topicsOf(h.prefix)).not.toContain(topic("log"));

      await h.sql.query("ALTER TABLE shop.log REPLICA IDENTITY FULL");
      for (let v = 151; v <= 200; v++) await writer.query(`INSERT INTO log VALUES (${v})`);
    } finally {
      await writer.end();
    }
    await h.connector.until(waitForTopics([topic("log")]));
    await h.collector.subscribe([topic("log")]);
    const values = () => h.collector.ofTopic(topic("log")).map((event) => Number(event.value?.after?.v));
    await h.connector.until(h.collector.waitFor("every row", () => values().length >= 200, 60_000));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(values().sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });
});

// Regression: the source recorded which tables it captured but never read that record back, so
// after a restart every table then published counted as captured already, and the rows of a
// table that had joined while the source was stopped were never read.
describe("tables that join while the source is stopped (publication FOR TABLE)", () => {
  let h: Harness;
  const topic = (table: string) => tableTopic(h.prefix, "shop", table);
  const rowsOf = (table: string) =>
    h.collector
      .ofTopic(topic(table))
      .map((event) => event.value?.after)
      .filter((row) => row !== null && row !== undefined);

  beforeAll(async () => {
    h = await open(
      "joinstopped",
      { include: ["shop.t*"] },
      `CREATE SCHEMA shop; CREATE TABLE shop.tfirst (id int PRIMARY KEY); INSERT INTO shop.tfirst VALUES (1);
       CREATE SCHEMA other; CREATE TABLE other.tmoved (id int PRIMARY KEY, v text);
       INSERT INTO other.tmoved VALUES (1, 'moved 1'), (2, 'moved 2')`,
    );
    await snapshotOfOneRow(h, "tfirst");
    await h.connector.stop();
    await h.sql.query(`
      CREATE TABLE shop.tlate (id int PRIMARY KEY, v text);
      INSERT INTO shop.tlate VALUES (1, 'late 1'), (2, 'late 2'), (3, 'late 3');
      ALTER TABLE other.tmoved SET SCHEMA shop;
      INSERT INTO shop.tmoved VALUES (3, 'moved 3');
    `);
    h.connector = startConnector(h.config, testLogger);
    await h.connector.until(waitForTopics([topic("tlate"), topic("tmoved")]));
    await h.collector.subscribe([topic("tlate"), topic("tmoved")]);
  });

  afterAll(async () => {
    await close(h);
  });

  it("reads a table created and written while it was stopped", async () => {
    await h.connector.until(h.collector.waitFor("the late table's rows", () => rowsOf("tlate").length >= 3));
    expect(rowsOf("tlate")).toEqual([
      { id: 1, v: "late 1" },
      { id: 2, v: "late 2" },
      { id: 3, v: "late 3" },
    ]);
  });

  it("reads the rows a table moved into the selection held, and those written after", async () => {
    await h.connector.until(
      h.collector.waitFor(
        "the moved table's rows",
        () => new Set(rowsOf("tmoved").map((row) => row.id)).size >= 3,
      ),
    );
    const latest = new Map(rowsOf("tmoved").map((row) => [row.id, row.v]));
    expect(latest).toEqual(
      new Map([
        [1, "moved 1"],
        [2, "moved 2"],
        [3, "moved 3"],
      ]),
    );
  });
});

describe("a joining table whose read is cut off by a restart", () => {
  let h: Harness;
  const ROWS = 3000;
  const topic = (table: string) => tableTopic(h.prefix, "shop", table);
  const reads = () => h.collector.ofTopic(topic("big")).filter((event) => event.value?.op === "r");

  beforeAll(async () => {
    h = await open(
      "joincut",
      { include: ["shop.*"] },
      `CREATE SCHEMA shop; CREATE TABLE shop.first (id int PRIMARY KEY); INSERT INTO shop.first VALUES (1);
       CREATE SCHEMA other; CREATE TABLE other.big (id int PRIMARY KEY, v text NOT NULL);
       INSERT INTO other.big SELECT g, 'row ' || g FROM generate_series(1, ${ROWS}) g`,
      { snapshot: { workers: 1, chunkRows: 1000, fetchRows: 500, incrementalChunkRows: 50 } },
    );
    await snapshotOfOneRow(h, "first");
  });

  afterAll(async () => {
    await close(h);
  });

  it("goes on after the restart from where the read got, and ends with every row", async () => {
    await h.sql.query("ALTER TABLE other.big SET SCHEMA shop");
    await h.connector.until(waitForTopics([topic("big")]));
    await h.collector.subscribe([topic("big")]);
    await h.connector.until(h.collector.waitFor("a part of the read", () => reads().length >= 500));
    await h.connector.stop();
    const beforeRestart = reads().length;
    expect(beforeRestart).toBeLessThan(ROWS);
    h.connector = startConnector(h.config, testLogger);
    await h.sql.query("UPDATE shop.big SET v = 'changed ' || id WHERE id % 100 = 0");
    const latest = () => {
      const state = new Map<number, string>();
      for (const event of h.collector.ofTopic(topic("big"))) {
        const after = event.value?.after;
        if (after) state.set(Number(after.id), String(after.v));
      }
      return state;
    };
    const expected = new Map(
      Array.from({ length: ROWS }, (_, i) => [
        i + 1,
        (i + 1) % 100 === 0 ? `changed ${i + 1}` : `row ${i + 1}`,
      ]),
    );
    await h.connector.until(
      h.collector.waitFor(
        "every row, with the updates",
        () => latest().size === ROWS && [...expected].every(([id, v]) => latest().get(id) === v),
      ),
    );
    // Resumed, not started over: rows read again are at most the chunks not yet recorded as done.
    expect(reads().length).toBeLessThan(beforeRestart + ROWS - 400);
  });
});
