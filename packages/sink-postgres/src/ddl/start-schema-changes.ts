/**
 * Sets up `ddl: apply` for a sink session: a target connection of its own (DDL runs between
 * the data transactions, never inside one) with its own origin marking, and the applier reading
 * the schema-change topic of every prefix among the topics applied. Undefined with `ddl: ignore`.
 */
import { type EventSubscriber, type Logger, type TopicAdmin, topicPrefixOf } from "@tributary/core";
import type { EventDecoder } from "../apply/EventDecoder.js";
import type { PostgresSinkConfig } from "../config.js";
import type { SinkMetrics } from "../SinkMetrics.js";
import { OriginMarking } from "../target/OriginMarking.js";
import { TargetConnection } from "../target/TargetConnection.js";
import { SchemaChangeApplier } from "./SchemaChangeApplier.js";

export interface SchemaChangesOptions {
  config: PostgresSinkConfig;
  /** The table topics the session applies. */
  topics: readonly string[];
  admin: TopicAdmin;
  decoder: EventDecoder;
  createSubscriber: () => EventSubscriber;
  metrics: SinkMetrics;
  logger: Logger;
}

export interface RunningSchemaChanges {
  beforeRuns: SchemaChangeApplier["beforeRuns"];
  stop(): Promise<void>;
}

export async function startSchemaChanges(
  options: SchemaChangesOptions,
): Promise<RunningSchemaChanges | undefined> {
  const { config, logger } = options;
  if (config.ddl.mode !== "apply") return undefined;
  const connection = await TargetConnection.open(config.target, `tributary-sink-${config.name}-ddl`, logger);
  try {
    const marking = await OriginMarking.detect({
      connection,
      sink: config.name,
      helperSchema: config.helperSchema,
      logger,
    });
    const applier = new SchemaChangeApplier({
      config,
      connection,
      marking,
      admin: options.admin,
      decoder: options.decoder,
      createSubscriber: options.createSubscriber,
      metrics: options.metrics,
      logger: logger.child({ phase: "ddl" }),
      prefixes: [...new Set(options.topics.map(topicPrefixOf))],
    });
    await applier.start();
    return {
      beforeRuns: (runs) => applier.beforeRuns(runs),
      async stop() {
        await applier.stop();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
