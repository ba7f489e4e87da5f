import {
  type EventPublisher,
  internalTopic,
  KafkaEventPublisher,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  type Logger,
  SchemaStore,
  type TopicSpec,
  tableTopic,
} from "@tributary/core";
import pMap from "p-map";
import type pg from "pg";
import { CapturedTable, type RelationShape } from "./capture/CapturedTable.js";
import type { RecordOptions } from "./capture/change-events.js";
import { type PostgresSourceConfig, sourceStateKey } from "./config.js";
import { OutboundBatcher } from "./pipeline/OutboundBatcher.js";
import { SettlingPublisher } from "./pipeline/SettlingPublisher.js";
import type { SourceMetrics } from "./SourceMetrics.js";
import type { createTableSelector } from "./setup/index.js";
import { SourceStateStore } from "./state/SourceStateStore.js";
import type { PgTypeCatalog } from "./types/PgTypeCatalog.js";

export interface KafkaResources {
  admin: KafkaTopicAdmin;
  publisher: EventPublisher;
  store: SchemaStore;
  state: SourceStateStore;
  close(): Promise<void>;
}

export function openKafka(config: PostgresSourceConfig, logger: Logger): KafkaResources {
  const clientId = `tributary-${config.name}`;
  const admin = new KafkaTopicAdmin(config.kafka, clientId, logger);
  const publisher = new SettlingPublisher(new KafkaEventPublisher(config.kafka, clientId, logger));
  const createSubscriber = () => new KafkaEventSubscriber(config.kafka, clientId, logger);
  const store = new SchemaStore({
    topic: internalTopic(config.topicPrefix, "schemas"),
    admin,
    publisher,
    createSubscriber,
    logger,
  });
  const state = new SourceStateStore(
    internalTopic(config.topicPrefix, "offsets"),
    sourceStateKey(config),
    admin,
    publisher,
    createSubscriber,
  );
  return {
    admin,
    publisher,
    store,
    state,
    async close() {
      await store.close();
      await publisher.close();
      await admin.close();
    },
  };
}

/** Tables whose schemas are registered at the same time by `prepareAll`. */
const PREPARE_CONCURRENCY = 16;

/** Turns table shapes into captured tables whose topics exist, remembering each topic's partitions. */
export class TableContext {
  private readonly partitionCounts = new Map<string, number>();
  readonly records: RecordOptions;

  constructor(
    private readonly config: PostgresSourceConfig,
    readonly selector: ReturnType<typeof createTableSelector>,
    readonly catalog: PgTypeCatalog,
    private readonly kafka: KafkaResources,
  ) {
    this.records = {
      tombstones: config.topics.tombstones,
      partitions: (table) => this.partitionCounts.get(table.topic) ?? 1,
    };
  }

  async prepare(shape: RelationShape): Promise<CapturedTable> {
    const [table] = await this.prepareAll([shape]);
    return table as CapturedTable;
  }

  /**
   * Prepares many tables at once: the missing topics in one request, while the column types are
   * read in one query and the tables' schemas registered a few at a time. One by one, each table
   * cost about 140 ms of round trips to Kafka (100 tables held the snapshot's start back 13.6 s).
   */
  async prepareAll(shapes: readonly RelationShape[]): Promise<CapturedTable[]> {
    const missing = new Map<string, TopicSpec>();
    for (const shape of shapes) {
      const topic = tableTopic(this.config.topicPrefix, shape.schema, shape.table);
      // A keyless table keeps commit order only in a single partition.
      const partitions = shape.key.length === 0 ? 1 : this.config.topics.partitions;
      if (!this.partitionCounts.has(topic) && !missing.has(topic)) missing.set(topic, { topic, partitions });
    }
    // Kafka creates the topics while the schemas are built and registered (they need no topic).
    const [, tables] = await Promise.all([
      missing.size > 0 ? this.kafka.admin.ensureTopics([...missing.values()]) : undefined,
      this.buildAll(shapes),
    ]);
    await pMap(
      tables.filter((table) => !this.partitionCounts.has(table.topic)),
      async (table) => {
        this.partitionCounts.set(table.topic, (await this.kafka.admin.endOffsets(table.topic)).size);
      },
      { concurrency: PREPARE_CONCURRENCY },
    );
    return tables;
  }

  private async buildAll(shapes: readonly RelationShape[]): Promise<CapturedTable[]> {
    // The column types of every table in one catalog query.
    await this.catalog.load(
      shapes.flatMap((shape) => shape.columns.map(({ typeOid, typmod }) => ({ typeOid, typmod }))),
    );
    return pMap(
      shapes,
      (shape) =>
        CapturedTable.prepare(shape, {
          database: this.config.postgres.database,
          topicPrefix: this.config.topicPrefix,
          excludedColumns: this.selector.excludedColumns(
            shape.schema,
            shape.table,
            shape.columns.map((column) => column.name),
          ),
          catalog: this.catalog,
          store: this.kafka.store,
        }),
      { concurrency: PREPARE_CONCURRENCY },
    );
  }
}

/** What the snapshot and streaming phases share within one session. */
export interface SessionResources {
  config: PostgresSourceConfig;
  logger: Logger;
  metrics: SourceMetrics;
  signal: AbortSignal;
  admin: pg.Client;
  kafka: KafkaResources;
  tables: TableContext;
  slotName: string;
  /** A new connection with the source's session settings; the caller closes it. */
  connect(applicationName: string): Promise<pg.Client>;
}

/** A batcher on the session's publisher; `onDurable` receives each commit LSN once Kafka holds all before it. */
export function createBatcher(
  resources: Pick<SessionResources, "config" | "kafka" | "logger">,
  onDurable: (checkpoint: bigint) => Promise<void> | void = () => undefined,
): OutboundBatcher {
  return new OutboundBatcher({
    publisher: resources.kafka.publisher,
    maxBatchEvents: resources.config.streaming.maxBatchEvents,
    maxBatchBytes: resources.config.kafka.batch.maxBytes,
    flushIntervalMs: resources.config.streaming.flushIntervalMs,
    onDurable,
    logger: resources.logger,
  });
}
