/**
 * Where the sink cuts a partition's records into target transactions. The rows one transaction
 * wrote share its xmin, so the target shows each transaction's size.
 *
 * Fetches follow bytes: with fetches of 64 KiB, a fetch holds about 150 of these records,
 * never a multiple of the 100 a transaction takes. Every transaction still holds 100 (the last
 * what is left). And when the partition's end lies past the last record but no fetch returns
 * more (a transactional producer's commit marker), the records held back for the next fetch
 * are applied after `batch.maxWaitMs`.
 */
import { randomBytes } from "node:crypto";
import { KafkaTopicAdmin, tableTopic } from "@tributary/core";
import kafkajs from "kafkajs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteConsumerGroup, quietLogger, testKafka, uniqueName } from "../../../test/support/kafka.js";
import {
  closePipeline,
  openSourceAndTarget,
  type ScratchDatabase,
  until,
} from "../../../test/support/pipeline.js";
import { connectPg, scratchDatabase, TARGET_PORT } from "../../../test/support/postgres.js";
import { postgresSourceConfigSchema } from "../../source-postgres/src/index.js";
import {
  type Running,
  sinkConfig,
  sourceSettings,
  startSink,
  startSource,
  waitForTopics,
} from "./support/connectors.js";

const ROWS = 2_450;
const MAX_EVENTS = 100;
/** Records the transactional producer copies to another topic, ahead of its commit marker. */
const COPIED = 250;
const SOURCE_ORIGIN = `cuts_${randomBytes(3).toString("hex")}`;

let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let copyDb: ScratchDatabase | undefined;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let topic: string;
const groups: string[] = [];
const running: Running[] = [];

/** kafkajs itself for what the connectors never do: a plain consumer and a transactional producer. */
const kafka = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = new KafkaTopicAdmin(testKafka, "test", quietLogger);

/** The partition's end offset (one partition per table topic). */
async function endOffset(name: string): Promise<number> {
  return Number((await admin.endOffsets(name)).get(0) ?? 0n);
}

/** The rows of each transaction that wrote `shop.items` in `client`'s database, largest first. */
async function transactionSizes(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM shop.items GROUP BY xmin::text ORDER BY n DESC",
  );
  return rows.map((row) => row.n);
}

async function rowCount(client: pg.Client): Promise<number> {
  const { rows } = await client
    .query<{ n: number }>("SELECT count(*)::int AS n FROM shop.items")
    .catch(() => ({ rows: [{ n: 0 }] }));
  return rows[0]?.n ?? 0;
}

/** A sink of one topic with 100 events and 64 KiB per fetch, into `database`. */
function startCuttingSink(name: string, topics: string[], database: string): Running {
  const config = sinkConfig(name, prefix, database, {
    topics: { names: topics },
    // Long enough that the next batch always comes first while more records wait.
    batch: { maxEvents: MAX_EVENTS, maxWaitMs: 500, copyThreshold: 50 },
    consumer: { fetchMaxBytes: 64 * 1024 },
  });
  groups.push(name);
  const sink = startSink(config);
  running.push(sink);
  return sink;
}

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget("tributary_cuts"));
  prefix = uniqueName("cuts");
  topic = tableTopic(prefix, "shop", "items");
  await source.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.items (id int PRIMARY KEY, body text NOT NULL);
    INSERT INTO shop.items SELECT g, repeat(md5(g::text), 5) FROM generate_series(1, ${ROWS}) g;
  `);
  // Produce requests of 37 records: a fetch ends at one of them, not at a multiple of 100.
  const sourceConnector = startSource(
    postgresSourceConfigSchema.parse(
      sourceSettings(sourceDb.name, prefix, {
        origin: SOURCE_ORIGIN,
        kafka: { brokers: testKafka.brokers, batch: { maxMessages: 37 } },
      }),
    ),
  );
  running.push(sourceConnector);
  await sourceConnector.until(waitForTopics([topic]));
  await sourceConnector.until(until("the snapshot in Kafka", async () => (await endOffset(topic)) >= ROWS));
}, 120_000);

afterAll(async () => {
  await closePipeline({
    connectors: running.reverse(),
    origin: SOURCE_ORIGIN,
    prefix,
    sourceDb,
    targetDb,
    source,
    target,
  });
  await copyDb?.drop();
  for (const group of groups) await deleteConsumerGroup(group).catch(() => undefined);
  await admin.close();
});

describe("transactions of batch.maxEvents records, whatever the fetch boundaries", () => {
  it("applies a snapshot in transactions of exactly maxEvents rows, the last one what is left", async () => {
    expect(await endOffset(topic)).toBe(ROWS);
    const sink = startCuttingSink(uniqueName("cuts"), [topic], targetDb.name);
    await sink.until(until(`${ROWS} rows in the target`, async () => (await rowCount(target)) === ROWS));
    const sizes = await transactionSizes(target);
    expect(sizes).toEqual([...Array(Math.floor(ROWS / MAX_EVENTS)).fill(MAX_EVENTS), ROWS % MAX_EVENTS]);
    const { rows } = await target.query<{ wrong: number }>(
      "SELECT count(*)::int AS wrong FROM shop.items WHERE body <> repeat(md5(id::text), 5)",
    );
    expect(rows[0]?.wrong).toBe(0);
  });

  it("applies the records held back for a next fetch that never comes after maxWaitMs", async () => {
    const copyTopic = tableTopic(prefix, "shop", "items_copy");
    const records: kafkajs.Message[] = [];
    const readerGroup = uniqueName("cutsreader");
    groups.push(readerGroup);
    const reader = kafka.consumer({ groupId: readerGroup });
    await reader.connect();
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      reader
        .run({
          eachMessage: async ({ message }) => {
            if (records.length < COPIED) records.push(message);
            if (records.length === COPIED) resolve();
          },
        })
        .catch(reject);
    });
    await reader.disconnect();
    await admin.ensureTopics([{ topic: copyTopic, partitions: 1 }]);
    const producer = kafka.producer({
      transactionalId: uniqueName("cuts"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const transaction = await producer.transaction();
      await transaction.send({
        topic: copyTopic,
        messages: records.map(({ key, value, headers }) => ({ key, value, headers: headers ?? {} })),
      });
      await transaction.commit();
    } finally {
      await producer.disconnect();
    }
    // The commit marker takes the offset after the last record: the end lies past it.
    await until("the commit marker", async () => (await endOffset(copyTopic)) === COPIED + 1);
    copyDb = await scratchDatabase("tributary_cuts_copy", TARGET_PORT);
    const copy = await connectPg(copyDb.name, TARGET_PORT);
    try {
      const sink = startCuttingSink(uniqueName("cutscopy"), [copyTopic], copyDb.name);
      await sink.until(until(`${COPIED} rows in the target`, async () => (await rowCount(copy)) === COPIED));
      expect(await transactionSizes(copy)).toEqual([100, 100, 50]);
    } finally {
      await copy.end();
    }
  });
});
