import { describe, expect, it } from "vitest";
import { kafkaTestFixture, quietLogger, testKafka, uniqueName } from "../../../../test/support/kafka.js";
import { type IncomingRecord, KafkaEventSubscriber } from "../../src/index.js";

const { admin, publisher, topics } = kafkaTestFixture();

const RECORDS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A one-partition topic of RECORDS records of 1 KiB, published 15 at a time: a fetch returns
 * whole record batches, so a 16 KiB fetch gives many batches.
 */
async function backlog(): Promise<string> {
  const topic = uniqueName("it.readahead");
  topics.push(topic);
  await admin.ensureTopics([{ topic, partitions: 1 }]);
  for (let start = 0; start < RECORDS; start += 15) {
    await publisher.publish(
      Array.from({ length: 15 }, (_, i) => ({
        topic,
        key: null,
        value: Buffer.alloc(1024, (start + i) % 251),
      })),
    );
  }
  return topic;
}

const readingAhead = () =>
  new KafkaEventSubscriber(testKafka, "test", quietLogger, {
    readAhead: true,
    maxBytes: 16 * 1024,
    maxBytesPerPartition: 16 * 1024,
  });

/** Subscribe options reading `topic` from its start, as group `groupId` (a new group by default). */
const fromStart = (topic: string, groupId = uniqueName("g")) => ({
  groupId,
  topics: [topic],
  fromBeginning: true,
});

function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe("KafkaEventSubscriber with readAhead", () => {
  it("hands batches one at a time and in order, each record once", async () => {
    const topic = await backlog();
    const subscriber = readingAhead();
    const offsets: bigint[] = [];
    let handling = 0;
    let mostAtOnce = 0;
    let batches = 0;
    const all = signal();
    await subscriber.start({
      ...fromStart(topic),
      onBatch: async (batch) => {
        handling++;
        batches++;
        mostAtOnce = Math.max(mostAtOnce, handling);
        await sleep(5);
        offsets.push(...batch.records.map((record) => record.offset));
        handling--;
        if (offsets.length >= RECORDS) all.resolve();
      },
    });
    try {
      await Promise.race([all.promise, subscriber.finished]);
    } finally {
      await subscriber.stop();
    }
    expect(batches).toBeGreaterThan(10);
    expect(mostAtOnce).toBe(1);
    expect(offsets).toEqual(Array.from({ length: RECORDS }, (_, i) => BigInt(i)));
  });

  it("drops the batch fetched ahead when its partition is sought while one is handled", async () => {
    const topic = await backlog();
    const subscriber = readingAhead();
    const firstOffsets: bigint[] = [];
    const three = signal();
    await subscriber.start({
      ...fromStart(topic),
      onBatch: async (batch) => {
        firstOffsets.push((batch.records[0] as IncomingRecord).offset);
        if (firstOffsets.length === 1) {
          // Time for kafkajs to fetch the next batch ahead, which the seek makes stale.
          await sleep(300);
          subscriber.seek({ topic, partition: 0, offset: 0n });
        }
        if (firstOffsets.length === 3) three.resolve();
      },
    });
    try {
      await Promise.race([three.promise, subscriber.finished]);
    } finally {
      await subscriber.stop();
    }
    expect(firstOffsets[0]).toBe(0n);
    expect(firstOffsets[1]).toBe(0n);
    expect(firstOffsets[2]).toBeGreaterThan(0n);
  });

  it("handles no batch after a failed one, though the next was fetched ahead", async () => {
    const topic = await backlog();
    const subscriber = readingAhead();
    const failure = new Error("apply failed");
    let batches = 0;
    await subscriber.start({
      ...fromStart(topic),
      onBatch: async () => {
        batches++;
        await sleep(300);
        throw failure;
      },
    });
    await expect(subscriber.finished).rejects.toBe(failure);
    await sleep(300);
    await subscriber.stop();
    expect(batches).toBe(1);
  });

  it("leaves the batch fetched ahead unhandled when stop() is called", async () => {
    const topic = await backlog();
    const subscriber = readingAhead();
    const started = signal();
    let batches = 0;
    let finishedFirst = false;
    await subscriber.start({
      ...fromStart(topic),
      onBatch: async () => {
        batches++;
        started.resolve();
        await sleep(300);
        finishedFirst = true;
      },
    });
    await Promise.race([started.promise, subscriber.finished]);
    await sleep(100);
    await subscriber.stop();
    await subscriber.finished;
    expect(finishedFirst).toBe(true);
    expect(batches).toBe(1);
  });

  it("assigns anew only once the batch in progress is handled, then hands only assigned partitions", async () => {
    const topic = await backlog();
    const groupId = uniqueName("g");
    const first = readingAhead();
    const second = readingAhead();
    let handling = false;
    const assignedWhileHandling: boolean[] = [];
    let assignment: number[] = [];
    const outsideAssignment: number[] = [];
    const started = signal();
    const reassigned = signal();
    await first.start({
      ...fromStart(topic, groupId),
      onAssigned: async (partitions) => {
        assignedWhileHandling.push(handling);
        assignment = partitions.map(({ partition }) => partition);
        if (assignedWhileHandling.length === 2) reassigned.resolve();
      },
      onBatch: async (batch) => {
        if (!assignment.includes(batch.partition)) outsideAssignment.push(batch.partition);
        handling = true;
        started.resolve();
        await sleep(500);
        handling = false;
      },
    });
    try {
      await Promise.race([started.promise, first.finished]);
      // A second member makes the group rebalance while the first handles a batch.
      await second.start({ ...fromStart(topic, groupId), onBatch: async () => undefined });
      await Promise.race([reassigned.promise, first.finished]);
      await sleep(1_000);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    expect(assignedWhileHandling).toEqual([false, false]);
    expect(outsideAssignment).toEqual([]);
  });

  it("refuses partitionsConsumedConcurrently above 1, which would hand batches of partitions at once", () => {
    expect(
      () =>
        new KafkaEventSubscriber(testKafka, "test", quietLogger, {
          readAhead: true,
          partitionsConsumedConcurrently: 2,
        }),
    ).toThrow(/excludes partitionsConsumedConcurrently > 1/);
  });
});
