import type pg from "pg";

/**
 * Updates the heartbeat row on a connection of its own, opened at the first beat. A beat that
 * comes while the previous one still runs is skipped: one row update in flight is enough to keep
 * the slot moving, and queueing more would only pile up behind a slow server.
 */
export class HeartbeatWriter {
  private client: Promise<pg.Client> | undefined;
  private running = false;
  private closed = false;

  constructor(
    private readonly connect: () => Promise<pg.Client>,
    private readonly sql: string,
    private readonly connectorName: string,
  ) {}

  /** Writes one heartbeat; rejects when it could not (not after `close`). */
  async beat(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      this.client ??= this.connect();
      const client = await this.client;
      await client.query(this.sql, [this.connectorName]);
    } catch (error) {
      if (!this.closed) throw error;
    } finally {
      this.running = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.client;
    this.client = undefined;
    const client = await pending?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }
}
