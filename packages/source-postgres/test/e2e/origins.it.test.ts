/**
 * Loop prevention on the source side (issue 3, point 7; DESIGN.md section 6): every event
 * carries the origin of the transaction that produced it — the replication origin
 * `tributary_<origin>` a sink set up for its session, else the origin of a marker row the sink
 * upserted into `tributary_origin_marker` first thing in its transaction, else the connector's
 * own origin. The marker rows themselves are never published.
 */
import { type Envelope, internalTopic, tableTopic } from "@tributary/core";
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
  topicsOf,
  waitForTopics,
} from "../support/source.js";

const REPLICATION_ORIGIN = "tributary_dc9";
const OWN_ORIGIN = "dc1";

let db: { name: string; drop(): Promise<void> };
let sql: pg.Client;
/** A second session, standing in for a sink applying changes. */
let sink: pg.Client;
let prefix: string;
let config: PostgresSourceConfig;
let collector: RecordCollector;
let connector: RunningConnector;
let createdOrigin = false;
const accounts = () => tableTopic(prefix, "shop", "accounts");
const events = () => collector.ofTopic(accounts());

/** `op key origin` of each event from the `skip`-th on, tombstones as `tombstone`. */
const summary = (skip: number) =>
  events()
    .slice(skip)
    .map(
      (e) =>
        `${e.value?.op ?? "tombstone"} ${String(e.key?.id)} ${e.value?.origin ?? "-"} ${e.headers["tributary.origin"]}`,
    );

async function waitForEvents(count: number): Promise<RecordedEvent[]> {
  await connector.until(collector.waitFor(`${count} events`, () => events().length >= count));
  return events();
}

const markerUpsert = (origin: string, seq: number) =>
  `INSERT INTO public.tributary_origin_marker (sink, origin, seq, marked_at) VALUES ('sink_b', '${origin}', ${seq}, now())
     ON CONFLICT (sink) DO UPDATE SET origin = excluded.origin, seq = excluded.seq, marked_at = excluded.marked_at`;

beforeAll(async () => {
  db = await scratchDatabase("tributary_origin_e2e");
  sql = await connectPg(db.name);
  sink = await connectPg(db.name);
  prefix = uniqueName("orig");
  config = sourceConfig(db.name, prefix, { origin: OWN_ORIGIN, tables: { include: ["shop.*"] } });
  await sql.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.accounts (id int PRIMARY KEY, balance int NOT NULL);
    INSERT INTO shop.accounts VALUES (1, 100), (2, 200);
  `);
  // Replication origins belong to the cluster: reuse one a previous run left, drop only our own.
  const { rows } = await sql.query<{ created: boolean }>(
    `SELECT pg_replication_origin_create($1) IS NOT NULL AS created
       WHERE NOT EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = $1)`,
    [REPLICATION_ORIGIN],
  );
  createdOrigin = rows[0]?.created === true;
  collector = new RecordCollector(prefix);
  connector = startConnector(config);
  const schemaChanges = internalTopic(prefix, "schema_changes");
  await connector.until(waitForTopics([accounts(), schemaChanges]));
  await collector.subscribe([accounts(), schemaChanges]);
  await waitForEvents(2);
});

afterAll(async () => {
  await connector?.stop();
  await collector?.close();
  await sink?.end();
  if (createdOrigin) await sql?.query("SELECT pg_replication_origin_drop($1)", [REPLICATION_ORIGIN]);
  await sql?.end();
  await cleanUpSource(config, db);
});

describe("origins of the events", () => {
  it("tags snapshot rows and ordinary transactions with the connector's own origin", async () => {
    await sql.query("INSERT INTO shop.accounts VALUES (3, 300)");
    await waitForEvents(3);
    expect(summary(0)).toEqual(["r 1 dc1 dc1", "r 2 dc1 dc1", "c 3 dc1 dc1"]);
  });

  it("tags a transaction written under replication origin tributary_dc9 with dc9", async () => {
    await sink.query("SELECT pg_replication_origin_session_setup($1)", [REPLICATION_ORIGIN]);
    try {
      await sink.query("BEGIN");
      await sink.query("INSERT INTO shop.accounts VALUES (4, 400)");
      await sink.query("UPDATE shop.accounts SET balance = 101 WHERE id = 1");
      await sink.query("DELETE FROM shop.accounts WHERE id = 2");
      await sink.query("COMMIT");
    } finally {
      await sink.query("SELECT pg_replication_origin_session_reset()");
    }
    // The same session, no longer under the origin.
    await sink.query("UPDATE shop.accounts SET balance = 401 WHERE id = 4");
    await waitForEvents(8);
    expect(summary(3)).toEqual([
      "c 4 dc9 dc9",
      "u 1 dc9 dc9",
      "d 2 dc9 dc9",
      "tombstone 2 - dc9",
      "u 4 dc1 dc1",
    ]);
    const insert = events()[3]?.value as Envelope;
    expect(insert.after).toEqual({ id: 4, balance: 400 });
    expect(insert.transaction).toMatchObject({ total_order: 1n });
  });

  it("tags a transaction that first upserts an origin marker with the marker's origin", async () => {
    await sink.query("BEGIN");
    await sink.query(markerUpsert("dc7", 1));
    await sink.query("INSERT INTO shop.accounts VALUES (5, 500)");
    await sink.query("UPDATE shop.accounts SET balance = 301 WHERE id = 3");
    await sink.query("COMMIT");
    // The marker row exists now: the next marked transaction updates it.
    await sink.query("BEGIN");
    await sink.query(markerUpsert("dc7", 2));
    await sink.query("DELETE FROM shop.accounts WHERE id = 5");
    await sink.query("COMMIT");
    await sql.query("INSERT INTO shop.accounts VALUES (6, 600)");
    await waitForEvents(13);
    expect(summary(8)).toEqual([
      "c 5 dc7 dc7",
      "u 3 dc7 dc7",
      "d 5 dc7 dc7",
      "tombstone 5 - dc7",
      "c 6 dc1 dc1",
    ]);
    // The marker's own row took the first place in the transaction, but no event.
    expect(events()[8]?.value?.transaction).toMatchObject({ total_order: 1n });
  });

  it("never publishes the origin marker table", async () => {
    const { rows } = await sql.query("SELECT sink, origin, seq::int FROM public.tributary_origin_marker");
    expect(rows).toEqual([{ sink: "sink_b", origin: "dc7", seq: 2 }]);
    const topics = await topicsOf(prefix);
    expect(topics.filter((topic) => topic.includes("tributary_"))).toEqual([]);
    expect(topics.filter((topic) => !topic.includes("._"))).toEqual([accounts()]);
    expect(collector.events.filter((e) => e.value?.source.table?.startsWith("tributary_"))).toEqual([]);
  });

  it("tags a schema change with the origin of the transaction that made it", async () => {
    await sink.query("SELECT pg_replication_origin_session_setup($1)", [REPLICATION_ORIGIN]);
    try {
      await sink.query("ALTER TABLE shop.accounts ADD COLUMN note text");
    } finally {
      await sink.query("SELECT pg_replication_origin_session_reset()");
    }
    await sink.query("BEGIN");
    await sink.query(markerUpsert("dc7", 3));
    await sink.query("ALTER TABLE shop.accounts ADD COLUMN memo text");
    await sink.query("COMMIT");
    await connector.until(
      collector.waitFor("two schema changes", () => collector.schemaChanges().length >= 2),
    );
    expect(collector.schemaChanges().map((c) => [c.statement, c.origin])).toEqual([
      ["ALTER TABLE shop.accounts ADD COLUMN note text", "dc9"],
      ["ALTER TABLE shop.accounts ADD COLUMN memo text", "dc7"],
    ]);
  });
});
