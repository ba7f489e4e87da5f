import type { Lsn } from "../replication/lsn.js";

export interface ConfirmGateOptions {
  /** The limit recorded when streaming starts (the slot's confirmed position or the saved limit). */
  limit: Lsn;
  /** Records that the slot may be confirmed up to `limit`; resolves once that record is durable. */
  recordLimit: (limit: Lsn) => Promise<void>;
  /** Confirms `lsn` to the slot. */
  confirm: (lsn: Lsn) => Promise<void>;
  /** Shortest time between two records of the limit, so a busy stream writes a few records a second at most. */
  minRecordIntervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Confirms durable LSNs to the slot only after recording each new confirmation limit: the slot
 * is then never ahead of the recorded limit, so a slot found ahead of it at the next start was
 * made anew behind the connector's back (start-plan.ts). Runs beside the publishing pipeline,
 * coalescing the LSNs that become durable meanwhile into one record and one confirmation.
 */
export class ConfirmGate {
  private limit: Lsn;
  private wanted: Lsn | undefined;
  private running: Promise<void> | undefined;
  private lastRecord = Number.NEGATIVE_INFINITY;
  private failure: unknown;
  private onFailure: (error: unknown) => void = () => undefined;
  /** Rejects with the first failure to record or confirm. */
  readonly failed: Promise<never>;

  constructor(private readonly options: ConfirmGateOptions) {
    this.limit = options.limit;
    this.failed = new Promise<never>((_, reject) => {
      this.onFailure = reject;
    });
    this.failed.catch(() => undefined);
  }

  /** Everything up to `lsn` is durable downstream: confirm it soon. Never waits for the confirmation. */
  durable(lsn: Lsn): void {
    if (this.failure !== undefined) return;
    if (this.wanted === undefined || lsn > this.wanted) this.wanted = lsn;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  /** Waits until every LSN reported durable so far is confirmed; throws the failure if one happened. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure !== undefined) throw this.failure;
  }

  /** The highest LSN recorded as the confirmation limit. */
  get recordedLimit(): Lsn {
    return this.limit;
  }

  private async run(): Promise<void> {
    try {
      while (this.wanted !== undefined) {
        const target = this.wanted;
        this.wanted = undefined;
        if (target > this.limit) {
          const now = this.options.now ?? Date.now;
          const wait = this.lastRecord + this.options.minRecordIntervalMs - now();
          if (wait > 0) {
            await (this.options.sleep ?? delay)(wait);
            // What became durable while waiting goes into the same record.
            if (this.wanted !== undefined && this.wanted > target) continue;
          }
          this.lastRecord = now();
          await this.options.recordLimit(target);
          this.limit = target;
        }
        await this.options.confirm(target);
      }
    } catch (error) {
      this.failure = error;
      this.wanted = undefined;
      this.onFailure(error);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
