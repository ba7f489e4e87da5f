/**
 * `COPY … FROM STDIN` over node-postgres without pg-copy-streams: a submittable that sends the
 * text-format data (already in memory: `planApply` builds it) once the server asks for it.
 */
import type pg from "pg";

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** Sent in pieces so one large batch does not need a second full-size copy as one Buffer. */
const CHUNK_CHARACTERS = 1 << 20;

class CopyIn {
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
    for (const chunk of utf8Chunks(this.data, CHUNK_CHARACTERS)) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text: string }): void {
    this.rows = Number(message.text.split(" ")[1] ?? 0);
  }

  /** node-postgres hands an error over instead of the ReadyForQuery that follows it (or a lost connection's). */
  handleError(error: Error): void {
    this.settle?.reject(error);
  }

  handleReadyForQuery(): void {
    this.settle?.resolve(this.rows);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** `text` as UTF-8 in pieces of at most `size` UTF-16 units (2 for size 1), never splitting a surrogate pair. */
export function* utf8Chunks(text: string, size: number): Generator<Buffer> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + size, text.length);
    // Each half of a split pair would be written as U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += end - start > 1 ? -1 : 1;
    yield Buffer.from(text.slice(start, end), "utf8");
    start = end;
  }
}

/** Runs `copy` (`COPY … FROM STDIN`, text format) with `data`; resolves to the number of rows copied. */
export function copyIn(client: pg.Client, copy: string, data: string): Promise<number> {
  const submittable = new CopyIn(copy, data);
  client.query(submittable as unknown as pg.Submittable);
  return submittable.done;
}
