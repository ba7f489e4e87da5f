/**
 * Per-table column exclusion under REPLICA IDENTITY FULL (issue 3, point 1): an UPDATE that
 * changes only excluded columns shows nothing a consumer could see, so it publishes no event.
 * With the default replica identity there is no old image to compare with: such an update is
 * published as before.
 */
import { tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { RecordCollector, type RecordedEvent } from "../../../../test/support/RecordCollector.js";
import type { PostgresSourceConfig } from "../../src/index.js";
import {
  closeSourceTest,
  type RunningConnector,
  sourceConfig,
  startConnector,
  waitForStreaming,
  waitForTopics,
} from "../support/source.js";

let db: { name: string; drop(): Promise<void> };
let sql: pg.Client;
let prefix: string;
let config: PostgresSourceConfig;
let connector: RunningConnector;
let collector: RecordCollector;
const topic = (table: string) => tableTopic(prefix, "shop", table);
const summary = (events: RecordedEvent[]) =>
  events.map((e) => `${e.value?.op} ${String(e.key?.id)} ${JSON.stringify(e.value?.after ?? null)}`);

beforeAll(async () => {
  db = await scratchDatabase("tributary_excl");
  sql = await connectPg(db.name);
  prefix = uniqueName("excl");
  await sql.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.full_image (id int PRIMARY KEY, customer text, secret text, big text);
    ALTER TABLE shop.full_image REPLICA IDENTITY FULL;
    CREATE TABLE shop.key_image (id int PRIMARY KEY, customer text, secret text);
  `);
  config = sourceConfig(db.name, prefix, {
    tables: {
      include: ["shop.*"],
      excludeColumns: ["shop.full_image.secret", "shop.key_image.secret"],
    },
    snapshot: { mode: "never" },
  });
  connector = startConnector(config);
  await connector.until(waitForStreaming(sql, prefix));
  collector = new RecordCollector(prefix);
});

afterAll(() => closeSourceTest({ connector, collector, sql, config, db }));

describe("updates of excluded columns only", () => {
  it("publish nothing under REPLICA IDENTITY FULL, and every other update as before", async () => {
    // A value large enough to be TOASTed, so later updates send it as unchanged.
    await sql.query(`
      INSERT INTO shop.full_image SELECT 1, 'ann', 's0', string_agg(md5(g::text), '') FROM generate_series(1, 1000) g;
      INSERT INTO shop.key_image VALUES (1, 'bob', 's0');
      UPDATE shop.full_image SET secret = 's1' WHERE id = 1;
      UPDATE shop.full_image SET secret = 's2', customer = customer WHERE id = 1;
      UPDATE shop.full_image SET customer = 'ann2' WHERE id = 1;
      UPDATE shop.full_image SET customer = 'ann3', secret = 's3' WHERE id = 1;
      UPDATE shop.key_image SET secret = 's1' WHERE id = 1;
      INSERT INTO shop.full_image VALUES (99, 'last', 's', 'b');
    `);
    await connector.until(waitForTopics([topic("full_image"), topic("key_image")]));
    await collector.subscribe([topic("full_image"), topic("key_image")]);
    await connector.until(
      collector.waitFor(
        "the last insert and the key-image update",
        () =>
          collector.ofTopic(topic("full_image")).some((e) => e.key?.id === 99) &&
          collector.ofTopic(topic("key_image")).length >= 2,
      ),
    );
    const full = collector.ofTopic(topic("full_image"));
    expect(
      full.map((e) => `${e.value?.op} ${String(e.key?.id)} ${String(e.value?.after?.customer)}`),
    ).toEqual(["c 1 ann", "u 1 ann2", "u 1 ann3", "c 99 last"]);
    expect(full.every((e) => e.value?.after && !("secret" in e.value.after))).toBe(true);
    expect(full[1]?.value?.before?.customer).toBe("ann");
    expect(full[1]?.value?.unchanged).toEqual(["big"]);
    expect(summary(collector.ofTopic(topic("key_image")))).toEqual([
      'c 1 {"id":1,"customer":"bob"}',
      'u 1 {"id":1,"customer":"bob"}',
    ]);
  });
});
