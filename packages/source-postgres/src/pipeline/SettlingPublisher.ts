import { type EventPublisher, type OutgoingRecord, TributaryError } from "@tributary/core";

/**
 * The session's publisher. `close` lets the publishes under way settle first and refuses any
 * later one: a session that fails (a lost PostgreSQL connection) can leave a batch in flight and
 * another queued behind it. Closing the kafkajs producer under the first stranded it until
 * kafka.requestTimeoutMs — the process neither retried nor exited meanwhile — and the queued one
 * would have connected a new producer that nobody closes.
 */
export class SettlingPublisher implements EventPublisher {
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly inner: EventPublisher) {}

  publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new TributaryError("TRB_SHUTDOWN", "the session's Kafka producer is closed; nothing more is sent", {
          retriable: true,
        }),
      );
    }
    const sending = this.inner.publish(records);
    const settled = sending.catch(() => undefined);
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return sending;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.pending);
    await this.inner.close();
  }
}
