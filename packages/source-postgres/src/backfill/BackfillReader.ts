import { type Logger, TributaryError } from "@tributary/core";
import pg from "pg";
import type { CapturedTable, RelationShape } from "../capture/CapturedTable.js";
import { describeTable } from "../capture/relation-catalog.js";
import { RAW_TEXT } from "../connection.js";
import { chunkPredicate, type KeyColumn } from "../snapshot/chunk-plan.js";
import type { IncrementalSnapshot } from "./IncrementalSnapshot.js";

export interface BackfillReaderOptions {
  /** A new connection with the source's session settings. */
  connect: () => Promise<pg.Client>;
  snapshot: IncrementalSnapshot;
  prepare: (shape: RelationShape) => Promise<CapturedTable>;
  /** The source's heartbeat upsert (`$1` = connector name), which serves as the marker. */
  heartbeatSql: string;
  connectorName: string;
  chunkRows: number;
  serverVersionNum: number;
  logger: Logger;
  signal: AbortSignal;
  /** How often to look whether older transactions have ended. */
  pollMs?: number;
}

/** Transactions of this database that hold an xid now, other than this session's. */
const OPEN_TRANSACTIONS = `
  SELECT l.transactionid::text AS xid
    FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
   WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
     AND a.datname = current_database() AND l.pid <> pg_catalog.pg_backend_pid()`;

/**
 * Reads the tables the incremental snapshot has to read, one table and one chunk at a time, on
 * its own connection: each chunk in a REPEATABLE READ transaction that also returns its snapshot,
 * then a marker (a heartbeat row) the stream recognizes; the next chunk starts once the stream
 * passed that marker.
 */
export class BackfillReader {
  private wakeUp: () => void = () => undefined;

  constructor(private readonly options: BackfillReaderOptions) {}

  /** New work may be waiting. */
  wake(): void {
    this.wakeUp();
  }

  /** Runs until the signal aborts; rejects on the first failure. */
  async run(): Promise<void> {
    let client: pg.Client | undefined;
    try {
      while (!this.options.signal.aborted) {
        const job = this.options.snapshot.activeJobs[0];
        if (!job) {
          await this.idle();
          continue;
        }
        client ??= await this.options.connect();
        await this.readTable(client, job.oid);
      }
    } finally {
      await client?.end().catch(() => undefined);
    }
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.options.signal.removeEventListener("abort", done);
        this.wakeUp = () => undefined;
        resolve();
      };
      this.wakeUp = done;
      this.options.signal.addEventListener("abort", done, { once: true });
    });
  }

  private async readTable(client: pg.Client, oid: number): Promise<void> {
    const { snapshot, logger } = this.options;
    await this.waitForOlderTransactions(client, oid);
    let rows = 0;
    for (;;) {
      if (this.options.signal.aborted) return;
      const progress = snapshot.progressOf(oid);
      if (!progress) return;
      const shape = await describeTable(client, oid);
      if (!shape) {
        snapshot.finish(oid);
        return;
      }
      const table = await this.options.prepare(shape);
      const keyColumns = await this.keyColumns(client, table);
      snapshot.beginRead(oid);
      let read: { rows: (string | null)[][]; snapshot: string };
      try {
        read = await this.readChunk(client, table, keyColumns, progress.after);
      } catch (error) {
        // Dropped, renamed or altered since it was described: describe it again.
        const code = (error as { code?: unknown }).code;
        if (code === "42P01" || code === "42703") continue;
        throw error;
      }
      if (read.rows.length === 0) {
        logger.info({ table: table.qualifiedName, rows }, "incremental snapshot of a joining table done");
        snapshot.finish(oid);
        return;
      }
      const marker = await client.query<{ seq: string }>(`${this.options.heartbeatSql} RETURNING seq::text`, [
        this.options.connectorName,
      ]);
      const outcome = await snapshot.awaitMarker(oid, {
        table,
        rows: read.rows,
        snapshot: read.snapshot,
        markerSeq: BigInt(marker.rows[0]?.seq ?? "0"),
      });
      if (outcome.kind === "again") continue;
      rows += outcome.rows;
      logger.info(
        { table: table.qualifiedName, rows: outcome.rows, newerInStream: outcome.dropped },
        "incremental snapshot chunk emitted",
      );
      if (keyColumns.length === 0 || read.rows.length < this.options.chunkRows) {
        logger.info({ table: table.qualifiedName, rows }, "incremental snapshot of a joining table done");
        snapshot.finish(oid);
        return;
      }
    }
  }

  /**
   * A transaction that began before the table joined the publication may have changed it without
   * pgoutput publishing those changes: wait until such transactions ended, so the chunks see them.
   */
  private async waitForOlderTransactions(client: pg.Client, oid: number): Promise<void> {
    const open = new Set((await client.query<{ xid: string }>(OPEN_TRANSACTIONS)).rows.map((row) => row.xid));
    let logged = false;
    const started = Date.now();
    while (open.size > 0 && !this.options.signal.aborted) {
      const still = (await client.query<{ xid: string }>(OPEN_TRANSACTIONS)).rows.filter((row) =>
        open.has(row.xid),
      );
      if (still.length === 0) return;
      if (!logged && Date.now() - started > 30_000) {
        logged = true;
        this.options.logger.warn(
          { oid, transactions: still.map((row) => row.xid) },
          "the incremental snapshot of a joining table waits for transactions older than its start to end",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 100));
    }
  }

  private async keyColumns(client: pg.Client, table: CapturedTable): Promise<KeyColumn[]> {
    if (table.shape.key.length === 0) return [];
    const { rows } = await client.query<{ name: string; type: string }>(
      `SELECT k.name, format_type(a.atttypid, a.atttypmod) AS type
         FROM unnest($2::text[]) WITH ORDINALITY AS k(name, ord)
         JOIN pg_attribute a ON a.attrelid = $1 AND a.attname = k.name
        ORDER BY k.ord`,
      [table.shape.oid, table.shape.key],
    );
    return rows.map((row) => ({ name: row.name, sqlType: row.type }));
  }

  private async readChunk(
    client: pg.Client,
    table: CapturedTable,
    key: KeyColumn[],
    after: string[] | null,
  ): Promise<{ rows: (string | null)[][]; snapshot: string }> {
    const select = table.byPosition
      .map((column, i) =>
        column ? pg.escapeIdentifier(table.shape.columns[i]?.name ?? column.name) : "NULL",
      )
      .join(", ");
    const from = `${pg.escapeIdentifier(table.shape.schema)}.${pg.escapeIdentifier(table.shape.table)}`;
    const where = chunkPredicate(key, { after: key.length > 0 ? after : null, upTo: null });
    const order =
      key.length > 0
        ? ` ORDER BY ${key.map((k) => pg.escapeIdentifier(k.name)).join(", ")} LIMIT ${this.options.chunkRows}`
        : "";
    const snapshotFunction =
      this.options.serverVersionNum >= 130000 ? "pg_current_snapshot()" : "txid_current_snapshot()";
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      // The first statement fixes the transaction's snapshot: the rows below are read in it.
      const snap = await client.query<{ s: string }>(`SELECT ${snapshotFunction}::text AS s`);
      const result = await client.query<(string | null)[]>({
        text: `SELECT ${select} FROM ${from} WHERE ${where.sql}${order}`,
        values: where.params,
        rowMode: "array",
        types: RAW_TEXT,
      });
      await client.query("COMMIT");
      const snapshot = snap.rows[0]?.s;
      if (!snapshot) throw new TributaryError("TRB_PG_PROTOCOL", `${snapshotFunction} returned nothing`);
      return { rows: result.rows, snapshot };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}
