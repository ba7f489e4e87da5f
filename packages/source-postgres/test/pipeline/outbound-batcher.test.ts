import { createLogger, type EventPublisher, type OutgoingRecord } from "@tributary/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OutboundBatcher } from "../../src/pipeline/OutboundBatcher.js";

/** An in-memory publisher whose acknowledgements the test releases by hand. */
class ManualPublisher implements EventPublisher {
  readonly batches: OutgoingRecord[][] = [];
  private readonly waiting: (() => void)[] = [];
  failNext: Error | undefined;

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    this.batches.push([...records]);
    const failure = this.failNext;
    this.failNext = undefined;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (failure) throw failure;
  }

  acknowledgeNext(): void {
    this.waiting.shift()?.();
  }

  async close(): Promise<void> {}
}

const record = (n: number): OutgoingRecord => ({ topic: "t", key: null, value: Buffer.from([n]) });
const tick = () => new Promise((resolve) => setImmediate(resolve));

function batcher(
  publisher: ManualPublisher,
  durable: bigint[],
  maxBatchEvents = 3,
  flushIntervalMs = 60_000,
) {
  return new OutboundBatcher({
    publisher,
    maxBatchEvents,
    maxBatchBytes: 1 << 20,
    flushIntervalMs,
    onDurable: (checkpoint) => {
      durable.push(checkpoint);
    },
    logger: createLogger({ level: "silent" }),
  });
}

describe("OutboundBatcher", () => {
  it("takes offered records only while adding them needs no waiting, and sends them as add would", async () => {
    const publisher = new ManualPublisher();
    const durable: bigint[] = [];
    const out = batcher(publisher, durable);
    expect(out.offer(record(1), 1)).toBe(true);
    expect(out.offer(record(2), 1)).toBe(true);
    // The third record fills the batch, which add sends.
    expect(out.offer(record(3), 1)).toBe(false);
    await out.add(record(3), 1);
    await tick();
    expect(publisher.batches.map((b) => b.map((r) => r.value?.[0]))).toEqual([[1, 2, 3]]);
    expect(out.offer(record(4), 1)).toBe(true);
    expect(out.offer(record(5), 1)).toBe(true);
    // The full second batch waits for the first one in flight.
    const sixth = out.add(record(6), 1);
    await tick();
    expect(out.offer(record(7), 1)).toBe(false);
    publisher.acknowledgeNext();
    await sixth;
    await tick();
    expect(out.offer(record(7), 1)).toBe(true);
    publisher.acknowledgeNext();
    out.mark(7n);
    const drained = out.drain();
    await tick();
    publisher.acknowledgeNext();
    await drained;
    expect(publisher.batches.map((b) => b.map((r) => r.value?.[0]))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(durable).toEqual([7n]);
  });

  it("reports a checkpoint only after every record added before it is acknowledged", async () => {
    const publisher = new ManualPublisher();
    const durable: bigint[] = [];
    const out = batcher(publisher, durable);
    await out.add(record(1), 1);
    await out.add(record(2), 1);
    out.mark(100n);
    await out.add(record(3), 1); // fills the batch: records 1-3 go out with checkpoint 100
    await tick();
    expect(publisher.batches.map((b) => b.length)).toEqual([3]);
    expect(durable).toEqual([]);
    publisher.acknowledgeNext();
    await tick();
    expect(durable).toEqual([100n]);
    out.close();
  });

  it("keeps one batch in flight and reports checkpoints in order", async () => {
    const publisher = new ManualPublisher();
    const durable: bigint[] = [];
    const out = batcher(publisher, durable, 2);
    await out.add(record(1), 1);
    out.mark(10n);
    await out.add(record(2), 1); // batch A: 1, 2 (+10)
    const adding = (async () => {
      await out.add(record(3), 1);
      out.mark(20n);
      await out.add(record(4), 1); // batch B waits for A
    })();
    await tick();
    expect(publisher.batches).toHaveLength(1);
    publisher.acknowledgeNext();
    await adding;
    await tick();
    expect(durable).toEqual([10n]);
    expect(publisher.batches).toHaveLength(2);
    publisher.acknowledgeNext();
    await tick();
    expect(durable).toEqual([10n, 20n]);
    out.close();
  });

  it("a mark with nothing pending becomes durable after the batch in flight", async () => {
    const publisher = new ManualPublisher();
    const durable: bigint[] = [];
    const out = batcher(publisher, durable, 1);
    await out.add(record(1), 1);
    out.mark(5n);
    await tick();
    expect(durable).toEqual([]);
    publisher.acknowledgeNext();
    await tick();
    expect(durable).toEqual([5n]);
    out.close();
  });

  it("stops at the first failed publish and never reports later checkpoints", async () => {
    const publisher = new ManualPublisher();
    const durable: bigint[] = [];
    const out = batcher(publisher, durable, 1);
    publisher.failNext = new Error("broker gone");
    await out.add(record(1), 1);
    out.mark(7n);
    publisher.acknowledgeNext();
    await tick();
    await expect(out.drain()).rejects.toThrow("broker gone");
    await expect(out.add(record(2), 1)).rejects.toThrow("broker gone");
    expect(durable).toEqual([]);
    out.close();
  });

  describe("bounded memory: add() waits while two batches are unacknowledged", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Whether `promise` has settled once pending callbacks ran. */
    async function settled(promise: Promise<unknown>): Promise<boolean> {
      let done = false;
      void promise.then(
        () => {
          done = true;
        },
        () => {
          done = true;
        },
      );
      await tick();
      return done;
    }

    it("batches started by the flush timer", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      const publisher = new ManualPublisher();
      const durable: bigint[] = [];
      const out = batcher(publisher, durable, 1000, 10);
      await out.add(record(1), 1);
      vi.advanceTimersByTime(10); // batch A: 1
      await out.add(record(2), 1);
      vi.advanceTimersByTime(10); // batch B: 2, waits for A
      const third = out.add(record(3), 1);
      expect(await settled(third)).toBe(false);
      publisher.acknowledgeNext(); // A
      expect(await settled(third)).toBe(true);
      await tick();
      expect(publisher.batches.map((batch) => batch.length)).toEqual([1, 1]);
      publisher.acknowledgeNext(); // B
      await tick();
      vi.advanceTimersByTime(10); // batch C: 3
      await tick();
      expect(publisher.batches.map((batch) => batch.length)).toEqual([1, 1, 1]);
      publisher.acknowledgeNext();
      await out.drain();
      out.close();
    });

    it("batches started by marks with nothing pending", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      const publisher = new ManualPublisher();
      const durable: bigint[] = [];
      const out = batcher(publisher, durable, 1000, 10);
      await out.add(record(1), 1);
      vi.advanceTimersByTime(10); // batch A: 1
      out.mark(1n); // batch B: the mark alone, after A
      const second = out.add(record(2), 1);
      expect(await settled(second)).toBe(false);
      publisher.acknowledgeNext();
      expect(await settled(second)).toBe(true);
      expect(durable).toEqual([1n]);
      vi.advanceTimersByTime(10); // batch C: 2
      await tick();
      publisher.acknowledgeNext();
      await out.drain();
      expect(publisher.batches.map((batch) => batch.length)).toEqual([1, 1]);
      out.close();
    });

    it("a waiting add() fails when the batch it waits for fails", async () => {
      const publisher = new ManualPublisher();
      const durable: bigint[] = [];
      const out = batcher(publisher, durable, 1);
      publisher.failNext = new Error("broker gone");
      await out.add(record(1), 1);
      out.mark(1n);
      const second = out.add(record(2), 1);
      publisher.acknowledgeNext();
      await expect(second).rejects.toThrow("broker gone");
      expect(durable).toEqual([]);
      expect(publisher.batches).toHaveLength(1);
      out.close();
    });
  });
});
