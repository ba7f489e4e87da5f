import { type Logger, TributaryError } from "@tributary/core";
import pg from "pg";
import type { CapturedTable } from "../capture/CapturedTable.js";
import { RAW_TEXT } from "../connection.js";
import { CopyOutQuery } from "./CopyOutQuery.js";
import {
  boundaryQuery,
  type Chunk,
  chunkPredicateSql,
  chunksBetween,
  histogramBoundaries,
  histogramQuery,
  type KeyColumn,
} from "./chunk-plan.js";

export interface SnapshotReaderOptions {
  /** Opens a fresh, connected client. */
  connect: () => Promise<pg.Client>;
  /** The snapshot exported with the slot; every worker reads inside it. */
  snapshotName: string;
  tables: readonly CapturedTable[];
  workers: number;
  chunkRows: number;
  /**
   * Takes each row as a line of COPY text of the table's columns in `byPosition` order (NULL
   * for an excluded column), valid only during the call; a returned promise holds the next
   * row of the chunk back until it settles.
   */
  onRow: (table: CapturedTable, line: Buffer) => Promise<void> | undefined;
  onChunkDone: (table: CapturedTable, rows: number) => void | Promise<void>;
  logger: Logger;
  signal?: AbortSignal;
}

interface WorkItem {
  table: CapturedTable;
  chunk: Chunk;
  keyColumns: KeyColumn[];
}

/**
 * Reads every captured table inside the slot's exported snapshot with several workers. A keyed
 * table with more rows than `chunkRows` is split into key ranges, so workers share big tables:
 * bounds from the planner statistics' histogram of a one-column key when it has one, else from
 * one ordered scan of the key. A keyless table is read in one piece.
 */
export class SnapshotReader {
  /** The connection error each worker's client reported, if it lost its connection. */
  private readonly lost = new WeakMap<pg.Client, Error>();

  constructor(private readonly options: SnapshotReaderOptions) {}

  async run(): Promise<void> {
    const clients: pg.Client[] = [];
    try {
      for (let i = 0; i < this.options.workers; i++) clients.push(await this.openWorker());
      const { queue, fromStatistics } = await this.plan(clients[0] as pg.Client);
      this.options.logger.info(
        { tables: this.options.tables.length, chunks: queue.length, fromStatistics, workers: clients.length },
        "snapshot planned",
      );
      await Promise.all(clients.map((client) => this.work(client, queue)));
      for (const client of clients) await client.query("COMMIT");
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    }
  }

  private async openWorker(): Promise<pg.Client> {
    const client = await this.options.connect();
    // The first error says what happened (57P01, ECONNRESET…); the "Connection terminated
    // unexpectedly" node-postgres reports when the socket then ends has no code.
    client.on("error", (error) => {
      if (!this.lost.has(client)) this.lost.set(client, error);
    });
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(this.options.snapshotName)}`);
    return client;
  }

  /** Largest tables first, so the long pieces start early. */
  private async plan(client: pg.Client): Promise<{ queue: WorkItem[]; fromStatistics: number }> {
    /** Tables split by their statistics' histogram. */
    let fromStatistics = 0;
    const items: { item: WorkItem; estimate: number }[] = [];
    for (const table of this.options.tables) {
      const { rows } = await client.query<{ estimate: string; types: string[] | null }>(
        `SELECT c.reltuples::bigint::text AS estimate,
                (SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord)
                   FROM unnest($2::text[]) WITH ORDINALITY AS k(name, ord)
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = k.name) AS types
           FROM pg_class c WHERE c.oid = $1`,
        [table.shape.oid, table.shape.key],
      );
      // reltuples is -1 for a table never vacuumed or analyzed: its size is unknown, so plan chunks.
      const reltuples = Number(rows[0]?.estimate ?? -1);
      const estimate = Math.max(0, reltuples);
      const keyColumns = table.shape.key.map((name, i) => ({ name, sqlType: rows[0]?.types?.[i] ?? "text" }));
      let chunks: Chunk[] = [{ after: null, upTo: null }];
      if (keyColumns.length > 0 && (reltuples < 0 || estimate > this.options.chunkRows * 1.5)) {
        const histogram =
          reltuples > 0 && keyColumns.length === 1
            ? await this.statisticsBoundaries(client, table, keyColumns[0] as KeyColumn, estimate)
            : [];
        if (histogram.length > 0) fromStatistics++;
        chunks = chunksBetween(
          histogram.length > 0 ? histogram : await this.scannedBoundaries(client, table, keyColumns),
        );
      }
      for (const chunk of chunks) {
        items.push({ item: { table, chunk, keyColumns }, estimate: estimate / chunks.length });
      }
    }
    const queue = items.sort((a, b) => b.estimate - a.estimate).map(({ item }) => item);
    return { queue, fromStatistics };
  }

  /**
   * Chunk bounds of a table with a one-column key from its statistics' histogram, read without
   * touching the table; empty when it has none (never analyzed, or a key with a collation) or
   * one too small to split.
   */
  private async statisticsBoundaries(
    client: pg.Client,
    table: CapturedTable,
    key: KeyColumn,
    estimate: number,
  ): Promise<string[][]> {
    const { rows } = await client.query<{ k0: string }>({
      text: histogramQuery(key),
      values: [table.shape.schema, table.shape.table, key.name, table.shape.oid],
      types: RAW_TEXT,
    });
    return histogramBoundaries(
      rows.map((row) => row.k0),
      Math.ceil(estimate / this.options.chunkRows),
    );
  }

  /** Every `chunkRows`-th key, from one ordered scan of the table's key. */
  private async scannedBoundaries(
    client: pg.Client,
    table: CapturedTable,
    keyColumns: readonly KeyColumn[],
  ): Promise<string[][]> {
    const bounds = await client.query<Record<string, string>>({
      text: boundaryQuery(qualified(table), keyColumns, this.options.chunkRows),
      types: RAW_TEXT,
    });
    return bounds.rows.map((row) => keyColumns.map((_, i) => row[`k${i}`] ?? ""));
  }

  private async work(client: pg.Client, queue: WorkItem[]): Promise<void> {
    for (let item = queue.shift(); item; item = queue.shift()) {
      if (this.options.signal?.aborted) {
        throw new TributaryError("TRB_SHUTDOWN", "snapshot stopped by shutdown", { retriable: true });
      }
      try {
        await this.readChunk(client, item);
      } catch (error) {
        // A connection lost between two queries fails the next one with node-postgres' "not
        // queryable" error, which has no code: the retry loop would take it for a permanent
        // failure. The connection's own error (57P01, ECONNRESET…) says what happened. A query
        // that failed with a code (the server's 57P01 during a COPY) already says it.
        throw hasCode(error) ? error : (this.lost.get(client) ?? error);
      }
    }
  }

  private async readChunk(client: pg.Client, { table, chunk, keyColumns }: WorkItem): Promise<void> {
    const select = table.byPosition
      .map((column, i) =>
        column ? `${pg.escapeIdentifier(table.shape.columns[i]?.name ?? column.name)}` : "NULL",
      )
      .join(", ");
    // COPY sends each row as one line of text, with no per-field message parsing or strings.
    const query = new CopyOutQuery(
      `COPY (SELECT ${select} FROM ${qualified(table)} WHERE ${chunkPredicateSql(keyColumns, chunk)}) TO STDOUT`,
      (line) => this.options.onRow(table, line),
    );
    client.query(query);
    const total = await query.done;
    await this.options.onChunkDone(table, total);
  }
}

function qualified(table: CapturedTable): string {
  return `${pg.escapeIdentifier(table.shape.schema)}.${pg.escapeIdentifier(table.shape.table)}`;
}

function hasCode(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
  );
}
