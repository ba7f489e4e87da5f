import { type SourceInfo, TokenBucketThrottle } from "@tributary/core";
import type { CaptureState } from "../backfill/IncrementalSnapshot.js";
import { publishedTables } from "../backfill/published-tables.js";
import type { CapturedTable } from "../capture/CapturedTable.js";
import { snapshotRecordFromCopy } from "../capture/change-events.js";
import { helperTableKind } from "../capture/helper-tables.js";
import { describeTables } from "../capture/relation-catalog.js";
import { replicationName } from "../config.js";
import { replicationClientConfig } from "../connection.js";
import type { Lsn } from "../replication/lsn.js";
import { createBatcher, type SessionResources } from "../session-resources.js";
import { createSlotWithSnapshot } from "../slot.js";
import { SnapshotReader } from "./SnapshotReader.js";

/**
 * Creates the slot with an exported snapshot, reads every selected table inside it as `r`
 * events, waits until Kafka acknowledged all of them, and records the snapshot as done. The
 * slot's consistent point is where streaming then starts.
 */
export async function runSnapshot(resources: SessionResources): Promise<CaptureState> {
  const { config, logger, metrics, kafka, tables, slotName } = resources;
  const batcher = createBatcher(resources);
  const throttle = new TokenBucketThrottle(config.throttle.snapshot);
  await kafka.state.save({
    slot: slotName,
    snapshot: "running",
    snapshotLsn: null,
    confirmedLsn: null,
    confirmLimit: null,
  });
  const exported = await createSlotWithSnapshot(
    replicationClientConfig(config.postgres, "tributary-snapshot"),
    slotName,
  );
  let capturedOids: number[] = [];
  try {
    const shapes = (await describeTables(resources.admin)).filter(
      (shape) =>
        tables.selector.includesTable(shape.schema, shape.table) &&
        !helperTableKind(config.helperSchema, shape.schema, shape.table),
    );
    const captured = await tables.prepareAll(shapes);
    // Tables the publication leaves out (no replica identity, unlogged) are not captured from here on.
    const published = new Set(
      (await publishedTables(resources.admin, replicationName(config))).map((table) => table.oid),
    );
    capturedOids = captured.map((table) => table.shape.oid).filter((oid) => published.has(oid));
    metrics.snapshotTablesTotal.set(captured.length);
    logger.info({ tables: captured.length, lsn: exported.consistentPoint.toString() }, "snapshot started");
    const started = Date.now();
    let rowsRead = 0;
    const sources = new Map<CapturedTable, SourceInfo>();
    /** Rows and bytes not yet counted in the metrics (nor taken from the throttle), per table. */
    const uncounted = new Map<CapturedTable, { label: { table: string }; rows: number; bytes: number }>();
    const countedOf = (table: CapturedTable) => {
      let counts = uncounted.get(table);
      if (!counts) {
        counts = { label: { table: table.qualifiedName }, rows: 0, bytes: 0 };
        uncounted.set(table, counts);
      }
      return counts;
    };
    /** Counts a table's rows in the metrics; resolves when the throttle lets them pass. */
    const count = (table: CapturedTable): Promise<void> | undefined => {
      const counts = countedOf(table);
      const { label, rows, bytes } = counts;
      if (rows === 0) return undefined;
      counts.rows = 0;
      counts.bytes = 0;
      metrics.eventBytes.inc(label, bytes);
      metrics.events.inc({ ...label, op: "r" }, rows);
      metrics.snapshotRows.inc(label, rows);
      return throttle.unlimited ? undefined : throttle.take(rows, bytes);
    };
    const reader = new SnapshotReader({
      connect: () => resources.connect("tributary-snapshot"),
      snapshotName: exported.snapshotName,
      tables: captured,
      workers: config.snapshot.workers,
      chunkRows: config.snapshot.chunkRows,
      logger,
      signal: resources.signal,
      onRow: (table, line) => {
        let source = sources.get(table);
        if (!source) {
          source = snapshotSource(resources, table, exported.consistentPoint);
          sources.set(table, source);
        }
        const record = snapshotRecordFromCopy(table, line, source, config.origin, Date.now(), tables.records);
        const bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
        rowsRead++;
        const counts = countedOf(table);
        counts.rows++;
        counts.bytes += bytes;
        const added = batcher.offer(record, bytes) ? undefined : batcher.add(record, bytes);
        // Metrics and the throttle take rows in batches of fetchRows.
        if (counts.rows < config.snapshot.fetchRows) return added;
        if (added === undefined) return count(table);
        return added.then(() => count(table));
      },
      onChunkDone: async (table, rows) => {
        await count(table);
        metrics.snapshotChunks.inc({ table: table.qualifiedName });
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        logger.info(
          {
            table: table.qualifiedName,
            rows,
            totalRows: rowsRead,
            rowsPerSecond: Math.round(rowsRead / seconds),
          },
          "snapshot chunk done",
        );
      },
    });
    await reader.run();
    await batcher.drain();
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    metrics.snapshotTablesDone.set(captured.length);
    logger.info(
      { tables: captured.length, rows: rowsRead, seconds, rowsPerSecond: Math.round(rowsRead / seconds) },
      "snapshot done",
    );
  } finally {
    batcher.close();
    await exported.connection.end().catch(() => undefined);
  }
  await kafka.state.save({
    slot: slotName,
    snapshot: "done",
    snapshotLsn: exported.consistentPoint,
    confirmedLsn: exported.consistentPoint,
    // A slot made with a snapshot starts confirmed at its consistent point.
    confirmLimit: exported.consistentPoint,
    capture: { tables: capturedOids, backfills: [] },
  });
  return { tables: capturedOids, backfills: [] };
}

function snapshotSource(resources: SessionResources, table: CapturedTable, lsn: Lsn): SourceInfo {
  return {
    connector: "postgres",
    name: resources.config.name,
    database: resources.config.postgres.database,
    schema: table.shape.schema,
    table: table.shape.table,
    lsn,
    file: null,
    pos: null,
    gtid: null,
    txId: null,
    commitTsMs: null,
    snapshot: true,
  };
}
