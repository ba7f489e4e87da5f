import type { Logger } from "@tributary/core";
import type { ClientBase } from "pg";
import type { CaptureState, IncrementalSnapshot } from "./IncrementalSnapshot.js";
import {
  type PublishedTable,
  publishedSchemas,
  publishedTables,
  tablesToBackfill,
} from "./published-tables.js";

export interface CaptureMembershipOptions {
  client: ClientBase;
  publication: string;
  serverVersionNum: number;
  /** Whether a published table is one the source captures (selected, not a helper table). */
  isCaptured: (schema: string, table: string) => boolean;
  /** Table OIDs created by the transaction with this txid (from the DDL capture table). */
  createdInTransaction: (txid: string) => Promise<Set<number>>;
  logger: Logger;
}

/**
 * Which tables the source captures, and which of them joined while it was not looking: after a
 * DDL statement that may change the publication (and at start, against what the source recorded
 * last), a newly published table is read by the incremental snapshot.
 */
export class CaptureMembership {
  private schemas = new Set<string>();

  constructor(private readonly options: CaptureMembershipOptions) {}

  /** The capture state to start from: the recorded one, plus tables published since it was recorded. */
  async initialState(recorded: CaptureState | undefined): Promise<CaptureState> {
    this.schemas = await this.publishedSchemas();
    const current = await this.current();
    if (!recorded) return { tables: current.map((table) => table.oid), backfills: [] };
    const known = new Set(recorded.tables);
    const joined = current.filter((table) => !known.has(table.oid));
    const backfills = [...recorded.backfills];
    for (const table of joined) {
      if (backfills.some((progress) => progress.oid === table.oid)) continue;
      backfills.push({ oid: table.oid, after: null });
    }
    this.log(joined, "at start");
    return { tables: current.map((table) => table.oid), backfills };
  }

  /**
   * After the publication was brought in step with a DDL statement of transaction `txid`;
   * `ignoredByStream`: tables whose changes the stream left out for want of an old key.
   */
  async afterPublicationChange(
    snapshot: IncrementalSnapshot,
    txid: string | null,
    ignoredByStream: ReadonlySet<number>,
  ): Promise<number[]> {
    const before = this.schemas;
    this.schemas = await this.publishedSchemas();
    const current = await this.current();
    const joined = current.filter((table) => !snapshot.capturedTables.has(table.oid));
    const created = txid === null ? new Set<number>() : await this.options.createdInTransaction(txid);
    const backfill = tablesToBackfill(joined, created, before, ignoredByStream);
    const started = snapshot.setTables(
      current.map((table) => table.oid),
      backfill,
    );
    this.log(
      joined.filter((table) => started.includes(table.oid)),
      "after DDL",
    );
    return started;
  }

  private async current(): Promise<PublishedTable[]> {
    return (await publishedTables(this.options.client, this.options.publication)).filter((table) =>
      this.options.isCaptured(table.schema, table.table),
    );
  }

  private publishedSchemas(): Promise<Set<string>> {
    return publishedSchemas(this.options.client, this.options.publication, this.options.serverVersionNum);
  }

  private log(tables: PublishedTable[], when: string): void {
    if (tables.length === 0) return;
    this.options.logger.info(
      { tables: tables.map((table) => `${table.schema}.${table.table}`), when },
      "tables joined the capture: reading them while streaming",
    );
  }
}
