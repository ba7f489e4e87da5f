import type { Row, SourceInfo } from "@tributary/core";
import type { CapturedTable } from "../capture/CapturedTable.js";
import {
  keyOf,
  type RecordOptions,
  rowFromText,
  snapshotEnvelope,
  toRecords,
} from "../capture/change-events.js";
import type { OutboundBatcher } from "../pipeline/OutboundBatcher.js";
import type { Lsn } from "../replication/lsn.js";
import { keyText, snapshotVisibility } from "./snapshot-visibility.js";

/** A table being read while the source streams, and how far it was read. */
export interface BackfillProgress {
  oid: number;
  /** Text values of the last key emitted; null before the first chunk (or for a keyless table). */
  after: string[] | null;
}

/** What the source records beside its slot about the tables it captures. */
export interface CaptureState {
  /** OIDs of the tables whose changes the source publishes. */
  tables: number[];
  backfills: BackfillProgress[];
}

/** One chunk read in a snapshot, waiting for the stream to pass the marker written after it. */
export interface ReadChunk {
  table: CapturedTable;
  /** Text values in column order. */
  rows: (string | null)[][];
  /** `pg_current_snapshot()` of the transaction that read the rows. */
  snapshot: string;
  /** The heartbeat `seq` the marker row was written with. */
  markerSeq: bigint;
}

export type ChunkOutcome =
  /** Emitted (possibly without rows a later transaction changed, which the stream carries). */
  | { kind: "emitted"; rows: number; dropped: number }
  /** The table changed shape or was truncated whole meanwhile: read the same range again. */
  | { kind: "again" };

interface Job {
  oid: number;
  after: string[] | null;
  /**
   * Last change of each key the stream carried since the backfill started: its xid, and whether
   * the event held the whole row (no unchanged TOAST column left out).
   */
  touched: Map<string, { xid: number; whole: boolean }>;
  /** Xids of truncates (and, for a keyless table, of every change), from the stream. */
  wholeTable: number[];
  reshaped: boolean;
  /** A keyless table's read went out: the stream carries its changes again from here. */
  read: boolean;
  pending?: { chunk: ReadChunk; settle: (outcome: ChunkOutcome) => void };
}

export interface IncrementalSnapshotOptions {
  connectorName: string;
  database: string;
  origin: string;
  records: RecordOptions;
  batcher: OutboundBatcher;
  countRows: (table: CapturedTable, rows: number, bytes: number) => void;
  initial: CaptureState;
}

/**
 * Reads tables that join the capture while the source streams (created, moved or renamed into the
 * selection), DBLog-style, without stopping the stream: each chunk is read in its own snapshot S,
 * then a marker is written; when the stream passes the marker every transaction visible in S has
 * gone by, so the chunk's rows are emitted there, except those whose key a transaction not
 * visible in S changed: the stream carries that newer state. Each key's events thus stay in
 * commit order. Progress is bound to the commit after it, so what the source records never
 * claims more than Kafka holds.
 */
export class IncrementalSnapshot {
  private readonly jobs = new Map<number, Job>();
  private tables: Set<number>;
  private lastMarkerSeq = -1n;
  private lastLsn = 0n as Lsn;
  private dirty = false;
  private readonly bound: { lsn: Lsn; state: CaptureState }[] = [];
  private durableState: CaptureState;

  constructor(private readonly options: IncrementalSnapshotOptions) {
    this.tables = new Set(options.initial.tables);
    this.durableState = options.initial;
    for (const progress of options.initial.backfills) this.addJob(progress.oid, progress.after);
  }

  /** Whether the stream must report changes of this table. */
  tracks(oid: number): boolean {
    return this.jobs.has(oid);
  }

  get activeJobs(): BackfillProgress[] {
    return [...this.jobs.values()].map((job) => ({ oid: job.oid, after: job.after }));
  }

  get capturedTables(): ReadonlySet<number> {
    return this.tables;
  }

  /** The tables captured from now on; those in `backfill` are read while streaming. */
  setTables(tables: Iterable<number>, backfill: Iterable<number>): number[] {
    this.tables = new Set(tables);
    for (const oid of this.jobs.keys()) {
      if (!this.tables.has(oid)) this.finish(oid);
    }
    const started: number[] = [];
    for (const oid of backfill) {
      if (!this.tables.has(oid) || this.jobs.has(oid)) continue;
      this.addJob(oid, null);
      started.push(oid);
    }
    this.dirty = true;
    return started;
  }

  /**
   * A row change the stream decoded for a tracked table. `key` is null for a keyless table;
   * `whole` says the event carried every column of the new row (or was a delete).
   */
  changed(oid: number, key: Row | null, xid: number, whole: boolean): void {
    const job = this.jobs.get(oid);
    if (!job) return;
    if (key === null) job.wholeTable.push(xid);
    else job.touched.set(keyText(Object.values(key)), { xid, whole });
  }

  truncated(oid: number, xid: number): void {
    this.jobs.get(oid)?.wholeTable.push(xid);
  }

  /**
   * Whether a change the stream just reported (changed/truncated) is left to the table's read
   * instead of being published: for a keyless table, until its read went out. A keyless row has
   * no key to tell the streamed copy from the one read, so the read carries every change until
   * then: one its snapshot saw is in the rows it read, and one it did not see makes it read again.
   */
  leavesToRead(oid: number, keyless: boolean): boolean {
    const job = this.jobs.get(oid);
    return keyless && job !== undefined && !job.read;
  }

  /** A DDL statement on the table went by: a chunk read before it may have another shape. */
  reshaped(oid: number): void {
    const job = this.jobs.get(oid);
    if (job) job.reshaped = true;
  }

  /** A chunk is about to be read: only DDL from now on can make it stale. */
  beginRead(oid: number): void {
    const job = this.jobs.get(oid);
    if (job) job.reshaped = false;
  }

  /** Where the table's backfill stands: undefined once it is finished or cancelled. */
  progressOf(oid: number): BackfillProgress | undefined {
    const job = this.jobs.get(oid);
    return job ? { oid, after: job.after } : undefined;
  }

  /** Hands a chunk over; resolves once the stream passed its marker and emitted what it kept. */
  async awaitMarker(oid: number, chunk: ReadChunk): Promise<ChunkOutcome> {
    const job = this.jobs.get(oid);
    if (!job) return { kind: "emitted", rows: 0, dropped: chunk.rows.length };
    const outcome = new Promise<ChunkOutcome>((resolve) => {
      job.pending = { chunk, settle: resolve };
    });
    // The stream may have passed the marker before the write returned: emit right here, then.
    if (this.lastMarkerSeq >= chunk.markerSeq) await this.settle(job);
    return outcome;
  }

  /** The source's heartbeat row with `seq` went by in the stream, at `lsn`. */
  async onHeartbeat(seq: bigint, lsn: Lsn): Promise<void> {
    if (seq > this.lastMarkerSeq) this.lastMarkerSeq = seq;
    this.lastLsn = lsn;
    for (const job of this.jobs.values()) {
      if (job.pending && job.pending.chunk.markerSeq <= seq) await this.settle(job);
    }
  }

  /** The stream stops: chunks waiting for a marker are read again next time. */
  close(): void {
    for (const job of this.jobs.values()) {
      job.pending?.settle({ kind: "again" });
      job.pending = undefined;
    }
  }

  /** The job read its table to the end (or the table is gone). */
  finish(oid: number): void {
    const job = this.jobs.get(oid);
    if (!job) return;
    this.jobs.delete(oid);
    job.pending?.settle({ kind: "again" });
    this.dirty = true;
  }

  /** A transaction's commit went by: what changed before it is durable once this LSN is. */
  onCommit(lsn: Lsn): void {
    this.lastLsn = lsn;
    if (!this.dirty) return;
    this.dirty = false;
    this.bound.push({ lsn, state: { tables: [...this.tables], backfills: this.activeJobs } });
  }

  /** The capture state as of `lsn`, once everything up to it is durable. */
  stateAt(lsn: Lsn): CaptureState {
    while (this.bound.length > 0 && (this.bound[0]?.lsn ?? lsn + 1n) <= lsn) {
      this.durableState = (this.bound.shift() as { state: CaptureState }).state;
    }
    return this.durableState;
  }

  private addJob(oid: number, after: string[] | null): void {
    this.jobs.set(oid, { oid, after, touched: new Map(), wholeTable: [], reshaped: false, read: false });
  }

  private async settle(job: Job): Promise<void> {
    const pending = job.pending;
    if (!pending) return;
    job.pending = undefined;
    const { chunk } = pending;
    const visible = snapshotVisibility(chunk.snapshot);
    const wholeTableChanged = job.wholeTable.some((xid) => !visible(xid));
    if (job.reshaped || wholeTableChanged) {
      job.wholeTable = job.wholeTable.filter((xid) => !visible(xid));
      pending.settle({ kind: "again" });
      return;
    }
    const table = chunk.table;
    const source = this.source(table);
    let emitted = 0;
    let bytes = 0;
    for (const values of chunk.rows) {
      const row = rowFromText(table, values);
      const key = keyOf(table, row);
      if (key) {
        // A later transaction's change: the stream carries the newer row. A change the snapshot
        // saw, sent whole: the stream carried this very row already (each key's changes commit
        // in one order, so the last one decides).
        const touch = job.touched.get(keyText(Object.values(key)));
        if (touch && (!visible(touch.xid) || touch.whole)) continue;
      }
      const envelope = snapshotEnvelope(row, source, this.options.origin, BigInt(Date.now()));
      for (const record of toRecords(table, key, envelope, this.options.records)) {
        const size = (record.key?.length ?? 0) + (record.value?.length ?? 0);
        bytes += size;
        await this.options.batcher.add(record, size);
      }
      emitted += 1;
    }
    // A change every later snapshot sees hides its key from a later chunk only if it was whole.
    for (const [key, touch] of job.touched) if (visible(touch.xid) && !touch.whole) job.touched.delete(key);
    job.wholeTable = job.wholeTable.filter((xid) => !visible(xid));
    const last = chunk.rows.at(-1);
    if (last && table.shape.key.length > 0) {
      job.after = table.shape.key.map((name) => {
        const position = table.shape.columns.findIndex((column) => column.name === name);
        return last[position] ?? "";
      });
    }
    // One read covers a keyless table whole: its changes after this point are the stream's.
    if (table.shape.key.length === 0) job.read = true;
    this.dirty = true;
    this.options.countRows(table, emitted, bytes);
    pending.settle({ kind: "emitted", rows: emitted, dropped: chunk.rows.length - emitted });
  }

  private source(table: CapturedTable): SourceInfo {
    return {
      connector: "postgres",
      name: this.options.connectorName,
      database: this.options.database,
      schema: table.shape.schema,
      table: table.shape.table,
      lsn: this.lastLsn,
      file: null,
      pos: null,
      gtid: null,
      txId: null,
      commitTsMs: null,
      snapshot: true,
    };
  }
}
