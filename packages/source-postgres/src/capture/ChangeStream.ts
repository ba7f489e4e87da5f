import type { Envelope, Logger, OutgoingRecord, Row, SourceInfo, TokenBucketThrottle } from "@tributary/core";
import { TributaryError } from "@tributary/core";
import type { IncrementalSnapshot } from "../backfill/IncrementalSnapshot.js";
import type { OutboundBatcher } from "../pipeline/OutboundBatcher.js";
import type { Lsn } from "../replication/lsn.js";
import type { PgoutputMessage, RelationMessage, TupleData } from "../replication/pgoutput-messages.js";
import type { PgoutputPluginOutput } from "../replication/TributaryPgoutputPlugin.js";
import type { CapturedTable, RelationShape } from "./CapturedTable.js";
import { changeRecords, keyOf, type RecordOptions, rowFromTuple, toRecords } from "./change-events.js";
import type { HelperTableKind } from "./helper-tables.js";
import { TransactionSpill } from "./TransactionSpill.js";
import { isInvisibleUpdate } from "./unchanged-update.js";

/** What the stream needs from the connector around it. */
export interface ChangeStreamContext {
  connectorName: string;
  database: string;
  origin: string;
  records: RecordOptions;
  batcher: OutboundBatcher;
  logger: Logger;
  /** The helper table a relation is, if it is one. */
  helperKind(schema: string, table: string): HelperTableKind | undefined;
  isSelected(schema: string, table: string): boolean;
  /** The relation as the catalog has it now: its key (primary key, else identity index) and column facts. */
  catalogShape(oid: number): Promise<RelationShape | undefined>;
  /** Builds and registers the schemas of a table version. */
  prepareTable(shape: RelationShape): Promise<CapturedTable>;
  /** A row inserted into tributary_ddl, at its place in the stream. */
  onDdl(row: Record<string, string | null>, source: SourceInfo, origin: string): Promise<OutgoingRecord[]>;
  /** A Type message: the type may have changed; its name stays known if it is dropped later. */
  onTypeChanged(typeOid: number, schema: string, name: string): void;
  /** A type changed in place (ALTER TYPE, ALTER DOMAIN): forget what is known of every type. */
  onTypesAltered(): void;
  /** Where transactions streamed before their commit wait on disk. */
  spillDirectory: string;
  countEvent(table: CapturedTable, op: string, bytes: number): void;
  /** Limits the stream to throttle.stream rows/s and bytes/s. */
  throttle: TokenBucketThrottle;
  /**
   * The `_heartbeat` record for a transaction that updated this source's heartbeat row: `lsn`
   * is its end (the position read up to), `commitTsMs` its commit time.
   */
  heartbeatRecord?(lsn: Lsn, commitTsMs: bigint): OutgoingRecord;
  /** Tables read while streaming: told of their changes, of the source's markers and of commits. */
  incremental?: Pick<
    IncrementalSnapshot,
    "tracks" | "changed" | "truncated" | "leavesToRead" | "onHeartbeat" | "onCommit"
  >;
}

interface OpenTransaction {
  xid: number;
  commitTsMs: bigint;
  origin: string;
  totalOrder: bigint;
  perTable: Map<number, bigint>;
  /** The transaction updated this source's heartbeat row. */
  ownHeartbeat?: boolean;
}

type RelationState =
  | { kind: "captured"; table: CapturedTable }
  | { kind: "helper"; helper: HelperTableKind; relation: RelationMessage }
  | { kind: "ignored" };

/** One row change (or truncate), from the stream directly or replayed from a spill file. */
interface RowChange {
  version: number;
  kind: "insert" | "update" | "delete" | "truncate";
  lsn: Lsn;
  oldTuple?: TupleData | undefined;
  /** What the old tuple holds: every column (REPLICA IDENTITY FULL) or the key only. */
  oldKind?: "key" | "full" | undefined;
  newTuple?: TupleData | undefined;
}

/** DDL that changes a type in place, which no Relation or Type message reports. */
const TYPE_ALTERING_COMMANDS = new Set(["ALTER TYPE", "ALTER DOMAIN"]);

/** The prefix Tributary sinks give their replication origins (DESIGN.md section 6). */
const ORIGIN_PREFIX = "tributary_";

/**
 * Turns decoded pgoutput messages into change events, one transaction at a time, in commit
 * order. Each Commit marks its end LSN in the batcher, which reports it durable once Kafka
 * acknowledged every event before it. Transactions PostgreSQL streams while in progress
 * (protocol 2) are spilled to disk and published only at their Stream Commit.
 */
export class ChangeStream {
  /** Relation versions by id: a spilled change refers to the version it was decoded with. */
  private readonly versions = new Map<number, RelationState>();
  private readonly current = new Map<number, number>();
  private nextVersion = 1;
  /** Selected relations whose last Relation message had no old key: their changes were left out. */
  private readonly withoutOldKey = new Set<number>();
  private tx: OpenTransaction | undefined;
  private readonly streams = new Map<number, TransactionSpill>();
  private inStream: TransactionSpill | undefined;

  constructor(private readonly context: ChangeStreamContext) {}

  async handle(lsn: Lsn, output: PgoutputPluginOutput): Promise<void> {
    if (output.tag === "decode-failure") throw output.error;
    const message: PgoutputMessage = output;
    switch (message.tag) {
      case "begin":
        this.tx = this.openTransaction(message.xid, BigInt(message.commitTimeMs), this.context.origin);
        return;
      case "origin":
        if (this.inStream) this.inStream.origin = originOf(message.originName);
        else if (this.tx) this.tx.origin = originOf(message.originName);
        return;
      case "relation":
        await this.onRelation(message);
        return;
      case "type":
        this.context.onTypeChanged(message.typeOid, message.schema, message.name);
        return;
      case "insert":
        await this.onChange(
          {
            version: this.versionOf(message.relationOid, lsn),
            kind: "insert",
            lsn,
            newTuple: message.newTuple,
          },
          message.xid,
        );
        return;
      case "update":
        await this.onChange(
          {
            version: this.versionOf(message.relationOid, lsn),
            kind: "update",
            lsn,
            oldTuple: message.oldTuple?.values,
            oldKind: message.oldTuple?.kind,
            newTuple: message.newTuple,
          },
          message.xid,
        );
        return;
      case "delete":
        await this.onChange(
          {
            version: this.versionOf(message.relationOid, lsn),
            kind: "delete",
            lsn,
            oldTuple: message.oldTuple.values,
          },
          message.xid,
        );
        return;
      case "truncate":
        for (const oid of message.relationOids) {
          await this.onChange({ version: this.versionOf(oid, lsn), kind: "truncate", lsn }, message.xid);
        }
        return;
      case "commit": {
        const committed = this.tx;
        this.tx = undefined;
        if (committed?.ownHeartbeat && this.context.heartbeatRecord) {
          // Added before the mark: once the heartbeat is in Kafka, so is every event before it.
          const record = this.context.heartbeatRecord(message.endLsn, BigInt(message.commitTimeMs));
          await this.context.batcher.add(record, (record.value?.length ?? 0) + 64);
        }
        this.context.incremental?.onCommit(message.endLsn);
        this.context.batcher.mark(message.endLsn);
        return;
      }
      case "stream-start": {
        let spill = this.streams.get(message.xid);
        if (!spill) {
          spill = await TransactionSpill.open(this.context.spillDirectory, message.xid);
          this.streams.set(message.xid, spill);
        }
        this.inStream = spill;
        return;
      }
      case "stream-stop":
        this.inStream = undefined;
        return;
      case "stream-commit":
        await this.replay(message.xid, BigInt(message.commitTimeMs));
        this.context.incremental?.onCommit(message.endLsn);
        this.context.batcher.mark(message.endLsn);
        return;
      case "stream-abort": {
        const spill = this.streams.get(message.xid);
        if (!spill) return;
        if (message.subxid === message.xid) {
          this.streams.delete(message.xid);
          await spill.discard();
          this.pruneVersions();
        } else {
          spill.abortSubtransaction(message.subxid);
        }
        return;
      }
      case "message":
        return;
      default:
        throw new TributaryError(
          "TRB_PG_PROTOCOL",
          `unexpected pgoutput message '${message.tag}' at ${lsn}; this connector does not ask for two-phase transactions`,
        );
    }
  }

  /** Selected tables whose changes were left out for want of an old key (see onRelation). */
  get relationsWithoutOldKey(): ReadonlySet<number> {
    return this.withoutOldKey;
  }

  /** Files of transactions still streaming when the connector stops are of no use later. */
  async close(): Promise<void> {
    for (const spill of this.streams.values()) await spill.discard();
    this.streams.clear();
  }

  private async onRelation(message: RelationMessage): Promise<void> {
    let state: RelationState;
    const helper = this.context.helperKind(message.schema, message.name);
    if (helper) {
      state = { kind: "helper", helper, relation: message };
    } else if (!this.context.isSelected(message.schema, message.name)) {
      state = { kind: "ignored" };
    } else if (!hasOldKey(message)) {
      // The publication refuses such a table (RefusalReport says why), but a schema published
      // whole sends its changes until the publication is refreshed: none are published, and the
      // table is read whole if it joins later.
      this.withoutOldKey.add(message.relationOid);
      state = { kind: "ignored" };
    } else {
      this.withoutOldKey.delete(message.relationOid);
      const shape = shapeOfRelation(message, await this.context.catalogShape(message.relationOid));
      state = { kind: "captured", table: await this.context.prepareTable(shape) };
    }
    const version = this.nextVersion++;
    this.versions.set(version, state);
    this.current.set(message.relationOid, version);
  }

  private versionOf(oid: number, lsn: Lsn): number {
    const version = this.current.get(oid);
    if (version === undefined) {
      throw new TributaryError(
        "TRB_PG_PROTOCOL",
        `a change of relation ${oid} at ${lsn} arrived before its Relation message`,
      );
    }
    return version;
  }

  private async onChange(change: RowChange, xid: number | undefined): Promise<void> {
    if (this.inStream) {
      await this.inStream.append({ ...change, subxid: xid ?? this.inStream.xid });
      return;
    }
    if (!this.tx) {
      throw new TributaryError("TRB_PG_PROTOCOL", `a change at ${change.lsn} arrived outside a transaction`);
    }
    await this.apply(this.tx, change);
  }

  private async replay(xid: number, commitTsMs: bigint): Promise<void> {
    const spill = this.streams.get(xid);
    if (!spill) return;
    this.streams.delete(xid);
    const tx = this.openTransaction(xid, commitTsMs, spill.origin ?? this.context.origin);
    try {
      for await (const change of spill.replay()) await this.apply(tx, { ...change, lsn: change.lsn as Lsn });
    } finally {
      await spill.discard();
      this.pruneVersions();
    }
  }

  /** Forgets relation versions no open stream can refer to any more. */
  private pruneVersions(): void {
    if (this.streams.size > 0) return;
    const live = new Set(this.current.values());
    for (const version of this.versions.keys()) if (!live.has(version)) this.versions.delete(version);
  }

  private openTransaction(xid: number, commitTsMs: bigint, origin: string): OpenTransaction {
    return { xid, commitTsMs, origin, totalOrder: 0n, perTable: new Map() };
  }

  private async apply(tx: OpenTransaction, change: RowChange): Promise<void> {
    const state = this.versions.get(change.version);
    if (!state || state.kind === "ignored") return;
    if (state.kind === "helper") {
      await this.onHelperRow(state, change.lsn, tx, change.newTuple);
      return;
    }
    const table = state.table;
    const incremental = this.context.incremental?.tracks(table.shape.oid)
      ? this.context.incremental
      : undefined;
    const keyless = table.shape.key.length === 0;
    if (change.kind === "truncate") {
      incremental?.truncated(table.shape.oid, tx.xid);
      if (incremental?.leavesToRead(table.shape.oid, keyless)) return;
      await this.emit(table, null, {
        before: null,
        after: null,
        unchanged: [],
        op: "t",
        source: this.source(table, change.lsn, tx),
        origin: tx.origin,
        ts_ms: BigInt(Date.now()),
        transaction: this.transactionOf(tx, table.shape.oid),
      });
      return;
    }
    const op = change.kind === "insert" ? "c" : change.kind === "update" ? "u" : "d";
    const before = change.oldTuple ? rowFromTuple(table, change.oldTuple).row : null;
    const after = change.newTuple ? rowFromTuple(table, change.newTuple) : undefined;
    const keyRow = after && op !== "d" ? keyOf(table, after.row) : before ? keyOf(table, before) : null;
    if (
      op === "u" &&
      before &&
      after &&
      change.oldKind === "full" &&
      isInvisibleUpdate({
        oldImage: change.oldKind,
        hasExcludedColumns: table.byPosition.includes(null),
        before,
        after: after.row,
        unchanged: after.unchanged,
      })
    ) {
      // Only excluded columns changed: no event, and no reason for a backfill chunk to skip the row.
      return;
    }
    const source = this.source(table, change.lsn, tx);
    const oid = table.shape.oid;
    if (incremental) {
      if (before && keyRow !== null) incremental.changed(oid, keyOf(table, before), tx.xid, op === "d");
      incremental.changed(
        oid,
        keyRow,
        tx.xid,
        op === "d" || (after !== undefined && after.unchanged.length === 0),
      );
      if (incremental.leavesToRead(oid, keyless)) return;
    }
    if (op === "u" && before && keyRow && keyChanged(table, before, after?.row)) {
      // A key change: a delete of the old key, then an insert of the new one, so every
      // partition (and a compacted topic) sees the old key go.
      await this.emit(table, keyOf(table, before), {
        before,
        after: null,
        unchanged: [],
        op: "d",
        source,
        origin: tx.origin,
        ts_ms: BigInt(Date.now()),
        transaction: this.transactionOf(tx, oid),
      });
      const inserted = withOldValues(after, before);
      await this.emit(table, keyRow, {
        before: null,
        after: inserted.row,
        unchanged: inserted.unchanged,
        op: "c",
        source,
        origin: tx.origin,
        ts_ms: BigInt(Date.now()),
        transaction: this.transactionOf(tx, oid),
      });
      return;
    }
    const envelope: Envelope = {
      before,
      after: after?.row ?? null,
      unchanged: after?.unchanged ?? [],
      op,
      source,
      origin: tx.origin,
      ts_ms: BigInt(Date.now()),
      transaction: this.transactionOf(tx, oid),
    };
    await this.publish(
      table,
      op,
      changeRecords(table, keyRow, envelope, change.oldTuple, change.newTuple, this.context.records),
    );
  }

  /**
   * pgoutput sends no Relation message when a column's type changes in place (an enum's new
   * label, a domain's new constraint): every captured table gets a new version with its types
   * read again, so the events that may hold the new label carry it in their schema.
   */
  private async retypeCapturedTables(): Promise<void> {
    this.context.onTypesAltered();
    for (const [oid, version] of this.current) {
      const state = this.versions.get(version);
      if (state?.kind !== "captured") continue;
      const table = await this.context.prepareTable(state.table.shape);
      const next = this.nextVersion++;
      this.versions.set(next, { kind: "captured", table });
      this.current.set(oid, next);
    }
    this.pruneVersions();
  }

  private async onHelperRow(
    state: { helper: HelperTableKind; relation: RelationMessage },
    lsn: Lsn,
    tx: OpenTransaction,
    tuple: TupleData | undefined,
  ): Promise<void> {
    if (!tuple) return;
    const row = textRow(state.relation, tuple);
    if (state.helper === "origin_marker") {
      if (row.origin) tx.origin = row.origin;
      return;
    }
    if (state.helper === "ddl") {
      const source: SourceInfo = {
        ...this.baseSource(lsn, tx),
        schema: row.schema_name ?? null,
        table: row.object_name ?? "",
      };
      for (const record of await this.context.onDdl(row, source, tx.origin)) {
        await this.context.batcher.add(record, (record.value?.length ?? 0) + 64);
      }
      if (row.connector === this.context.connectorName && TYPE_ALTERING_COMMANDS.has(row.command_tag ?? "")) {
        await this.retypeCapturedTables();
      }
    }
    if (state.helper === "heartbeat" && row.connector === this.context.connectorName) {
      // Published as a heartbeat event at the commit of this transaction.
      tx.ownHeartbeat = true;
      // The source's own heartbeats also mark where the chunks of an incremental snapshot go.
      if (row.seq) await this.context.incremental?.onHeartbeat(BigInt(row.seq), lsn);
    }
    // Heartbeat rows otherwise only move the stream (and so the confirmed LSN) forward.
  }

  private async emit(
    table: CapturedTable,
    key: Row | null,
    envelope: Parameters<typeof toRecords>[2],
  ): Promise<void> {
    await this.publish(table, envelope.op, toRecords(table, key, envelope, this.context.records));
  }

  private async publish(table: CapturedTable, op: Envelope["op"], records: OutgoingRecord[]): Promise<void> {
    for (const record of records) {
      const bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
      this.context.countEvent(table, op, bytes);
      if (!this.context.throttle.unlimited) await this.context.throttle.take(1, bytes);
      await this.context.batcher.add(record, bytes);
    }
  }

  private transactionOf(
    tx: OpenTransaction,
    oid: number,
  ): { id: string; total_order: bigint; data_collection_order: bigint } {
    tx.totalOrder += 1n;
    const perTable = (tx.perTable.get(oid) ?? 0n) + 1n;
    tx.perTable.set(oid, perTable);
    return { id: String(tx.xid), total_order: tx.totalOrder, data_collection_order: perTable };
  }

  private baseSource(lsn: Lsn, tx: OpenTransaction): SourceInfo {
    return {
      connector: "postgres",
      name: this.context.connectorName,
      database: this.context.database,
      schema: null,
      table: "",
      lsn,
      file: null,
      pos: null,
      gtid: null,
      txId: String(tx.xid),
      commitTsMs: tx.commitTsMs,
      snapshot: false,
    };
  }

  private source(table: CapturedTable, lsn: Lsn, tx: OpenTransaction): SourceInfo {
    return { ...this.baseSource(lsn, tx), schema: table.shape.schema, table: table.shape.table };
  }
}

/**
 * The shape of a table version from its Relation message, which is the truth for the changes
 * that follow it, completed from the catalog with what the message lacks: array dimensions,
 * NOT NULL, and the primary key when the replica identity is FULL. Catalog facts are taken only
 * for columns whose type still matches.
 */
export function shapeOfRelation(message: RelationMessage, catalog: RelationShape | undefined): RelationShape {
  const catalogColumns = new Map(catalog?.columns.map((column) => [column.name, column]));
  const names = new Set(message.columns.map((column) => column.name));
  const catalogKey = catalog?.key ?? [];
  const key =
    catalogKey.length > 0 && catalogKey.every((name) => names.has(name))
      ? catalogKey
      : message.replicaIdentity === "i" || message.replicaIdentity === "d"
        ? message.columns.filter((column) => column.isKey).map((column) => column.name)
        : [];
  return {
    oid: message.relationOid,
    schema: message.schema,
    table: message.name,
    key,
    columns: message.columns.map((column) => {
      const known = catalogColumns.get(column.name);
      const same = known && known.typeOid === column.typeOid && known.typmod === column.typeMod;
      return {
        name: column.name,
        typeOid: column.typeOid,
        typmod: column.typeMod,
        ...(same && known.notNull !== undefined ? { notNull: known.notNull } : {}),
        ...(same && known.dimensions !== undefined ? { dimensions: known.dimensions } : {}),
      };
    }),
  };
}

/**
 * The new row of a key change, with columns PostgreSQL did not send (unchanged TOAST) taken from
 * the old row image where it has them (REPLICA IDENTITY FULL); the rest stay in `unchanged`.
 */
function withOldValues(
  after: { row: Row; unchanged: string[] } | undefined,
  before: Row,
): { row: Row | null; unchanged: string[] } {
  if (!after) return { row: null, unchanged: [] };
  if (after.unchanged.length === 0) return after;
  const row = { ...after.row };
  const unchanged: string[] = [];
  for (const field of after.unchanged) {
    const old = before[field];
    if (old === undefined || old === null) unchanged.push(field);
    else row[field] = old;
  }
  return { row, unchanged };
}

/** `tributary_dc1` → `dc1`; any other replication origin keeps its own name. */
export function originOf(originName: string): string {
  return originName.startsWith(ORIGIN_PREFIX) ? originName.slice(ORIGIN_PREFIX.length) : originName;
}

function keyChanged(table: CapturedTable, before: Row, after: Row | undefined): boolean {
  if (!after) return false;
  return table.keyFields.some((field) => {
    const a = before[field];
    const b = after[field];
    if (a === undefined || a === null || b === undefined || b === null) return false;
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) ? !a.equals(b) : String(a) !== String(b);
  });
}

function textRow(relation: RelationMessage, tuple: TupleData): Record<string, string | null> {
  const row: Record<string, string | null> = {};
  relation.columns.forEach((column, i) => {
    const value = tuple[i];
    row[column.name] = value?.kind === "text" ? value.text : null;
  });
  return row;
}

/** Whether updates and deletes of the relation identify their row: a key, or REPLICA IDENTITY FULL. */
function hasOldKey(relation: RelationMessage): boolean {
  if (relation.replicaIdentity === "f") return true;
  if (relation.replicaIdentity === "n") return false;
  return relation.columns.some((column) => column.isKey);
}
