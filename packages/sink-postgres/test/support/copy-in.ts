/**
 * `COPY … FROM STDIN` over node-postgres without pg-copy-streams: a minimal submittable that sends
 * the whole text-format data once the server asks for it. Enough to prove the generated COPY
 * statements and data; the engine will stream.
 */
import type pg from "pg";

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyIn {
  private error: Error | undefined;
  private rows = 0;
  private settle: { resolve: (rows: number) => void; reject: (error: Error) => void } | undefined;
  readonly done: Promise<number>;

  constructor(
    private readonly text: string,
    private readonly data: string,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    if (this.data.length > 0) connection.sendCopyFromChunk(Buffer.from(this.data, "utf8"));
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text: string }): void {
    this.rows = Number(message.text.split(" ")[1] ?? 0);
  }

  handleError(error: Error): void {
    this.error = error;
  }

  handleReadyForQuery(): void {
    if (this.error === undefined) this.settle?.resolve(this.rows);
    else this.settle?.reject(this.error);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `copy` (`COPY … FROM STDIN`) with `data`; resolves to the number of rows copied. */
export function copyIn(client: pg.Client, copy: string, data: string): Promise<number> {
  const submittable = new CopyIn(copy, data);
  client.query(submittable as unknown as pg.Submittable);
  return submittable.done;
}
