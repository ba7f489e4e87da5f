/**
 * `COPY … FROM STDIN` over node-postgres without pg-copy-streams: a submittable that sends the
 * data (already in memory: `planApply` builds it) once the server asks for it.
 */
import type pg from "pg";

interface CopyConnection {
  query(text: string): void;
  /** node-postgres's own write of a whole protocol message (what `sendCopyFromChunk` calls after copying the chunk into one). */
  _send(message: Buffer): boolean;
  endCopyFrom(): void;
}

/** CopyData: `d`, then the length of what follows including itself (int32), then the data. */
const COPY_DATA = 0x64;
const COPY_DATA_HEADER = 5;

/** Sent in pieces so one large batch does not need a second full-size copy as one Buffer. */
const CHUNK_CHARACTERS = 1 << 20;

class CopyIn {
  private rows = 0;
  private settle: { resolve: (rows: number) => void; reject: (error: Error) => void } | undefined;
  readonly done: Promise<number>;

  constructor(
    private readonly text: string,
    private readonly data: CopyData,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    if (typeof this.data === "string") {
      // Each chunk is encoded once, straight into its CopyData message.
      for (const message of utf8Chunks(this.data, CHUNK_CHARACTERS, COPY_DATA_HEADER)) {
        message[0] = COPY_DATA;
        message.writeInt32BE(message.length - 1, 1);
        connection._send(message);
      }
    } else {
      for (const chunk of this.data) {
        if (chunk.length === 0) continue;
        const header = Buffer.allocUnsafe(COPY_DATA_HEADER);
        header[0] = COPY_DATA;
        header.writeInt32BE(chunk.length + COPY_DATA_HEADER - 1, 1);
        connection._send(header);
        connection._send(chunk);
      }
    }
    connection.endCopyFrom();
  }

  /** Statements sent ahead of the COPY in the same query complete too: only the COPY's counts. */
  handleCommandComplete(message: { text: string }): void {
    if (message.text.startsWith("COPY ")) this.rows = Number(message.text.slice("COPY ".length));
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

/**
 * `text` as UTF-8 in pieces of at most `size` UTF-16 units (2 for size 1), never splitting a
 * surrogate pair; each piece after `reserve` bytes left for the caller to fill.
 */
export function* utf8Chunks(text: string, size: number, reserve = 0): Generator<Buffer> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + size, text.length);
    // Each half of a split pair would be written as U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += end - start > 1 ? -1 : 1;
    const piece = text.slice(start, end);
    const chunk = Buffer.allocUnsafe(reserve + Buffer.byteLength(piece, "utf8"));
    chunk.write(piece, reserve, "utf8");
    yield chunk;
    start = end;
  }
}

/** COPY data: one text, or bytes in chunks (sent one after the other: text format's UTF-8, or binary format). */
export type CopyData = string | readonly Buffer[];

/** Runs `copy` (`COPY … FROM STDIN`, in the format it names) with `data`; resolves to the number of rows copied. */
export function copyIn(client: pg.Client, copy: string, data: CopyData): Promise<number> {
  const submittable = new CopyIn(copy, data);
  client.query(submittable as unknown as pg.Submittable);
  return submittable.done;
}
