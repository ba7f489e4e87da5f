/**
 * Snapshot rows are copied straight into a keyed target table inside a savepoint; when that
 * fails (the table holds some of the keys already) the sink rolls back to the savepoint and
 * merges the same rows through a staging table. Either way the target ends equal to the source
 * and records the offsets of every applied event.
 */
import { randomBytes } from "node:crypto";
import { tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../test/support/kafka.js";
import { closePipeline, openSourceAndTarget, type ScratchDatabase } from "../../../test/support/pipeline.js";
import {
  metricValue,
  type Running,
  sinkConfig,
  sourceConfig,
  startSink,
  startSource,
  waitForTopics,
} from "./support/connectors.js";

const SOURCE_ORIGIN = `perfsink_${randomBytes(3).toString("hex")}`;
const ROWS = 3000;
const TABLE_SQL = "CREATE TABLE shop.%s (id bigint PRIMARY KEY, n int NOT NULL, note text)";

let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let sourceConnector: Running | undefined;
let sink: (Running & { registry: import("prom-client").Registry }) | undefined;
let group: string | undefined;

async function rowsOf(client: pg.Client, table: string): Promise<string[]> {
  const { rows } = await client.query<{ row: string }>(
    `SELECT t::text AS row FROM shop.${table} AS t ORDER BY id`,
  );
  return rows.map((r) => r.row);
}

/** Waits until the target table equals the source's, row by row. */
async function waitForSameRows(table: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    // Until the sink creates the table, it has no rows.
    const [expected, actual] = [
      await rowsOf(source, table),
      await rowsOf(target, table).catch((): string[] => []),
    ];
    if (expected.length === actual.length && expected.every((row, i) => row === actual[i])) return;
    if (Date.now() > deadline) {
      throw new Error(`shop.${table}: ${expected.length} rows in the source, ${actual.length} in the target`);
    }
    await (sink as Running).until(new Promise((resolve) => setTimeout(resolve, 250)));
  }
}

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget("perfsink_direct"));
  prefix = uniqueName("perfsinkdirect");
  await source.query("CREATE SCHEMA shop");
  for (const table of ["fresh", "held"]) {
    await source.query(TABLE_SQL.replace("%s", table));
    await source.query(
      `INSERT INTO shop.${table} SELECT g, g % 7, CASE WHEN g % 5 = 0 THEN NULL ELSE E'row\\t' || g END
         FROM generate_series(1, ${ROWS}) g`,
    );
  }
  // The target holds some keys of `held` already, with other values: the direct copy fails there.
  await target.query("CREATE SCHEMA shop");
  await target.query(TABLE_SQL.replace("%s", "held"));
  await target.query("INSERT INTO shop.held SELECT g * 100, -1, 'stale' FROM generate_series(1, 10) g");
  sourceConnector = startSource(sourceConfig(sourceDb.name, prefix, SOURCE_ORIGIN));
  await sourceConnector.until(
    waitForTopics(["fresh", "held"].map((table) => tableTopic(prefix, "shop", table))),
  );
  const config = sinkConfig(uniqueName("perfsinkdirect"), prefix, targetDb.name, {
    batch: { maxEvents: 1000, maxWaitMs: 20, copyThreshold: 50 },
  });
  group = config.name;
  sink = startSink(config);
});

afterAll(async () => {
  await closePipeline({
    connectors: [sink, sourceConnector],
    origin: SOURCE_ORIGIN,
    prefix,
    sourceDb,
    targetDb,
    source,
    target,
    group,
  });
});

describe("snapshot rows copied straight into the target", () => {
  it("fills an empty keyed table", async () => {
    await waitForSameRows("fresh");
  });

  it("merges through staging when the table holds some of the keys already", async () => {
    await waitForSameRows("held");
    const { rows } = await target.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM shop.held WHERE note = 'stale'",
    );
    expect(rows[0]?.n).toBe("0");
  });

  it("records the offset after every snapshot event and counts the rows copied", async () => {
    const { rows } = await target.query<{ total: string }>(
      "SELECT sum(next_offset)::text AS total FROM public.tributary_offsets WHERE topic = ANY($1)",
      [["fresh", "held"].map((table) => tableTopic(prefix, "shop", table))],
    );
    expect(Number(rows[0]?.total)).toBeGreaterThanOrEqual(2 * ROWS);
    const copied = await metricValue(
      (sink as { registry: import("prom-client").Registry }).registry,
      "tributary_sink_rows_copied_total",
    );
    expect(copied).toBeGreaterThan(0);
  });
});
