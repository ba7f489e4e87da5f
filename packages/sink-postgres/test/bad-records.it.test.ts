/**
 * Bad records and lost records against the real Kafka and the 5433 target (events written
 * straight to a topic through the schema store, as a source writes them):
 *
 * - errors.tolerance none: a garbage message stops the sink with a coded error naming it; the
 *   records before it are applied and the target and the group hold its offset, nothing past it;
 * - errors.tolerance all: the garbage message and the records the row filter fails on go to
 *   `<prefix>._dlq` with the original key, value and headers plus the reason, and the good
 *   records around them are applied, every offset recorded;
 * - offsets gap: once records after the target's offset are deleted from Kafka, the sink stops
 *   with TRB_SINK_OFFSET_GAP, unless allowOffsetGaps;
 * - values the target rejects (a CHECK constraint here) are bad records too: isolated from their
 *   batch, they stop the sink (none) or go to the dead-letter topic (all), in the statement and
 *   the COPY paths alike.
 */
import {
  buildTableSchemas,
  encode,
  internalTopic,
  KafkaEventPublisher,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  type OutgoingRecord,
  SchemaStore,
  tableTopic,
  type WriterSchema,
} from "@tributary/core";
import kafkajs from "kafkajs";
import type pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertEnvelope, orderRow, ordersTable } from "../../../test/support/events.js";
import { deleteTopics, quietLogger, testKafka, uniqueName } from "../../../test/support/kafka.js";
import { connectPg, scratchDatabase, TARGET_PORT } from "../../../test/support/postgres.js";
import { type PostgresSinkConfig, PostgresSinkConnector } from "../src/index.js";
import { metricValue, sinkConfig, startSink, testLogger, topicsOf } from "./support/connectors.js";

const prefix = uniqueName("it_badrec");
const topic = tableTopic(prefix, "public", "orders");
const admin = new KafkaTopicAdmin(testKafka, "test", quietLogger);
const publisher = new KafkaEventPublisher(testKafka, "test", quietLogger);
const kafka = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING });
const groups: string[] = [];
const databases: { name: string; drop(): Promise<void> }[] = [];
const clients: pg.Client[] = [];
let store: SchemaStore;
let keySchema: WriterSchema;
let valueSchema: WriterSchema;
/** The sink of the tolerance-all test, whose target the offset-gap test continues. */
let tolerantSink: string;

function order(id: number): OutgoingRecord {
  return {
    topic,
    key: encode(keySchema, { id: BigInt(id) }),
    value: encode(valueSchema, insertEnvelope(id)),
  };
}

/** Not a single-object Avro message: no Tributary producer wrote it. */
const garbage: OutgoingRecord = {
  topic,
  key: Buffer.from("garbage-key"),
  value: Buffer.from("this is not Avro"),
  headers: { "x-writer": "a broken producer" },
};

async function target(): Promise<pg.Client> {
  const database = await scratchDatabase("tributary_badrec", TARGET_PORT);
  databases.push(database);
  const client = await connectPg(database.name, TARGET_PORT);
  clients.push(client);
  return client;
}

function configFor(database: string, overrides: Record<string, unknown> = {}): PostgresSinkConfig {
  const config = sinkConfig(uniqueName("badrec"), prefix, database, overrides);
  groups.push(config.name);
  return config;
}

async function ids(client: pg.Client, table = "orders"): Promise<number[]> {
  const { rows } = await client
    .query<{ id: string }>(`SELECT o.id::text AS id FROM public.${table} AS o ORDER BY o.id`)
    .catch(() => ({ rows: [] as { id: string }[] }));
  return rows.map((row) => Number(row.id));
}

async function recordedOffset(client: pg.Client, sink: string, of = topic): Promise<string | undefined> {
  const { rows } = await client
    .query<{ next_offset: string }>(
      "SELECT next_offset::text FROM public.tributary_offsets WHERE sink = $1 AND topic = $2 AND partition = 0",
      [sink, of],
    )
    .catch(() => ({ rows: [] as { next_offset: string }[] }));
  return rows[0]?.next_offset;
}

async function committedOffset(group: string): Promise<string | undefined> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    const [offsets] = await kafkaAdmin.fetchOffsets({ groupId: group, topics: [topic] });
    return offsets?.partitions.find((p) => p.partition === 0)?.offset;
  } finally {
    await kafkaAdmin.disconnect();
  }
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await admin.ensureTopics([{ topic, partitions: 1 }]);
  store = new SchemaStore({
    topic: internalTopic(prefix, "schemas"),
    admin,
    publisher,
    createSubscriber: () => new KafkaEventSubscriber(testKafka, "test", quietLogger),
    logger: quietLogger,
  });
  const schemas = buildTableSchemas(ordersTable);
  keySchema = await store.register(schemas.key as NonNullable<typeof schemas.key>);
  valueSchema = await store.register(schemas.value);
  // Offsets 0-4: orders 1-5; 5: garbage; 6-8: orders 6-8.
  await publisher.publish([1, 2, 3, 4, 5].map(order));
  await publisher.publish([garbage]);
  await publisher.publish([6, 7, 8].map(order));
});

afterAll(async () => {
  await store?.close();
  await publisher.close();
  await admin.close();
  for (const client of clients) await client.end();
  for (const database of databases) await database.drop();
  await deleteTopics(await topicsOf(prefix));
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.deleteGroups(groups).catch(() => undefined);
  await kafkaAdmin.disconnect();
});

describe("bad records", () => {
  it("errors.tolerance none: stops at a garbage message, naming it, with nothing committed past it", async () => {
    const client = await target();
    const config = configFor(databases.at(-1)?.name as string);
    const error = await new PostgresSinkConnector(config, testLogger, new Registry())
      .run(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TRB_SINK_DECODE", retriable: false });
    expect((error as Error).message).toContain(
      `cannot decode the record at offset 5 of ${topic} partition 0`,
    );
    expect((error as Error).message).toContain("errors.tolerance: all");
    expect(await ids(client)).toEqual([1, 2, 3, 4, 5]);
    expect(await recordedOffset(client, config.name)).toBe("5");
    expect(Number(await committedOffset(config.name))).toBeLessThanOrEqual(5);
  });

  it("errors.tolerance all: sends bad records to <prefix>._dlq with the reason, and applies the good ones around them", async () => {
    const client = await target();
    const config = configFor(databases.at(-1)?.name as string, {
      errors: { tolerance: "all" },
      // Orders 3 and 6 have no customer: the expression fails on them (a bad record), it passes on the others.
      filters: { "public.orders": { where: "row.customer.startsWith('customer')" } },
    });
    tolerantSink = config.name;
    const sink = startSink(config);
    try {
      await sink.until(until(async () => (await recordedOffset(client, config.name)) === "9", "offset 9"));
      expect(await ids(client)).toEqual([1, 2, 4, 5, 7, 8]);
      expect(await metricValue(sink.registry, "tributary_sink_dead_letters_total")).toBe(3);
    } finally {
      await sink.stop();
    }
    const dead = await readAll(internalTopic(prefix, "dlq"), 3);
    expect(dead.map((record) => record.headers["tributary.error.offset"])).toEqual(["2", "5", "6"]);
    expect(dead.map((record) => record.headers["tributary.error.code"])).toEqual([
      "TRB_SINK_FILTER",
      "TRB_SINK_DECODE",
      "TRB_SINK_FILTER",
    ]);
    const [, decodeFailure] = dead;
    expect(decodeFailure).toMatchObject({
      key: "garbage-key",
      value: "this is not Avro",
      headers: {
        "x-writer": "a broken producer",
        "tributary.error.topic": topic,
        "tributary.error.partition": "0",
        "tributary.error.sink": config.name,
      },
    });
    expect(decodeFailure?.headers["tributary.error.reason"]).toContain(
      "cannot decode the record at offset 5",
    );
    expect(Number(decodeFailure?.headers["tributary.error.timestamp"])).toBeGreaterThan(0);
    expect(dead[0]?.headers["tributary.error.reason"]).toContain(
      "the row filter of public.orders failed on the c event at offset 2",
    );
  });

  it("stops with TRB_SINK_OFFSET_GAP when records after the recorded offset were deleted, unless allowOffsetGaps", async () => {
    // Continue the target of the previous test (it recorded 9): orders 9-11 land at offsets 9-11,
    // then 9 and 10 are deleted (the log now starts at 11), as retention would.
    const client = clients.at(-1) as pg.Client;
    const database = databases.at(-1)?.name as string;
    await publisher.publish([9, 10, 11].map(order));
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.fetchTopicMetadata({ topics: [topic] });
    await kafkaAdmin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "11" }] });
    await kafkaAdmin.disconnect();
    const previous = tolerantSink;
    const base = (overrides: Record<string, unknown>) => ({
      ...configFor(database, overrides),
      name: previous,
    });
    const error = await new PostgresSinkConnector(
      base({ errors: { tolerance: "all" } }),
      testLogger,
      new Registry(),
    )
      .run(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TRB_SINK_OFFSET_GAP", details: { recorded: "9", first: "11" } });
    expect((error as Error).message).toContain(`${topic} partition 0 continues at offset 11`);
    expect(await recordedOffset(client, previous)).toBe("9");
    const sink = startSink(base({ errors: { tolerance: "all" }, allowOffsetGaps: true }));
    try {
      await sink.until(until(async () => (await recordedOffset(client, previous)) === "12", "offset 12"));
    } finally {
      await sink.stop();
    }
    expect(await ids(client)).toEqual([1, 2, 4, 5, 7, 8, 11]);
  });
});

describe("values the target rejects", () => {
  /** The orders table under another name, on its own topic, so the tests above never read it. */
  const limited = { ...ordersTable, table: "limited" };
  const limitedTopic = tableTopic(prefix, "public", "limited");
  let limitedKey: WriterSchema;
  let limitedValue: WriterSchema;

  function limitedOrder(id: number): OutgoingRecord {
    const envelope = insertEnvelope(id);
    return {
      topic: limitedTopic,
      key: encode(limitedKey, { id: BigInt(id) }),
      value: encode(limitedValue, { ...envelope, source: { ...envelope.source, table: "limited" } }),
    };
  }

  /** A target whose table refuses totals of 100 or more: orders 150 and 151 are rejected. */
  async function limitedTarget(): Promise<{ client: pg.Client; database: string }> {
    const client = await target();
    await client.query(`CREATE TABLE public.limited (
      id bigint PRIMARY KEY, customer text, total numeric(12,2) NOT NULL CONSTRAINT total_below_100 CHECK (total < 100),
      placed_at timestamptz NOT NULL, ship_on date, tags text[], ref uuid, photo bytea)`);
    return { client, database: databases.at(-1)?.name as string };
  }

  beforeAll(async () => {
    await admin.ensureTopics([{ topic: limitedTopic, partitions: 1 }]);
    const schemas = buildTableSchemas(limited);
    limitedKey = await store.register(schemas.key as NonNullable<typeof schemas.key>);
    limitedValue = await store.register(schemas.value);
    // Offsets 0-5: orders 1, 2, 150 (rejected), 3, 151 (rejected), 4; 6-65: orders 5-64, then
    // 66: 152 (rejected), 67-101: orders 65-99, in one publish so a batch goes through COPY.
    await publisher.publish([1, 2, 150, 3, 151, 4].map(limitedOrder));
    const many = [
      ...Array.from({ length: 60 }, (_, i) => i + 5),
      152,
      ...Array.from({ length: 35 }, (_, i) => i + 65),
    ];
    await publisher.publish(many.map(limitedOrder));
  });

  it("errors.tolerance none: applies what precedes the first rejected record and stops at it, naming it", async () => {
    const { client, database } = await limitedTarget();
    const config = configFor(database, { topics: { names: [limitedTopic] } });
    const error = await new PostgresSinkConnector(config, testLogger, new Registry())
      .run(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "TRB_SINK_REJECTED",
      retriable: false,
      details: { topic: limitedTopic, partition: 0, offset: "2", table: "public.limited", sqlState: "23514" },
    });
    expect((error as Error).message).toContain(
      `the target rejected the c event of public.limited at offset 2`,
    );
    expect((error as Error).message).toContain("total_below_100");
    expect((error as Error).message).toContain("errors.tolerance: all");
    expect(await ids(client, "limited")).toEqual([1, 2]);
    expect(await recordedOffset(client, config.name, limitedTopic)).toBe("2");
  });

  it("errors.tolerance all: sends each rejected record to the dead-letter topic and applies the rest", async () => {
    const { client, database } = await limitedTarget();
    const deadLetterTopic = `${prefix}._dlq_rejected`;
    const config = configFor(database, {
      topics: { names: [limitedTopic] },
      errors: { tolerance: "all", deadLetterTopic },
      batch: { maxWaitMs: 200, copyThreshold: 50 },
    });
    const sink = startSink(config);
    try {
      await sink.until(
        until(async () => (await recordedOffset(client, config.name, limitedTopic)) === "102", "offset 102"),
      );
      expect(await metricValue(sink.registry, "tributary_sink_dead_letters_total")).toBe(3);
      // The batch around order 152 went through COPY into a staging table.
      expect(await metricValue(sink.registry, "tributary_sink_rows_copied_total")).toBeGreaterThan(0);
    } finally {
      await sink.stop();
    }
    expect(await ids(client, "limited")).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
    const dead = await readAll(deadLetterTopic, 3);
    expect(dead.map((record) => record.headers["tributary.error.offset"])).toEqual(["2", "4", "66"]);
    expect(dead.map((record) => record.headers["tributary.error.code"])).toEqual([
      "TRB_SINK_REJECTED",
      "TRB_SINK_REJECTED",
      "TRB_SINK_REJECTED",
    ]);
    expect(dead[2]?.headers["tributary.error.reason"]).toContain("total_below_100");
    expect(dead[2]?.headers["tributary.error.reason"]).toContain("SQLSTATE 23514");
  });
});

describe("a rejected snapshot row copied while the next batch is fetched", () => {
  /** The orders table without its array column, so its snapshot rows are copied from their Avro bytes. */
  const plain = {
    ...ordersTable,
    table: "plain",
    columns: ordersTable.columns.filter((c) => c.name !== "tags"),
  };
  const plainTopic = tableTopic(prefix, "public", "plain");
  let plainKey: WriterSchema;
  let plainValue: WriterSchema;

  function snapshotRead(id: number): OutgoingRecord {
    const { tags: _, ...after } = orderRow(id);
    const { array_lower_bounds: __, ...envelope } = insertEnvelope(id);
    return {
      topic: plainTopic,
      key: encode(plainKey, { id: BigInt(id) }),
      value: encode(plainValue, {
        ...envelope,
        op: "r",
        after,
        source: { ...envelope.source, table: "plain", snapshot: true },
        transaction: null,
      }),
    };
  }

  beforeAll(async () => {
    await admin.ensureTopics([{ topic: plainTopic, partitions: 1 }]);
    const schemas = buildTableSchemas(plain);
    plainKey = await store.register(schemas.key as NonNullable<typeof schemas.key>);
    plainValue = await store.register(schemas.value);
  });

  it("errors.tolerance none: the transaction's failure after its batch returned stops the sink, naming the record", async () => {
    const client = await target();
    const database = databases.at(-1)?.name as string;
    await client.query(`CREATE TABLE public.plain (
      id bigint PRIMARY KEY, customer text, total numeric(12,2) NOT NULL CONSTRAINT total_below_100 CHECK (total < 100),
      placed_at timestamptz NOT NULL, ship_on date, ref uuid, photo bytea)`);
    // Offsets 0-9: orders 1-10, applied first so the table's model is known when the next batch comes.
    await publisher.publish(Array.from({ length: 10 }, (_, i) => snapshotRead(i + 1)));
    const config = configFor(database, {
      topics: { names: [plainTopic] },
      batch: { maxWaitMs: 200, copyThreshold: 5 },
    });
    const registry = new Registry();
    const connector = new PostgresSinkConnector(config, testLogger, registry);
    const running = connector.run(new AbortController().signal).catch((e: unknown) => e);
    await until(async () => (await recordedOffset(client, config.name, plainTopic)) === "10", "offset 10");
    // The table's snapshot rows take the path that leaves a transaction running.
    expect(await metricValue(registry, "tributary_sink_rows_copied_from_avro_total")).toBe(10);
    // Offsets 10-19: orders 11-14, 150 (rejected), 15-19: the last batch, copied from Avro in a
    // transaction left running while the sink fetches again (and finds nothing more).
    await publisher.publish([11, 12, 13, 14, 150, 15, 16, 17, 18, 19].map(snapshotRead));
    const error = await running;
    expect(error).toMatchObject({
      code: "TRB_SINK_REJECTED",
      details: { topic: plainTopic, partition: 0, offset: "14", table: "public.plain", sqlState: "23514" },
    });
    expect(await ids(client, "plain")).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(await recordedOffset(client, config.name, plainTopic)).toBe("14");
  });
});

interface DeadLetter {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** The first `count` records of a topic, with text keys, values and headers. */
async function readAll(name: string, count: number): Promise<DeadLetter[]> {
  const groupId = uniqueName("dlq_reader");
  groups.push(groupId);
  const consumer = kafka.consumer({ groupId });
  const records: DeadLetter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [name], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${records.length} records in ${name}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [header, value] of Object.entries(message.headers ?? {}))
            headers[header] = String(value);
          records.push({
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            headers,
          });
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
