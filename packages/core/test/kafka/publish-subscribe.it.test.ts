import kafkajs from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkaTestFixture, quietLogger, testKafka, uniqueName } from "../../../../test/support/kafka.js";
import {
  type IncomingRecord,
  KafkaEventPublisher,
  KafkaEventSubscriber,
  TributaryError,
} from "../../src/index.js";

const { admin, publisher, topics } = kafkaTestFixture();

async function newTopic(partitions = 1): Promise<string> {
  const topic = uniqueName("it.pubsub");
  topics.push(topic);
  await admin.ensureTopics([{ topic, partitions }]);
  return topic;
}

/** Consumes until `count` records arrived; commits after each batch when `commit` is set. */
async function consume(
  topic: string,
  groupId: string,
  count: number,
  commit: boolean,
): Promise<{ records: IncomingRecord[]; subscriber: KafkaEventSubscriber }> {
  const subscriber = new KafkaEventSubscriber(testKafka, "test", quietLogger);
  const records: IncomingRecord[] = [];
  let done: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => {
    done = resolve;
  });
  await subscriber.start({
    groupId,
    topics: [topic],
    fromBeginning: true,
    onBatch: async (batch) => {
      const wanted = batch.records.slice(0, count - records.length);
      records.push(...wanted);
      const last = wanted.at(-1);
      if (commit && last) {
        await subscriber.commit([{ topic, partition: batch.partition, offset: last.offset + 1n }]);
      }
      if (records.length >= count) done();
    },
  });
  await Promise.race([enough, subscriber.finished]);
  return { records, subscriber };
}

describe("KafkaEventPublisher and KafkaEventSubscriber", () => {
  it("round-trips keys, values, tombstones and headers in order per key", async () => {
    const topic = await newTopic(3);
    const sent = Array.from({ length: 300 }, (_, i) => ({
      topic,
      key: Buffer.from(`k${i % 7}`),
      value: i % 50 === 49 ? null : Buffer.from(JSON.stringify({ i })),
      headers: { "tributary.origin": "dc1" },
    }));
    await publisher.publish(sent);
    const { records, subscriber } = await consume(topic, uniqueName("g"), sent.length, false);
    await subscriber.stop();

    expect(records).toHaveLength(300);
    expect(records.filter((r) => r.value === null)).toHaveLength(6);
    expect(records.every((r) => r.headers["tributary.origin"]?.toString() === "dc1")).toBe(true);
    for (let k = 0; k < 7; k++) {
      const values = records
        .filter((r) => r.key?.toString() === `k${k}`)
        .map((r) => (r.value ? (JSON.parse(r.value.toString()) as { i: number }).i : -1));
      const expected = sent
        .map((s, i) => ({ s, i }))
        .filter(({ s }) => s.key.toString() === `k${k}`)
        .map(({ s, i }) => (s.value ? i : -1));
      expect(values).toEqual(expected);
    }
  });

  it("resumes a restarted group after its last commit, and nothing is committed implicitly", async () => {
    const topic = await newTopic(1);
    const groupId = uniqueName("g");
    await publisher.publish(
      Array.from({ length: 100 }, (_, i) => ({ topic, key: null, value: Buffer.from(`v${i}`) })),
    );

    // Reads 40 and commits them.
    const first = await consume(topic, groupId, 40, true);
    await first.subscriber.stop();
    expect(first.records.at(-1)?.offset).toBe(39n);

    // Reads the rest without committing: a restart must see them again.
    const second = await consume(topic, groupId, 60, false);
    await second.subscriber.stop();
    expect(second.records[0]?.offset).toBe(40n);
    expect(second.records.at(-1)?.value?.toString()).toBe("v99");

    const third = await consume(topic, groupId, 60, false);
    await third.subscriber.stop();
    expect(third.records.map((r) => r.offset)).toEqual(second.records.map((r) => r.offset));
  });

  it("lets onAssigned seek each assigned partition before any of its batches is handled", async () => {
    const topic = await newTopic(2);
    const groupId = uniqueName("g");
    await publisher.publish(
      Array.from({ length: 200 }, (_, i) => ({
        topic,
        key: null,
        value: Buffer.from(`v${i}`),
        partition: i % 2,
      })),
    );
    // The group's committed offsets say 10 and 20; the assignment hook knows better.
    const committer = await consume(topic, groupId, 1, false);
    await committer.subscriber.commit([
      { topic, partition: 0, offset: 10n },
      { topic, partition: 1, offset: 20n },
    ]);
    await committer.subscriber.stop();

    const subscriber = new KafkaEventSubscriber(testKafka, "test", quietLogger);
    const assignments: string[][] = [];
    const firstOffsets = new Map<number, bigint>();
    let done: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => {
      done = resolve;
    });
    await subscriber.start({
      groupId,
      topics: [topic],
      fromBeginning: true,
      onAssigned: async (partitions) => {
        assignments.push(partitions.map((p) => `${p.topic}:${p.partition}`).sort());
        // Slow on purpose: the first fetch (from the committed offsets) comes back before the seeks.
        await new Promise((resolve) => setTimeout(resolve, 300));
        subscriber.seek({ topic, partition: 0, offset: 50n });
        subscriber.seek({ topic, partition: 1, offset: 95n });
      },
      onBatch: async (batch) => {
        if (!firstOffsets.has(batch.partition)) {
          firstOffsets.set(batch.partition, batch.records[0]?.offset ?? -1n);
        }
        if (firstOffsets.size === 2) done();
      },
    });
    try {
      await Promise.race([seen, subscriber.finished]);
    } finally {
      await subscriber.stop();
    }
    expect(assignments).toEqual([[`${topic}:0`, `${topic}:1`]]);
    expect(Object.fromEntries(firstOffsets)).toEqual({ 0: 50n, 1: 95n });
  });

  it("stops with the error of a failed onAssigned, handling no batch", async () => {
    const topic = await newTopic(1);
    await publisher.publish([{ topic, key: null, value: Buffer.from("v") }]);
    const subscriber = new KafkaEventSubscriber(testKafka, "test", quietLogger);
    let batches = 0;
    const refused = new TributaryError("TRB_SINK_TARGET_UNREACHABLE", "target gone", { retriable: true });
    const error = await subscriber
      .start({
        groupId: uniqueName("g"),
        topics: [topic],
        fromBeginning: true,
        onAssigned: async () => {
          throw refused;
        },
        onBatch: async () => {
          batches++;
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBe(refused);
    await expect(subscriber.finished).rejects.toBe(refused);
    await subscriber.stop();
    expect(batches).toBe(0);
  });

  it("lets the batch in progress when stop() is called finish and commit", async () => {
    const topic = await newTopic(1);
    const groupId = uniqueName("g");
    await publisher.publish(
      Array.from({ length: 10 }, (_, i) => ({ topic, key: null, value: Buffer.from(`v${i}`) })),
    );
    const subscriber = new KafkaEventSubscriber(testKafka, "test", quietLogger);
    let inBatch: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      inBatch = resolve;
    });
    await subscriber.start({
      groupId,
      topics: [topic],
      fromBeginning: true,
      onBatch: async (batch) => {
        inBatch();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const last = batch.records.at(-1) as IncomingRecord;
        await subscriber.commit([{ topic, partition: batch.partition, offset: last.offset + 1n }]);
      },
    });
    await Promise.race([started, subscriber.finished]);
    await subscriber.stop();
    await subscriber.finished;
    const kafkaAdmin = new kafkajs.Kafka({
      brokers: testKafka.brokers,
      logLevel: kafkajs.logLevel.NOTHING,
    }).admin();
    await kafkaAdmin.connect();
    try {
      const [offsets] = await kafkaAdmin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: "10" })]);
    } finally {
      await kafkaAdmin.disconnect();
    }
  });

  it("carries a 10 MB event", async () => {
    const topic = await newTopic(1);
    const value = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < value.length; i += 4096) value[i] = i % 251;
    await publisher.publish([{ topic, key: Buffer.from("big"), value }]);
    const { records, subscriber } = await consume(topic, uniqueName("g"), 1, false);
    await subscriber.stop();
    expect(records[0]?.value?.equals(value)).toBe(true);
  });

  it("refuses an event over the limit with a coded error naming it, and sends nothing of that call", async () => {
    const topic = await newTopic(1);
    const limited = new KafkaEventPublisher(
      { ...testKafka, maxMessageBytes: 1024 * 1024 },
      "test",
      quietLogger,
    );
    try {
      const error = await limited
        .publish([
          { topic, key: Buffer.from("1"), value: Buffer.from("small") },
          {
            topic,
            key: Buffer.from("2"),
            value: Buffer.alloc(2 * 1024 * 1024),
            describe: () => 'row of public.docs with key {"id":2}',
          },
        ])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe("TRB_EVENT_TOO_LARGE");
      expect((error as TributaryError).message).toContain(
        'row of public.docs with key {"id":2} is 2097217 bytes',
      );
      expect((await admin.endOffsets(topic)).get(0)).toBe(0n);
    } finally {
      await limited.close();
    }
  });

  it("reports the broker refusing an event larger than its message.max.bytes", async () => {
    const topic = await newTopic(1);
    const oversized = new KafkaEventPublisher(
      { ...testKafka, maxMessageBytes: 80 * 1024 * 1024 },
      "test",
      quietLogger,
    );
    try {
      const error = await oversized
        .publish([
          { topic, key: Buffer.from("k"), value: Buffer.alloc(65 * 1024 * 1024), describe: () => "row k" },
        ])
        .catch((e: unknown) => e);
      expect((error as TributaryError).code).toBe("TRB_EVENT_TOO_LARGE");
      expect((error as TributaryError).message).toContain("the broker refused row k");
    } finally {
      await oversized.close();
    }
  });

  it("fails with a coded, retriable error when Kafka is unreachable", async () => {
    const nowhere = new KafkaEventPublisher(
      { ...testKafka, brokers: ["127.0.0.1:1"], connectionTimeoutMs: 500 },
      "test",
      quietLogger,
    );
    const error = await nowhere
      .publish([{ topic: "x", key: null, value: Buffer.from("x") }])
      .catch((e: unknown) => e);
    expect((error as TributaryError).code).toBe("TRB_KAFKA_UNREACHABLE");
    expect((error as TributaryError).retriable).toBe(true);
    expect((error as TributaryError).message).toContain("127.0.0.1:1");
  });
});
