import { type EventPublisher, isTributaryError, type OutgoingRecord } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { SettlingPublisher } from "../../src/pipeline/SettlingPublisher.js";

/** A producer whose acknowledgements the test releases by hand, and that records when it closed. */
class ManualProducer implements EventPublisher {
  readonly events: string[] = [];
  private readonly waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];

  publish(records: readonly OutgoingRecord[]): Promise<void> {
    this.events.push(`publish ${records.length}`);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  acknowledge(): void {
    this.waiting.shift()?.resolve();
  }

  fail(): void {
    this.waiting.shift()?.reject(new Error("broker gone"));
  }

  async close(): Promise<void> {
    this.events.push("close");
  }
}

const record: OutgoingRecord = { topic: "t", key: null, value: Buffer.from([1]) };
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("SettlingPublisher", () => {
  // Regression (producer-closed-under-a-batch-in-flight): the session closed the kafkajs producer
  // under a batch still in flight, stranding it until kafka.requestTimeoutMs and holding the process.
  it("closes the producer only after the publishes under way settled", async () => {
    const producer = new ManualProducer();
    const publisher = new SettlingPublisher(producer);
    const first = publisher.publish([record]);
    const second = publisher.publish([record, record]);
    second.catch(() => undefined);
    let closed = false;
    const closing = publisher.close().then(() => {
      closed = true;
    });
    await tick();
    expect(closed).toBe(false);
    producer.acknowledge();
    await first;
    await tick();
    expect(closed).toBe(false);
    producer.fail();
    await closing;
    expect(producer.events).toEqual(["publish 1", "publish 2", "close"]);
  });

  it("refuses what comes after close with a retriable TRB_SHUTDOWN, without reaching the producer", async () => {
    const producer = new ManualProducer();
    const publisher = new SettlingPublisher(producer);
    await publisher.close();
    const error = await publisher.publish([record]).catch((e: unknown) => e);
    expect(isTributaryError(error, "TRB_SHUTDOWN")).toBe(true);
    expect((error as { retriable: boolean }).retriable).toBe(true);
    expect(producer.events).toEqual(["close"]);
  });

  it("passes results and failures through", async () => {
    const producer = new ManualProducer();
    const publisher = new SettlingPublisher(producer);
    const ok = publisher.publish([record]);
    producer.acknowledge();
    await expect(ok).resolves.toBeUndefined();
    const failed = publisher.publish([record]);
    producer.fail();
    await expect(failed).rejects.toThrow("broker gone");
  });
});
