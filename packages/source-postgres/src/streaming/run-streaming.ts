import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  classifyError,
  fixedSchemas,
  internalTopic,
  TokenBucketThrottle,
  TributaryError,
  type WriterSchema,
} from "@tributary/core";
import { BackfillReader } from "../backfill/BackfillReader.js";
import { CaptureMembership } from "../backfill/CaptureMembership.js";
import { type CaptureState, IncrementalSnapshot } from "../backfill/IncrementalSnapshot.js";
import { ChangeStream } from "../capture/ChangeStream.js";
import { tableChangeOf } from "../capture/ddl-rows.js";
import { ddlStatementOf } from "../capture/ddl-statement.js";
import { HELPER_TABLES, helperTableKind } from "../capture/helper-tables.js";
import { describeTable } from "../capture/relation-catalog.js";
import { schemaChangeRecord } from "../capture/schema-change-record.js";
import { TransactionSpill } from "../capture/TransactionSpill.js";
import { replicationName } from "../config.js";
import { replicationClientConfig } from "../connection.js";
import type { Lsn } from "../replication/lsn.js";
import { choosePgoutputOptions } from "../replication/pgoutput-options.js";
import { createBatcher, type SessionResources } from "../session-resources.js";
import { heartbeatSql, type ReplicationSetup } from "../setup/index.js";
import { qualifiedName } from "../setup/sql-quote.js";
import type { SourceState } from "../state/SourceStateStore.js";
import { ConfirmGate } from "./ConfirmGate.js";
import { HeartbeatWriter } from "./HeartbeatWriter.js";
import { heartbeatRecord } from "./heartbeat-record.js";
import { RefusalReport } from "./RefusalReport.js";
import { ReplicationStream } from "./ReplicationStream.js";

/** Shortest time between two records of the confirmation limit on `_offsets`. */
const LIMIT_RECORD_INTERVAL_MS = 1_000;

/** DDL after which the publication may have to list other tables (FOR TABLE mode). */
const PUBLICATION_CHANGING_COMMANDS = new Set([
  "CREATE TABLE",
  "CREATE TABLE AS",
  "SELECT INTO",
  "ALTER TABLE",
  "CREATE SCHEMA",
  "DROP TABLE",
]);

/**
 * Streams from the slot until the session's signal aborts or the stream fails. A commit's LSN
 * is confirmed to the slot only after Kafka acknowledged every event up to it; on shutdown what
 * was decoded is published and whole transactions are confirmed.
 */
export async function runStreaming(
  resources: SessionResources,
  setup: ReplicationSetup,
  startLsn: Lsn,
  snapshot: SourceState["snapshot"],
  recordedCapture: CaptureState | undefined,
): Promise<void> {
  const { config, logger, metrics, kafka, tables, admin, slotName } = resources;
  const serverVersion = Number(
    (await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v ?? 0,
  );
  const refusals = new RefusalReport(logger);
  const membership = new CaptureMembership({
    client: admin,
    publication: replicationName(config),
    serverVersionNum: serverVersion,
    isCaptured: (schema, table) =>
      tables.selector.includesTable(schema, table) && !helperTableKind(config.helperSchema, schema, table),
    createdInTransaction: (txid) => tablesCreatedBy(admin, config, txid),
    logger,
  });
  const initialCapture = await membership.initialState(recordedCapture);
  const schemaChangeTopic = internalTopic(config.topicPrefix, "schema_changes");
  const heartbeatTopic = internalTopic(config.topicPrefix, "heartbeat");
  await kafka.admin.ensureTopics([
    { topic: schemaChangeTopic, partitions: 1 },
    { topic: heartbeatTopic, partitions: 1, compacted: true },
  ]);
  const heartbeatWriter = await kafka.store.register(fixedSchemas().heartbeat);
  let schemaChangeWriter: WriterSchema | undefined;
  let replication: ReplicationStream | undefined;
  let incremental: IncrementalSnapshot | undefined;
  const saveState = (confirmedLsn: Lsn, confirmLimit: Lsn) =>
    kafka.state.save({
      slot: slotName,
      snapshot,
      snapshotLsn: null,
      confirmedLsn,
      confirmLimit,
      capture: incremental?.stateAt(confirmLimit) ?? initialCapture,
    });
  const gate = new ConfirmGate({
    limit: startLsn,
    minRecordIntervalMs: LIMIT_RECORD_INTERVAL_MS,
    recordLimit: (limit) => saveState(replication?.confirmedLsn ?? startLsn, limit),
    confirm: async (lsn) => {
      await replication?.confirm(lsn);
      metrics.confirmedLsn.set(Number(lsn));
    },
  });
  const batcher = createBatcher(resources, (checkpoint) => gate.durable(checkpoint as Lsn));
  incremental = new IncrementalSnapshot({
    connectorName: config.name,
    database: config.postgres.database,
    origin: config.origin,
    records: tables.records,
    batcher,
    initial: initialCapture,
    countRows: (table, rows, bytes) => {
      metrics.events.inc({ table: table.qualifiedName, op: "r" }, rows);
      metrics.eventBytes.inc({ table: table.qualifiedName }, bytes);
    },
  });
  const backfills = incremental;
  const spillDirectory = config.streaming.spillDirectory ?? join(tmpdir(), `tributary-${config.name}`);
  await TransactionSpill.clear(spillDirectory);
  const stream = new ChangeStream({
    spillDirectory,
    throttle: new TokenBucketThrottle(config.throttle.stream),
    connectorName: config.name,
    database: config.postgres.database,
    origin: config.origin,
    records: tables.records,
    batcher,
    logger,
    helperKind: (schema, table) => helperTableKind(config.helperSchema, schema, table),
    isSelected: (schema, table) => tables.selector.includesTable(schema, table),
    catalogShape: (oid) => describeTable(admin, oid),
    prepareTable: (shape) => tables.prepare(shape),
    onTypeChanged: (oid, schema, name) => {
      tables.catalog.invalidate(oid);
      tables.catalog.announce(oid, schema, name);
    },
    onTypesAltered: () => tables.catalog.clear(),
    countEvent: (table, op, bytes) => {
      metrics.events.inc({ table: table.qualifiedName, op });
      metrics.eventBytes.inc({ table: table.qualifiedName }, bytes);
    },
    heartbeatRecord: (lsn, commitTsMs) =>
      heartbeatRecord(heartbeatTopic, heartbeatWriter, {
        name: config.name,
        origin: config.origin,
        lsn,
        commitTsMs,
        nowMs: Date.now(),
      }),
    incremental: backfills,
    onDdl: async (row, source, origin) => {
      // Every connector on this database records each DDL statement under its own name.
      if (row.connector !== config.name) return [];
      if (row.object_oid) backfills.reshaped(Number(row.object_oid));
      if (row.command_tag && PUBLICATION_CHANGING_COMMANDS.has(row.command_tag)) {
        refusals.update((await setup.refreshPublication()).publication.refused);
        const started = await membership.afterPublicationChange(
          backfills,
          row.txid ?? null,
          stream.relationsWithoutOldKey,
        );
        if (started.length > 0) reader.wake();
      }
      const change = await tableChangeOf(row, admin);
      if (!change) return [];
      const schema = change.schema_name ?? "";
      const table = change.object_name ?? "";
      if (!tables.selector.includesTable(schema, table)) return [];
      schemaChangeWriter ??= await kafka.store.register(fixedSchemas().schemaChange);
      const excluded = (names: string[]) => tables.selector.excludedColumns(schema, table, names);
      // The trigger records the whole query string; publish only the DDL statement of it.
      const statement = await ddlStatementOf(change.statement ?? "", change.object_name ?? null);
      return [
        schemaChangeRecord(
          schemaChangeTopic,
          schemaChangeWriter,
          { ...change, statement },
          { ...source, schema, table },
          origin,
          excluded,
        ),
      ];
    },
  });
  const protocol = config.streaming.protocolVersion;
  replication = new ReplicationStream({
    clientConfig: replicationClientConfig(
      config.postgres,
      "tributary-stream",
      config.streaming.logicalDecodingWorkMem
        ? { logical_decoding_work_mem: config.streaming.logicalDecodingWorkMem }
        : {},
    ),
    slot: slotName,
    pgoutput: choosePgoutputOptions(serverVersion, {
      publicationNames: [replicationName(config)],
      ...(protocol === "auto" ? {} : { protoVersion: protocol }),
    }),
    startLsn,
    handle: (lsn, message) => stream.handle(lsn, message),
    logger,
  });
  const beat = heartbeatSql(config.helperSchema);
  const readerStop = new AbortController();
  const reader = new BackfillReader({
    connect: () => resources.connect("tributary-backfill"),
    snapshot: backfills,
    prepare: (shape) => tables.prepare(shape),
    heartbeatSql: beat,
    connectorName: config.name,
    chunkRows: config.snapshot.incrementalChunkRows,
    serverVersionNum: serverVersion,
    logger,
    signal: readerStop.signal,
  });
  // A heartbeat that cannot be written any more (its connection is gone) ends the session, so the
  // retry loop reconnects: otherwise the slot would stop moving while only other tables change.
  let heartbeatFailed: (error: unknown) => void = () => undefined;
  const heartbeatFailure = new Promise<never>((_, reject) => {
    heartbeatFailed = reject;
  });
  heartbeatFailure.catch(() => undefined);
  // Heartbeats have a connection of their own: on the admin connection they would be queued
  // behind (or interleave with) the catalog and DDL queries the stream makes there.
  const beats = new HeartbeatWriter(() => resources.connect("tributary-heartbeat"), beat, config.name);
  const heartbeat = setInterval(() => {
    beats.beat().catch((error: unknown) => {
      logger.warn({ err: error }, "heartbeat update failed");
      if (classifyError(error) === "permanent") return;
      heartbeatFailed(
        new TributaryError(
          "TRB_PG_UNREACHABLE",
          `the connection writing heartbeats was lost: ${String(error)}`,
          {
            retriable: true,
            cause: error,
          },
        ),
      );
    });
  }, config.heartbeat.intervalMs);
  try {
    await replication.start();
    logger.info({ slot: slotName, from: startLsn.toString() }, "streaming");
    // The reader ends only when stopped; until then only its failure matters here.
    const readerFailure = reader.run().then(() => new Promise<never>(() => undefined));
    readerFailure.catch(() => undefined);
    const aborted = new Promise<void>((resolve) => {
      if (resources.signal.aborted) resolve();
      resources.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await Promise.race([replication.finished, aborted, heartbeatFailure, gate.failed, readerFailure]);
    replication.closeIntake();
    await batcher.drain();
    await gate.settle();
    await saveState(replication.confirmedLsn, gate.recordedLimit);
  } finally {
    readerStop.abort();
    backfills.close();
    clearInterval(heartbeat);
    await beats.close();
    batcher.close();
    await replication.stop();
    await stream.close();
  }
}

const CREATING_COMMANDS = ["CREATE TABLE", "CREATE TABLE AS", "SELECT INTO"];

/** OIDs of the tables a transaction created, as the DDL capture recorded them. */
async function tablesCreatedBy(
  client: SessionResources["admin"],
  config: SessionResources["config"],
  txid: string,
): Promise<Set<number>> {
  const { rows } = await client.query<{ oid: number }>(
    `SELECT object_oid::int AS oid FROM ${qualifiedName(config.helperSchema, HELPER_TABLES.ddl)}
      WHERE connector = $1 AND txid = $2 AND command_tag = ANY($3) AND columns IS NOT NULL`,
    [config.name, txid, CREATING_COMMANDS],
  );
  return new Set(rows.map((row) => row.oid));
}
