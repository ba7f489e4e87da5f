/**
 * Conflicts end to end: the PostgreSQL source (5432) → Kafka → the sink (5433) with conflict
 * detection on, while a second writer changes the target itself — it holds a row the source's
 * snapshot inserts, and deletes rows the source then updates and deletes. The sink-wide policy
 * is `fail`; the table's own policy `ignore` keeps the sink running, keeps the target's rows, and
 * every conflict lands in tributary_conflicts and the conflicts metric.
 */
import { tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../../test/support/kafka.js";
import {
  closePipeline,
  openSourceAndTarget,
  type ScratchDatabase,
} from "../../../../test/support/pipeline.js";
import {
  type Running,
  sinkConfig,
  sourceConfig,
  startSink,
  startSource,
  waitForTopics,
} from "../support/connectors.js";

let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let origin: string;
let group: string;
let sourceConnector: Running | undefined;
let sink: (Running & { registry: import("prom-client").Registry }) | undefined;

async function notes(): Promise<Record<number, string>> {
  const { rows } = await target.query<{ id: number; note: string }>(
    "SELECT id, note FROM shop.items ORDER BY id",
  );
  return Object.fromEntries(rows.map((row) => [row.id, row.note]));
}

/** Polls `check` until it holds; fails naming what was last seen. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await (sink as Running).until(read());
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget("tributary_conflict"));
  prefix = uniqueName("conflictit");
  origin = uniqueName("dc");
  await source.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.items (id int PRIMARY KEY, note text);
    INSERT INTO shop.items VALUES (1, 'source 1'), (2, 'source 2'), (3, 'source 3');`);
  // The target's own writer got there first with row 1.
  await target.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.items (id int PRIMARY KEY, note text);
    INSERT INTO shop.items VALUES (1, 'target 1');`);
  sourceConnector = startSource(sourceConfig(sourceDb.name, prefix, origin));
  await sourceConnector.until(waitForTopics([tableTopic(prefix, "shop", "items")]));
  const config = sinkConfig(uniqueName("conflicts"), prefix, targetDb.name, {
    origin: uniqueName("dst"),
    conflicts: { detect: true, policy: "fail", tables: { "shop.items": "ignore" } },
  });
  group = config.name;
  sink = startSink(config);
});

afterAll(async () => {
  await closePipeline({
    connectors: [sink, sourceConnector],
    origin: origin,
    prefix,
    sourceDb,
    targetDb,
    source,
    target,
    group,
  });
});

describe("conflicts through the pipeline", () => {
  it("keeps the target's rows under ignore and records every conflict", async () => {
    expect(await eventually("the snapshot", notes, (rows) => Object.keys(rows).length === 3)).toEqual({
      1: "target 1",
      2: "source 2",
      3: "source 3",
    });

    // The second writer deletes rows 2 and 3 on the target; then the source changes them.
    await target.query("DELETE FROM shop.items WHERE id IN (2, 3)");
    await source.query("UPDATE shop.items SET note = 'source 3, updated' WHERE id = 3");
    await source.query("DELETE FROM shop.items WHERE id = 2");
    await source.query("INSERT INTO shop.items VALUES (4, 'source 4')");

    expect(await eventually("the stream", notes, (rows) => 4 in rows)).toEqual({
      1: "target 1",
      4: "source 4",
    });
    const { rows } = await target.query(
      `SELECT sink, table_name, key, kind, policy, resolution, op, origin, incoming, topic, partition,
              source_position IS NOT NULL AS has_position, source_commit_at IS NOT NULL AS has_commit_time
         FROM public.tributary_conflicts ORDER BY kafka_offset`,
    );
    const common = { sink: group, table_name: "shop.items", policy: "ignore", resolution: "skipped", origin };
    const topic = tableTopic(prefix, "shop", "items");
    expect(rows).toEqual([
      {
        ...common,
        key: { id: 1 },
        kind: "insert_exists",
        op: "r",
        incoming: { id: 1, note: "source 1" },
        topic,
        partition: 0,
        has_position: true,
        // A snapshot read has no commit time: the time it was read stands in.
        has_commit_time: true,
      },
      {
        ...common,
        key: { id: 3 },
        kind: "update_missing",
        op: "u",
        incoming: { id: 3, note: "source 3, updated" },
        topic,
        partition: 0,
        has_position: true,
        has_commit_time: true,
      },
      {
        ...common,
        key: { id: 2 },
        kind: "delete_missing",
        op: "d",
        incoming: null,
        topic,
        partition: 0,
        has_position: true,
        has_commit_time: true,
      },
    ]);
    const metric =
      (await sink?.registry.getSingleMetric("tributary_sink_conflicts_total")?.get())?.values ?? [];
    expect(
      metric
        .map(({ labels, value }) => `${labels.table} ${labels.kind} ${labels.resolution} ${value}`)
        .sort(),
    ).toEqual([
      "shop.items delete_missing skipped 1",
      "shop.items insert_exists skipped 1",
      "shop.items update_missing skipped 1",
    ]);
  });
});
