import type pg from "pg";

/**
 * Takes one row, a line of COPY text (a view into the connection's read buffer, valid only
 * during the call). Returns a promise when the next row must wait for it.
 */
export type CopyRowHandler = (line: Buffer) => Promise<void> | undefined;

/**
 * `COPY (…) TO STDOUT` on a node-postgres client, handing each row's line to `onRow` as the
 * server sends it: no per-row message objects or strings. When `onRow` asks to wait, the
 * socket is paused and the rows already received are kept (copied) until it is done. After a
 * failure (the server's, the connection's or `onRow`'s) `done` rejects at once and the rest of
 * the COPY is dropped: the caller ends the connection.
 * Submit with `client.query(query)`, then await `query.done`: the row count.
 */
export class CopyOutQuery implements pg.Submittable {
  readonly done: Promise<number>;
  private resolve!: (rows: number) => void;
  private reject!: (error: unknown) => void;
  private connection: pg.Connection | undefined;
  private rows = 0;
  /** Lines received while a row is being waited for, in order. */
  private readonly queued: Buffer[] = [];
  private waiting = false;
  private serverDone = false;
  private failure: unknown;
  private settled = false;

  constructor(
    private readonly text: string,
    private readonly onRow: CopyRowHandler,
  ) {
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The caller may be gone when a failure comes in: it is still reported through `done`.
    this.done.catch(() => undefined);
  }

  submit(connection: pg.Connection): void {
    this.connection = connection;
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.failure !== undefined) return;
    if (this.waiting) {
      this.queued.push(Buffer.from(message.chunk));
      return;
    }
    this.take(message.chunk);
  }

  handleCommandComplete(): void {}

  handleRowDescription(): void {}

  handleDataRow(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(): void {
    this.fail(new Error("the server asked for COPY input during COPY TO STDOUT"));
  }

  handleError(error: unknown): void {
    this.fail(error);
  }

  handleReadyForQuery(): void {
    this.serverDone = true;
    this.settle();
  }

  private take(line: Buffer): void {
    this.rows++;
    let wait: Promise<void> | undefined;
    try {
      wait = this.onRow(line);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (wait !== undefined) this.waitFor(wait);
  }

  private waitFor(wait: Promise<void>): void {
    this.waiting = true;
    this.connection?.stream.pause();
    wait.then(
      () => this.drain(),
      (error: unknown) => this.fail(error),
    );
  }

  /** Takes the queued lines until one asks to wait again or none is left; then reads on. */
  private drain(): void {
    if (this.failure !== undefined) return;
    this.waiting = false;
    while (this.queued.length > 0 && !this.waiting && this.failure === undefined) {
      this.take(this.queued.shift() as Buffer);
    }
    if (this.waiting) return;
    this.connection?.stream.resume();
    this.settle();
  }

  /** Fails at once: the caller ends the connection, which stops the COPY the server still sends. */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.queued.length = 0;
    // A paused socket would keep the connection from ending.
    if (this.waiting) {
      this.waiting = false;
      this.connection?.stream.resume();
    }
    this.settled = true;
    this.reject(error);
  }

  private settle(): void {
    if (this.settled || !this.serverDone || this.waiting || this.queued.length > 0) return;
    this.settled = true;
    this.resolve(this.rows);
  }
}
