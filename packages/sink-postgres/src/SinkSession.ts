/**
 * One run of the sink with fresh connections: the target session (replica role, helper tables,
 * origin marking), the topics to apply, and the consumer group, until the signal aborts, the
 * subscriber fails, or the topics a pattern matches change (then the connector starts a new
 * session at once: kafkajs cannot add topics to a running consumer).
 */
import { KafkaEventSubscriber, KafkaTopicAdmin, type Logger, type SessionEnd, sleep } from "@tributary/core";
import type pg from "pg";
import { BatchApplier } from "./apply/BatchApplier.js";
import { createRecordIntake } from "./apply/create-intake.js";
import { EventDecoder } from "./apply/EventDecoder.js";
import type { PostgresSinkConfig } from "./config.js";
import { ConflictDetector } from "./conflicts/ConflictDetector.js";
import { startSchemaChanges } from "./ddl/start-schema-changes.js";
import type { SinkMetrics } from "./SinkMetrics.js";
import { ensureSchema } from "./sql/postgres-types.js";
import { qualifiedName, type SqlStatement, statement } from "./sql/sql-text.js";
import {
  CONFLICTS_TABLE,
  createConflictsTable,
  createOffsetsTable,
  createOriginMarkerTable,
  OFFSETS_TABLE,
  ORIGIN_MARKER_TABLE,
} from "./target/helper-sql.js";
import { OriginMarking } from "./target/OriginMarking.js";
import type { SinkDialect } from "./target/sink-dialect.js";
import { TargetConnection } from "./target/TargetConnection.js";
import { TargetTables } from "./target/TargetTables.js";
import { sameTopics, selectTopics, type TopicSelection } from "./topic-selection.js";

export type SinkPhase = "starting" | "waiting-for-topics" | "applying" | "stopped";

/** A fetch returns once this much is waiting, or after `batch.maxWaitMs`. */
const FETCH_MIN_BYTES = 64 * 1024;
const SCHEMA_READER_WAIT_MS = 250;
/**
 * How often a sink with no topic to apply yet looks again: often, since a sink started with its
 * source waits here for the source's first topic, and each poll is one metadata request.
 */
const TOPIC_WAIT_POLL_MS = 200;

export interface SinkSessionOptions {
  config: PostgresSinkConfig;
  /** The target's dialect (`postgresSinkDialect`, or PolarDB's or AnalyticDB's from their packages). */
  sinkDialect: SinkDialect;
  logger: Logger;
  metrics: SinkMetrics;
  signal: AbortSignal;
  onPhase: (phase: SinkPhase) => void;
}

export async function runSinkSession(options: SinkSessionOptions): Promise<SessionEnd> {
  const { config, logger } = options;
  const clientId = config.kafka.clientId ?? `tributary-${config.name}`;
  // Ends this session's own waits (the topic watch) when the session ends for any reason.
  const session = new AbortController();
  const signal = AbortSignal.any([options.signal, session.signal]);
  options.onPhase("starting");
  const connection = await TargetConnection.open(config.target, `tributary-sink-${config.name}`, logger);
  const admin = new KafkaTopicAdmin(config.kafka, clientId, logger);
  // Schema store readers: a short fetch wait, since stopping waits for the fetch in flight.
  const createSubscriber = () =>
    new KafkaEventSubscriber(config.kafka, clientId, logger, { maxWaitTimeMs: SCHEMA_READER_WAIT_MS });
  const decoder = new EventDecoder({ admin, createSubscriber, logger });
  const { intake, close: closeIntake } = createRecordIntake(config, {
    decoder,
    admin,
    clientId,
    metrics: options.metrics,
    logger,
  });
  let subscriber: KafkaEventSubscriber | undefined;
  let schemaChanges: { stop(): Promise<void> } | undefined;
  try {
    const { dialect, checkTable } = await options.sinkDialect.open({
      query: async <R extends pg.QueryResultRow>(sql: SqlStatement) => (await connection.query<R>(sql)).rows,
      logger,
    });
    const replicaRole = await useReplicaRole(connection, logger);
    await ensureHelperTables(connection, config.helperSchema, config.conflicts.detect);
    const marking = await OriginMarking.detect({
      connection,
      sink: config.name,
      helperSchema: config.helperSchema,
      logger,
    });
    options.onPhase("waiting-for-topics");
    const topics = await waitForTopics(admin, config, signal, logger);
    if (topics === undefined) return "done";
    const consumer = new KafkaEventSubscriber(config.kafka, clientId, logger, {
      partitionsConsumedConcurrently: 1,
      readAhead: true,
      minBytes: FETCH_MIN_BYTES,
      maxBytesPerPartition: config.consumer.fetchMaxBytes,
      maxBytes: config.consumer.fetchMaxBytes,
      maxWaitTimeMs: config.batch.maxWaitMs,
      sessionTimeoutMs: config.consumer.sessionTimeoutMs,
      heartbeatIntervalMs: config.consumer.heartbeatIntervalMs,
    });
    subscriber = consumer;
    const conflicts = await ConflictDetector.open({ config, connection, dialect, logger });
    const ddl = await startSchemaChanges({
      config,
      topics: topics.selected,
      admin,
      decoder,
      createSubscriber,
      metrics: options.metrics,
      logger,
    });
    schemaChanges = ddl;
    const applier = new BatchApplier({
      config,
      connection,
      intake,
      tables: new TargetTables({
        connection,
        dialect,
        marking,
        mapping: config.mapping,
        autoCreate: config.autoCreate,
        autoEvolve: config.autoEvolve,
        replicaRole,
        ...(checkTable === undefined ? {} : { checkTable }),
        metrics: options.metrics,
        logger,
      }),
      marking,
      dialect,
      conflicts,
      subscriber: consumer,
      metrics: options.metrics,
      logger,
      signal: options.signal,
      ...(ddl === undefined ? {} : { beforeTransaction: (runs) => ddl.beforeRuns(runs) }),
    });
    logger.info({ topics: topics.selected, group: config.name }, "applying topics");
    await consumer.start({
      groupId: config.name,
      topics: [...topics.selected],
      fromBeginning: true,
      onBatch: (batch) => applier.apply(batch),
      onAssigned: (partitions) => applier.assign(partitions),
      drain: () => applier.drain(),
    });
    options.onPhase("applying");
    if (options.signal.aborted) return "done";
    const aborted = new Promise<SessionEnd>((resolve) =>
      signal.addEventListener("abort", () => resolve("done"), { once: true }),
    );
    return await Promise.race([
      aborted,
      consumer.finished.then((): SessionEnd => "again"),
      topicsChanged(admin, config, topics, signal, logger),
    ]);
  } finally {
    session.abort();
    // Stopping the consumer waits for the batch in progress, which ends after its transaction.
    await subscriber
      ?.stop()
      .catch((error: unknown) => logger.warn({ err: error }, "stopping the consumer failed"));
    await schemaChanges?.stop().catch(() => undefined);
    await decoder.close().catch(() => undefined);
    await closeIntake().catch(() => undefined);
    await admin.close().catch(() => undefined);
    await connection.close();
  }
}

/** `SET session_replication_role = replica` when the target lets the user, so its triggers and foreign keys do not fire again. */
async function useReplicaRole(connection: TargetConnection, logger: Logger): Promise<boolean> {
  try {
    await connection.query(statement("SET session_replication_role = replica"));
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "42501") throw error;
    logger.warn(
      "the target does not allow session_replication_role = replica for this user (it needs superuser, or on " +
        "PostgreSQL 15+ GRANT SET ON PARAMETER session_replication_role); triggers and foreign keys of target " +
        "tables fire for applied changes",
    );
    return false;
  }
}

/** Creates the helper tables the sink writes unless they exist (without needing CREATE when they do). */
async function ensureHelperTables(
  connection: TargetConnection,
  schema: string,
  conflicts: boolean,
): Promise<void> {
  const { rows } = await connection.query<{ offsets: boolean; marker: boolean; conflicts: boolean }>(
    statement(
      "SELECT pg_catalog.to_regclass($1) IS NOT NULL AS offsets, pg_catalog.to_regclass($2) IS NOT NULL AS marker, " +
        "pg_catalog.to_regclass($3) IS NOT NULL AS conflicts",
      [
        qualifiedName(schema, OFFSETS_TABLE),
        qualifiedName(schema, ORIGIN_MARKER_TABLE),
        qualifiedName(schema, CONFLICTS_TABLE),
      ],
    ),
  );
  const present = rows[0];
  const needsConflicts = conflicts && !present?.conflicts;
  if (present?.offsets && present.marker && !needsConflicts) return;
  await connection.query(ensureSchema(schema));
  if (!present?.offsets) await connection.query(createOffsetsTable(schema));
  if (!present?.marker) await connection.query(createOriginMarkerTable(schema));
  if (needsConflicts) await connection.query(createConflictsTable(schema));
}

/** The topics to apply once at least one exists; undefined when the signal aborts first. */
async function waitForTopics(
  admin: KafkaTopicAdmin,
  config: PostgresSinkConfig,
  signal: AbortSignal,
  logger: Logger,
): Promise<TopicSelection | undefined> {
  let reported = false;
  let missingReported = "";
  while (!signal.aborted) {
    const topics = selectTopics(await admin.listTopics(), config.topics);
    const missing = topics.missing.join(",");
    if (missing !== "" && missing !== missingReported) {
      logger.warn({ missing: topics.missing }, "named topics do not exist (yet); applying the others");
    }
    missingReported = missing;
    if (topics.selected.length > 0) return topics;
    if (!reported) {
      reported = true;
      logger.info(
        { pattern: config.topics.pattern, names: config.topics.names },
        "no topic to apply yet; waiting for one to appear",
      );
    }
    await sleep(Math.min(config.topics.refreshIntervalMs, TOPIC_WAIT_POLL_MS), signal);
  }
  return undefined;
}

/** Resolves with "again" once the topics to apply differ from `current`; never while the signal holds. */
async function topicsChanged(
  admin: KafkaTopicAdmin,
  config: PostgresSinkConfig,
  current: TopicSelection,
  signal: AbortSignal,
  logger: Logger,
): Promise<SessionEnd> {
  for (;;) {
    await sleep(config.topics.refreshIntervalMs, signal);
    if (signal.aborted) return new Promise<never>(() => undefined);
    const latest = selectTopics(await admin.listTopics(), config.topics);
    if (!sameTopics(latest, current)) {
      logger.info({ topics: latest.selected }, "the topics to apply changed; subscribing again");
      return "again";
    }
  }
}
