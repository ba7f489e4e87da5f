import { sleep } from "./sleep.js";

export interface ThrottleLimits {
  /** 0 or undefined: unlimited. */
  rowsPerSecond?: number;
  bytesPerSecond?: number;
}

class Bucket {
  tokens: number;
  constructor(readonly rate: number) {
    this.tokens = rate;
  }

  refill(elapsedSeconds: number): void {
    this.tokens = Math.min(this.rate, this.tokens + elapsedSeconds * this.rate);
  }

  /** Milliseconds until `amount` may pass; an amount above one second's worth waits for a full bucket. */
  delayFor(amount: number): number {
    const wanted = Math.min(amount, this.rate);
    return this.tokens >= wanted ? 0 : ((wanted - this.tokens) / this.rate) * 1000;
  }
}

function bucketFor(rate: number | undefined): Bucket | undefined {
  return rate !== undefined && rate > 0 ? new Bucket(rate) : undefined;
}

/**
 * Limits rows/s and bytes/s with a token bucket each, holding one second of burst. A request
 * larger than a bucket passes once the bucket is full and leaves a debt that later requests
 * wait out, so the long-run rate holds for any request size.
 */
export class TokenBucketThrottle {
  private readonly rows: Bucket | undefined;
  private readonly bytes: Bucket | undefined;
  private last: number;

  constructor(
    limits: ThrottleLimits,
    private readonly now: () => number = () => performance.now(),
    private readonly wait: (ms: number) => Promise<void> = sleep,
  ) {
    this.rows = bucketFor(limits.rowsPerSecond);
    this.bytes = bucketFor(limits.bytesPerSecond);
    this.last = now();
  }

  get unlimited(): boolean {
    return this.rows === undefined && this.bytes === undefined;
  }

  /** Resolves when `rows` rows totalling `bytes` bytes may pass. */
  async take(rows: number, bytes = 0): Promise<void> {
    if (this.unlimited) return;
    for (;;) {
      this.refill();
      const delay = Math.max(this.rows?.delayFor(rows) ?? 0, this.bytes?.delayFor(bytes) ?? 0);
      if (delay <= 0) break;
      await this.wait(delay);
    }
    if (this.rows) this.rows.tokens -= rows;
    if (this.bytes) this.bytes.tokens -= bytes;
  }

  private refill(): void {
    const t = this.now();
    const elapsed = (t - this.last) / 1000;
    this.last = t;
    this.rows?.refill(elapsed);
    this.bytes?.refill(elapsed);
  }
}
