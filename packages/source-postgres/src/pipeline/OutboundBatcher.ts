import type { EventPublisher, Logger, OutgoingRecord } from "@tributary/core";

export interface OutboundBatcherOptions {
  publisher: EventPublisher;
  maxBatchEvents: number;
  maxBatchBytes: number;
  /** Longest time a non-empty batch waits for more events. */
  flushIntervalMs: number;
  /** Called, in order, with each checkpoint once every record added before it is acknowledged. */
  onDurable: (checkpoint: bigint) => void | Promise<void>;
  logger: Logger;
}

/** Batches that may be started but not acknowledged before `add()` waits: one in flight, one sent next. */
const MAX_UNACKNOWLEDGED_BATCHES = 2;

/**
 * Collects outgoing records into batches and publishes them, one batch in flight while the
 * next fills. `add()` waits while two batches are unacknowledged, however they were started (a
 * full batch, the flush timer, or a mark), so memory stays bounded under a fast producer.
 * Checkpoints (commit LSNs) are interleaved with records; a checkpoint becomes durable only after
 * Kafka acknowledged every record added before it, which is the moment its LSN may be confirmed
 * upstream.
 */
export class OutboundBatcher {
  private records: OutgoingRecord[] = [];
  private bytes = 0;
  private checkpoint: bigint | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  /** Started batches not yet acknowledged (or failed), oldest first. */
  private readonly unacknowledged: Promise<void>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;

  constructor(private readonly options: OutboundBatcherOptions) {}

  /**
   * Adds a record; resolves at once unless two batches are unacknowledged, or a full batch has
   * to wait for the one in flight.
   */
  async add(record: OutgoingRecord, size: number): Promise<void> {
    this.throwIfFailed();
    while (this.unacknowledged.length >= MAX_UNACKNOWLEDGED_BATCHES) {
      await this.unacknowledged[0];
      this.throwIfFailed();
    }
    this.records.push(record);
    this.bytes += size;
    if (this.records.length >= this.options.maxBatchEvents || this.bytes >= this.options.maxBatchBytes) {
      await this.flush();
    } else {
      this.armTimer();
    }
  }

  /**
   * Adds a record when that needs no waiting (nothing to wait for and the batch not full after
   * it), saving a snapshot's row loop a promise per row; false, without adding it, otherwise.
   */
  offer(record: OutgoingRecord, size: number): boolean {
    if (
      this.failure !== undefined ||
      this.unacknowledged.length >= MAX_UNACKNOWLEDGED_BATCHES ||
      this.records.length + 1 >= this.options.maxBatchEvents ||
      this.bytes + size >= this.options.maxBatchBytes
    ) {
      return false;
    }
    this.records.push(record);
    this.bytes += size;
    this.armTimer();
    return true;
  }

  /** Marks a position: durable once everything added so far is acknowledged. */
  mark(checkpoint: bigint): void {
    this.throwIfFailed();
    this.checkpoint = checkpoint;
    if (this.records.length === 0) {
      // Nothing waits to be sent: the mark is durable as soon as the batch in flight is.
      this.startBatch();
    } else {
      this.armTimer();
    }
  }

  /** Sends what is collected; resolves when the previous batch is acknowledged and this one is on its way. */
  async flush(): Promise<void> {
    this.throwIfFailed();
    const previous = this.inFlight;
    await previous;
    this.throwIfFailed();
    this.startBatch();
  }

  /** Sends everything and waits until all of it is acknowledged. */
  async drain(): Promise<void> {
    await this.flush();
    await this.inFlight;
    this.throwIfFailed();
  }

  get hasPending(): boolean {
    return this.records.length > 0 || this.checkpoint !== undefined;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private startBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const records = this.records;
    const checkpoint = this.checkpoint;
    if (records.length === 0 && checkpoint === undefined) return;
    this.records = [];
    this.bytes = 0;
    this.checkpoint = undefined;
    const previous = this.inFlight;
    this.inFlight = previous
      .then(async () => {
        // After a failure nothing more is sent or reported: the failed batch is not durable.
        if (this.failure !== undefined) return;
        if (records.length > 0) await this.options.publisher.publish(records);
        if (checkpoint !== undefined) await this.options.onDurable(checkpoint);
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.unacknowledged.shift();
      });
    this.unacknowledged.push(this.inFlight);
  }

  private armTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startBatch();
    }, this.options.flushIntervalMs);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
