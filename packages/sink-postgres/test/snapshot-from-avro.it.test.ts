/**
 * Snapshot rows of a table without array columns are copied into the target straight from their
 * Avro bytes (snapshot-rows.ts, avro-copy-text.ts). A table with a column of every type of the
 * source's type zoo but arrays (edge values, NaN and infinities, extreme dates and timestamps,
 * bytes, user types sent as text…) goes from PostgreSQL (5432) through the source, Kafka and the
 * sink into PostgreSQL (5433) by snapshot, every row through that path, and must read the same
 * on both sides as `t::text`.
 */
import { tableTopic } from "@tributary/core";
import type pg from "pg";
import type { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../test/support/kafka.js";
import { closePipeline, openSourceAndTarget, type ScratchDatabase } from "../../../test/support/pipeline.js";
import { ZOO, ZOO_TYPES_SQL } from "../../source-postgres/test/support/type-zoo-columns.js";
import {
  metricValue,
  type Running,
  sinkConfig,
  sourceConfig,
  startSink,
  startSource,
  waitForTopics,
} from "./support/connectors.js";
import { waitForSameRows } from "./support/same-rows.js";

const PLAIN = ZOO.filter((column) => column.type.kind !== "array");
/** The zoo's 5 rows (the 5th all NULL), then copies of them under other keys. */
const COPIES = 300;
const ROWS = 5 * (COPIES + 1);

const sourceOrigin = uniqueName("origin");
let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let sourceConnector: Running | undefined;
let sink: (Running & { registry: Registry }) | undefined;
let group: string | undefined;

const SESSION =
  "SET TimeZone = 'UTC'; SET DateStyle = ISO; SET IntervalStyle = iso_8601; SET extra_float_digits = 3; SET bytea_output = hex";

async function rowsOf(client: pg.Client): Promise<string[]> {
  const columns = PLAIN.map((column) => `t.${column.name}`);
  const { rows } = await client.query<{ row: string }>(
    `SELECT ROW(t.id, ${columns.join(", ")})::text AS row FROM shop.plain_zoo AS t ORDER BY t.id`,
  );
  return rows.map((row) => row.row);
}

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget("tributary_avro_copy", SESSION));
  await source.query("CREATE SCHEMA shop; SET search_path = shop, public");
  await source.query(ZOO_TYPES_SQL);
  const names = PLAIN.map((column) => column.name).join(", ");
  await source.query(
    `CREATE TABLE shop.plain_zoo (id int4 PRIMARY KEY, ${PLAIN.map((c) => `${c.name} ${c.sql}`).join(", ")})`,
  );
  for (const row of [0, 1, 2, 3] as const) {
    const values = PLAIN.map((column) => column.values[row]).join(", ");
    await source.query(`INSERT INTO shop.plain_zoo (id, ${names}) VALUES (${row + 1}, ${values})`);
  }
  await source.query("INSERT INTO shop.plain_zoo (id) VALUES (5)");
  await source.query(
    `INSERT INTO shop.plain_zoo (id, ${names})
       SELECT z.id + 10 * g, ${names} FROM shop.plain_zoo z, generate_series(1, ${COPIES}) g`,
  );
  prefix = uniqueName("avrocopy");
  sourceConnector = startSource(sourceConfig(sourceDb.name, prefix, sourceOrigin));
  await sourceConnector.until(waitForTopics([tableTopic(prefix, "shop", "plain_zoo")]));
  const config = sinkConfig(uniqueName("avrocopy_replica"), prefix, targetDb.name, {
    batch: { maxEvents: 500, maxWaitMs: 20, copyThreshold: 1 },
  });
  group = config.name;
  sink = startSink(config);
});

afterAll(async () => {
  await closePipeline({
    connectors: [sink, sourceConnector],
    origin: sourceOrigin,
    prefix,
    sourceDb,
    targetDb,
    source,
    target,
    group,
  });
});

describe("snapshot rows copied straight from their Avro bytes", () => {
  it("gives a target equal to the source for every type but arrays", async () => {
    expect(PLAIN.length).toBeGreaterThan(50);
    await waitForSameRows("the snapshot", "shop.plain_zoo", rowsOf, { source, target }, sink as Running);
    expect(await rowsOf(target)).toHaveLength(ROWS);
  });

  it("took that path for every row", async () => {
    const registry = (sink as { registry: Registry }).registry;
    expect(await metricValue(registry, "tributary_sink_rows_copied_from_avro_total")).toBe(ROWS);
  });
});
