import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { TupleData, TupleValue } from "../replication/pgoutput-messages.js";

/** One change of a streamed transaction, kept on disk until its Stream Commit or Abort. */
export interface SpilledChange {
  /** The relation version the change was decoded against. */
  version: number;
  kind: "insert" | "update" | "delete" | "truncate";
  /** The subtransaction the change belongs to (the top-level xid for its own changes). */
  subxid: number;
  lsn: bigint;
  oldTuple?: TupleData;
  oldKind?: "key" | "full";
  newTuple?: TupleData;
}

/** Tuple values on disk: null, 0 for unchanged TOAST, the text otherwise. */
type StoredValue = string | null | 0;

function store(tuple: TupleData | undefined): StoredValue[] | undefined {
  if (!tuple) return undefined;
  return tuple.map((value) => (value.kind === "text" ? value.text : value.kind === "unchanged" ? 0 : null));
}

const NULL_VALUE: TupleValue = { kind: "null" };
const UNCHANGED_VALUE: TupleValue = { kind: "unchanged" };

function load(values: StoredValue[] | undefined): TupleData | undefined {
  if (!values) return undefined;
  return values.map((value) =>
    value === null ? NULL_VALUE : value === 0 ? UNCHANGED_VALUE : { kind: "text" as const, text: value },
  );
}

/**
 * The changes of one in-progress transaction that PostgreSQL streams before it commits
 * (pgoutput protocol 2), written to a local file so a transaction of any size passes with
 * bounded memory. Nothing of it is published before its Stream Commit; an aborted
 * subtransaction's changes are skipped on replay.
 */
export class TransactionSpill {
  private readonly file: string;
  private readonly out: WriteStream;
  private readonly aborted = new Set<number>();
  origin: string | undefined;
  changes = 0;
  private failure: Error | undefined;
  private discarded = false;

  private constructor(
    directory: string,
    readonly xid: number,
  ) {
    this.file = join(directory, `tx-${xid}.ndjson`);
    this.out = createWriteStream(this.file, { flags: "w" });
    // A write error (disk full…) surfaces on the next append or at replay, never as a crash.
    this.out.on("error", (error) => {
      if (!this.discarded) this.failure ??= error;
    });
  }

  static async open(directory: string, xid: number): Promise<TransactionSpill> {
    await mkdir(directory, { recursive: true });
    return new TransactionSpill(directory, xid);
  }

  /** Removes what a crashed run left behind: a restart streams from the confirmed LSN anyway. */
  static async clear(directory: string): Promise<void> {
    await rm(directory, { recursive: true, force: true });
  }

  async append(change: SpilledChange): Promise<void> {
    if (this.failure) throw this.failure;
    const line = JSON.stringify([
      change.version,
      change.kind,
      change.subxid,
      change.lsn.toString(),
      change.oldKind ?? null,
      store(change.oldTuple) ?? null,
      store(change.newTuple) ?? null,
    ]);
    this.changes++;
    if (!this.out.write(`${line}\n`)) await once(this.out, "drain");
  }

  abortSubtransaction(subxid: number): void {
    this.aborted.add(subxid);
  }

  /** The committed changes in order, read back with back-pressure. */
  async *replay(): AsyncGenerator<SpilledChange> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) =>
      this.out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const lines = createInterface({
      input: createReadStream(this.file),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      const [version, kind, subxid, lsn, oldKind, oldTuple, newTuple] = JSON.parse(line) as [
        number,
        SpilledChange["kind"],
        number,
        string,
        "key" | "full" | null,
        StoredValue[] | null,
        StoredValue[] | null,
      ];
      if (this.aborted.has(subxid)) continue;
      const change: SpilledChange = { version, kind, subxid, lsn: BigInt(lsn) };
      if (oldKind) change.oldKind = oldKind;
      const old = load(oldTuple ?? undefined);
      if (old) change.oldTuple = old;
      const fresh = load(newTuple ?? undefined);
      if (fresh) change.newTuple = fresh;
      yield change;
    }
  }

  async discard(): Promise<void> {
    this.discarded = true;
    this.out.destroy();
    await rm(this.file, { force: true });
  }
}
