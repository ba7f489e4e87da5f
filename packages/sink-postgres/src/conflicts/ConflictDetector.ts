/**
 * Conflict detection on the target (`conflicts.detect`, DESIGN.md section 6), run inside the
 * batch's transaction before its changes: one statement finds (and locks) the rows the target
 * holds among the batch's keys, conflict-resolution.ts decides which events apply, and one
 * statement records the conflicts in `tributary_conflicts` — so they commit or roll back with
 * the batch. With `fail` it throws TRB_SINK_CONFLICT and the transaction rolls back.
 *
 * A table without a key cannot have conflicts detected (no key says which target row an event
 * means): its changes apply as they come, and the sink says so once per table.
 */
import { type Logger, TributaryError } from "@tributary/core";
import { type BatchRecord, keyIdentity } from "../batch-reduction.js";
import type { PostgresSinkConfig } from "../config.js";
import { type ConflictBatch, insertConflicts, selectExistingKeys } from "../sql/conflict-statements.js";
import type { Dialect } from "../sql/dialect.js";
import { type SqlStatement, statement } from "../sql/sql-text.js";
import type { TableModel } from "../table-model.js";
import type { TargetConnection } from "../target/TargetConnection.js";
import { policyOf, usesNewer } from "./conflict-config.js";
import { conflictRow, rowJson } from "./conflict-records.js";
import {
  type ConflictKind,
  type ConflictResolution,
  type DetectedConflict,
  type ExistingRow,
  keysToLookUp,
  resolveConflicts,
} from "./conflict-resolution.js";

export interface ConflictDetectorOptions {
  config: Pick<PostgresSinkConfig, "name" | "helperSchema" | "conflicts">;
  connection: TargetConnection;
  dialect: Dialect;
  logger: Logger;
}

/** Where the records of a run come from. */
export interface RunSource {
  readonly topic: string;
  readonly partition: number;
}

export interface ConflictCount {
  readonly kind: ConflictKind;
  readonly resolution: ConflictResolution;
}

export interface CheckedRun<R extends BatchRecord> {
  /** The events to apply. */
  readonly records: readonly R[];
  /** Records the run's conflicts; run it in the batch's transaction. Null when there are none. */
  readonly record: SqlStatement | null;
  readonly conflicts: readonly ConflictCount[];
}

const KIND_TEXT: Readonly<Record<ConflictKind, string>> = {
  insert_exists: "an insert of a key the target already holds",
  update_missing: "an update of a row the target does not hold",
  delete_missing: "a delete of a row the target does not hold",
};

export class ConflictDetector {
  private readonly keylessReported = new Set<string>();

  private constructor(private readonly options: ConflictDetectorOptions) {}

  /**
   * The detector when `conflicts.detect` is on (undefined when off). Refuses to start when a
   * table may use `newer` but the target does not track commit timestamps.
   */
  static async open(options: ConflictDetectorOptions): Promise<ConflictDetector | undefined> {
    const { conflicts } = options.config;
    if (!conflicts.detect) return undefined;
    if (usesNewer(conflicts)) await requireCommitTimestamps(options.connection);
    options.logger.info(
      { policy: conflicts.policy, tables: conflicts.tables },
      "conflict detection is on: inserts of existing keys, updates and deletes of missing rows are resolved by " +
        "the policy and recorded in tributary_conflicts; tables without a key are applied without detection",
    );
    return new ConflictDetector(options);
  }

  /** The events of `records` (one run of `model`'s table) to apply, and the record of their conflicts. */
  async check<R extends BatchRecord>(
    records: readonly R[],
    model: TableModel,
    source: RunSource,
  ): Promise<CheckedRun<R>> {
    const { connection, dialect, config, logger } = this.options;
    const table = `${model.schema}.${model.table}`;
    if (model.keyFields.length === 0) {
      if (!this.keylessReported.has(table)) {
        this.keylessReported.add(table);
        logger.warn(
          { table },
          "conflict detection is on, but the table has no key (replica identity FULL): nothing says which target " +
            "row an event means, so its changes are applied without detection",
        );
      }
      return { records, record: null, conflicts: [] };
    }
    const policy = policyOf(config.conflicts, model.schema, model.table);
    const keys = keysToLookUp(records, model.keyFields);
    const existing = new Map<string, ExistingRow>();
    if (keys.length > 0) {
      const typeOf = (column: TableModel["columns"][number]) =>
        column.targetType ?? dialect.columnType(column, model);
      const { rows } = await connection.query<{ n: string; commit_us: string | null }>(
        selectExistingKeys(model, keys, typeOf, policy === "newer"),
      );
      for (const row of rows) {
        const key = keys[Number(row.n) - 1];
        if (key === undefined) continue;
        existing.set(keyIdentity(key, model.keyFields), {
          commitTsUs: row.commit_us === null ? null : BigInt(row.commit_us),
        });
      }
    }
    const outcome = resolveConflicts(records, model.keyFields, existing, policy);
    if (outcome.failure !== undefined) throw conflictFailure(outcome.failure, model, source);
    if (outcome.conflicts.length === 0) return { records: outcome.records, record: null, conflicts: [] };
    const batch: ConflictBatch = {
      sink: config.name,
      table,
      policy,
      topic: source.topic,
      partition: source.partition,
      rows: outcome.conflicts.map((conflict) => conflictRow(model, conflict)),
    };
    logger.debug({ table, conflicts: outcome.conflicts.length, policy }, "conflicts detected");
    return {
      records: outcome.records,
      record: insertConflicts(config.helperSchema, batch),
      conflicts: outcome.conflicts.map(({ kind, resolution }) => ({ kind, resolution })),
    };
  }
}

/** `newer` reads pg_xact_commit_timestamp(xmin) of target rows: the target must track commit timestamps. */
async function requireCommitTimestamps(connection: TargetConnection): Promise<void> {
  let setting: string | undefined;
  try {
    const { rows } = await connection.query<{ setting: string }>(
      statement("SELECT pg_catalog.current_setting('track_commit_timestamp') AS setting"),
    );
    setting = rows[0]?.setting;
  } catch (error) {
    if (typeof (error as { severity?: unknown }).severity !== "string") throw error;
  }
  if (setting === "on") return;
  throw new TributaryError(
    "TRB_SINK_COMMIT_TIMESTAMPS_OFF",
    `conflicts.policy newer compares source commit times with the commit time of the target row's last change, ` +
      `but ${connection.target} ${setting === undefined ? "has no track_commit_timestamp setting" : `has track_commit_timestamp = ${setting}`}; ` +
      "set track_commit_timestamp = on in its postgresql.conf and restart it, or choose another conflicts policy",
    { details: { setting: setting ?? null } },
  );
}

function conflictFailure(
  conflict: DetectedConflict<BatchRecord>,
  model: TableModel,
  source: RunSource,
): TributaryError {
  const table = `${model.schema}.${model.table}`;
  const key = rowJson(model, conflict.key);
  const op = conflict.record.value?.op;
  return new TributaryError(
    "TRB_SINK_CONFLICT",
    `conflict on ${table}: ${KIND_TEXT[conflict.kind]} (${conflict.kind}, key ${key}), the ${op} event at offset ` +
      `${conflict.record.offset} of ${source.topic} partition ${source.partition}; the conflict policy is fail, so ` +
      "the sink stops before it and commits nothing from it on. Make the target row agree with the source, or set " +
      "another policy (conflicts.policy, or conflicts.tables for this table), then restart the sink",
    {
      details: {
        table,
        key,
        kind: conflict.kind,
        op,
        topic: source.topic,
        partition: source.partition,
        offset: conflict.record.offset.toString(),
      },
    },
  );
}
