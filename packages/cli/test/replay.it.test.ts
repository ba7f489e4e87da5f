/**
 * `tributary replay --config` as its own process (the compiled CLI) on the local stack: the
 * PostgreSQL source (5432) publishes into Kafka and `tributary sink` applies to a scratch
 * database on 5433. Without --yes the replay prints its plan and changes nothing; while the
 * sink runs it refuses; after the sink is stopped and the target database dropped and created
 * empty, `replay --yes` rebuilds every table from the topics, equal to the source row for row.
 */
import { tableTopic } from "@tributary/core";
import kafkajs from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deleteConsumerGroup,
  deleteTopicsOf,
  testKafka,
  uniqueName,
  waitForTopics,
} from "../../../test/support/kafka.js";
import {
  closeSourceAndTarget,
  dropReplicationOrigin,
  openSourceAndTarget,
  rowsAsText,
  type ScratchDatabase,
  shopTableDifferences,
  waitForNoDifferences,
} from "../../../test/support/pipeline.js";
import { connectPg, TARGET_PORT } from "../../../test/support/postgres.js";
import { CliProcess, runCli } from "../../../test/support/source-process.js";
import {
  type Running,
  sinkSettings,
  sourceSettings,
  startSource,
} from "../../sink-postgres/test/support/connectors.js";
import { postgresSourceConfigSchema } from "../../source-postgres/src/index.js";

const TABLES = ["orders", "notes", "docs"] as const;

let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let group: string;
let sourceRun: Running | undefined;
let sinkConfig: Record<string, unknown>;
/** When the changes made while the sink was down began, and the end offsets before them. */
let late: { at: Date; ends: string[] } | undefined;
const processes: CliProcess[] = [];

async function allRows(client: pg.Client): Promise<string[][]> {
  const tables: string[][] = [];
  for (const table of TABLES) tables.push(await rowsAsText(client, `shop.${table}`));
  return tables;
}

const differences = () => shopTableDifferences(source, target, TABLES);

async function waitForSameRows(what: string): Promise<void> {
  await waitForNoDifferences(what, differences);
}

async function recordedOffsets(): Promise<string[]> {
  const { rows } = await target.query<{ entry: string }>(
    "SELECT topic || ':' || partition || '=' || next_offset AS entry FROM public.tributary_offsets WHERE sink = $1 ORDER BY 1",
    [group],
  );
  return rows.map((row) => row.entry);
}

async function endOffsets(): Promise<string[]> {
  const admin = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends: string[] = [];
    for (const table of TABLES) {
      const topic = tableTopic(prefix, "shop", table);
      for (const { partition, high } of await admin.fetchTopicOffsets(topic))
        ends.push(`${topic}:${partition}=${high}`);
    }
    return ends.sort();
  } finally {
    await admin.disconnect();
  }
}

async function groupOffsets(): Promise<string[]> {
  const admin = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = TABLES.map((table) => tableTopic(prefix, "shop", table));
    const committed = await admin.fetchOffsets({ groupId: group, topics });
    return committed
      .flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}:${p.partition}=${p.offset}`))
      .sort();
  } finally {
    await admin.disconnect();
  }
}

function startSink(): CliProcess {
  const sink = CliProcess.start("sink", sinkConfig);
  processes.push(sink);
  return sink;
}

const SESSION = "SET TimeZone = 'UTC'; SET DateStyle = ISO; SET extra_float_digits = 3";

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget("tributary_replay", SESSION));
  prefix = uniqueName("replay");
  group = uniqueName("replay_replica");
  await source.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12,2),
      placed_at timestamptz, tags text[], doc jsonb);
    CREATE TABLE shop.notes (msg text, n int);
    ALTER TABLE shop.notes REPLICA IDENTITY FULL;
    CREATE TABLE shop.docs (id int PRIMARY KEY, title text, body text NOT NULL);
    ALTER TABLE shop.docs ALTER COLUMN body SET STORAGE EXTERNAL;
    INSERT INTO shop.orders SELECT g, 'customer ' || g, g * 1.25, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute',
      ARRAY['t' || g, NULL], jsonb_build_object('g', g) FROM generate_series(1, 500) g;
    INSERT INTO shop.notes SELECT 'same', 1 FROM generate_series(1, 4);
    INSERT INTO shop.docs SELECT g, 'doc ' || g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 400) i)
      FROM generate_series(1, 6) g;
  `);
  sourceRun = startSource(postgresSourceConfigSchema.parse(sourceSettings(sourceDb.name, prefix)));
  sinkConfig = sinkSettings(group, prefix, targetDb.name, {
    topics: { pattern: `^${prefix}\\.shop\\.` },
    batch: { maxWaitMs: 20, copyThreshold: 100 },
    log: { level: "info" },
  });
  // The sink applies the snapshot and a live workload, then stops. Its pattern must match every
  // table's topic at its start (it looks again only every topics.refreshIntervalMs).
  await waitForTopics(TABLES.map((table) => tableTopic(prefix, "shop", table)));
  const sink = startSink();
  await sink.waitForLog("applying topics");
  await source.query(`
    UPDATE shop.orders SET total = total + 1, tags = NULL WHERE id % 4 = 0;
    DELETE FROM shop.orders WHERE id % 7 = 0;
    UPDATE shop.orders SET id = id + 10000 WHERE id IN (1, 2);
    INSERT INTO shop.notes VALUES ('same', 1), ('other', 2);
    DELETE FROM shop.notes WHERE ctid = (SELECT ctid FROM shop.notes WHERE msg = 'same' LIMIT 1);
    UPDATE shop.docs SET title = 'retitled' WHERE id <= 3;
  `);
  await waitForSameRows("the sink's first run");
  expect(await sink.stop()).toEqual({ code: 0, signal: null });
});

afterAll(async () => {
  for (const sink of processes) await sink[Symbol.asyncDispose]();
  await sourceRun?.stop();
  if (prefix) await dropReplicationOrigin(target, prefix);
  await closeSourceAndTarget({ sourceDb, targetDb, source, target });
  await deleteTopicsOf(prefix);
  if (group) await deleteConsumerGroup(group).catch(() => undefined);
});

describe("tributary replay", () => {
  it("without --yes prints what it would do and changes nothing (exit 2)", async () => {
    const before = {
      rows: await allRows(target),
      offsets: await recordedOffsets(),
      group: await groupOffsets(),
    };
    expect(before.offsets).toHaveLength(TABLES.length);
    const { exit, stdout } = await runCli("replay", sinkConfig);
    expect(exit).toEqual({ code: 2, signal: null });
    expect(stdout).toContain(`Replay of sink ${group}: rebuild the target from the start of its topics.`);
    expect(stdout).toContain(
      'Truncate (keeps each table\'s definition, indexes and grants): "shop"."docs", "shop"."notes", "shop"."orders"',
    );
    for (const table of TABLES)
      expect(stdout).toContain(`${tableTopic(prefix, "shop", table)}[0]: offsets 0 to `);
    expect(stdout).toContain("Nothing was changed. Run again with --yes to replay.");
    expect({
      rows: await allRows(target),
      offsets: await recordedOffsets(),
      group: await groupOffsets(),
    }).toEqual(before);
  });

  it("refuses while an instance of the sink runs", async () => {
    const sink = startSink();
    await sink.waitForLog("applying topics");
    try {
      const { exit, errorText } = await runCli("replay", sinkConfig, 60_000, ["--yes"]);
      expect(exit.code).toBe(1);
      expect(errorText).toContain(`[TRB_SINK_GROUP_ACTIVE] consumer group ${group} has 1 member(s)`);
    } finally {
      expect(await sink.stop()).toEqual({ code: 0, signal: null });
    }
    await waitForSameRows("the refused replay");
  });

  it("rebuilds a dropped target database from the topics, equal to the source in every row", async () => {
    // Changes while the sink is down: the replay must bring them too.
    const ends = await endOffsets();
    late = { at: new Date(), ends };
    await source.query(`
      INSERT INTO shop.orders VALUES (900, 'late', 9.99, '2024-06-01 00:00:00+00', ARRAY['x'], '{"late": true}');
      UPDATE shop.docs SET title = 'late' WHERE id = 6;
    `);
    const published = Date.now() + 30_000;
    // Two more events (orders, docs) in Kafka before the replay reads the end offsets.
    while (
      JSON.stringify(await endOffsets()) === JSON.stringify(ends) ||
      (await endOffsets()).filter((e, i) => e !== ends[i]).length < 2
    ) {
      if (Date.now() > published) throw new Error("the source did not publish the late changes");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await target.end();
    const admin = await connectPg("postgres", TARGET_PORT);
    try {
      await admin.query(`DROP DATABASE ${pg.escapeIdentifier(targetDb.name)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(targetDb.name)}`);
    } finally {
      await admin.end();
    }
    target = await connectPg(targetDb.name, TARGET_PORT);
    await target.query(SESSION);

    const { exit, stdout, errorText } = await runCli("replay", sinkConfig, 120_000, ["--yes"]);
    expect({ exit, errorText }).toEqual({ exit: { code: 0, signal: null }, errorText: "" });
    expect(stdout).toContain("Truncate: nothing (no target table exists yet)");
    expect(stdout).toContain(
      'Create when their first event arrives (autoCreate): "shop"."docs", "shop"."notes", "shop"."orders"',
    );
    expect(stdout).toContain("Replay done");
    // Source writes have stopped: the replay caught up with everything, row for row.
    expect(await differences()).toEqual([]);
    expect(await rowsAsText(target, "shop.orders")).toContain(
      '(900,late,9.99,"2024-06-01 00:00:00+00",{x},"{""late"": true}")',
    );
    expect((await rowsAsText(target, "shop.notes")).filter((row) => row === "(same,1)")).toHaveLength(4);
    // The consumer group follows the target again.
    expect(await groupOffsets()).toEqual(await recordedOffsets());
  });

  it("with --from-time applies every change since then again over the target, truncating nothing", async () => {
    const { at, ends } = late as { at: Date; ends: string[] };
    const orders = tableTopic(prefix, "shop", "orders");
    const before = await endOffsets();
    await source.query("UPDATE shop.orders SET total = 1.00 WHERE id = 900");
    const deadline = Date.now() + 30_000;
    while ((await endOffsets()).filter((end, i) => end !== before[i]).length < 1) {
      if (Date.now() > deadline) throw new Error("the source did not publish the update");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const from = (ends.find((end) => end.startsWith(`${orders}:0=`)) as string).split("=")[1];
    const to = ((await endOffsets()).find((end) => end.startsWith(`${orders}:0=`)) as string).split("=")[1];

    const { exit, stdout, errorText } = await runCli("replay", sinkConfig, 120_000, [
      "--yes",
      "--from-time",
      at.toISOString(),
    ]);
    expect({ exit, errorText }).toEqual({ exit: { code: 0, signal: null }, errorText: "" });
    expect(stdout).toContain("over what the target holds (no table is truncated)");
    expect(stdout).toContain(`${orders}[0]: offsets ${from} to ${to} (2 events)`);
    expect(stdout).toContain('"shop"."notes" have no key');
    expect(await differences()).toEqual([]);
    expect(await groupOffsets()).toEqual(await recordedOffsets());
  });
});
