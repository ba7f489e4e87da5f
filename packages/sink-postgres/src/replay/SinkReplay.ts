/**
 * `tributary replay`: gathers what the plan needs (replay-plan.ts) from Kafka, the schema
 * stores and the target; then, when confirmed, resets the target (truncate + the sink's
 * offsets, in one transaction) and the consumer group, and runs the sink until every partition
 * is applied up to the end it had at the start. Refuses while an instance of the sink runs.
 */
import {
  type AvroRecordSchema,
  internalTopic,
  KafkaEventSubscriber,
  KafkaGroupAdmin,
  KafkaTopicAdmin,
  type Logger,
  readCompactedTopic,
  sleep,
  TributaryError,
  tableTopic,
  topicPrefixOf,
} from "@tributary/core";
import type { PostgresSinkConfig } from "../config.js";
import { ensureSchema } from "../sql/postgres-types.js";
import { qualifiedName, statement } from "../sql/sql-text.js";
import { buildTableModel } from "../table-model.js";
import { createOffsetsTable, OFFSETS_TABLE, selectOffsets, upsertOffset } from "../target/helper-sql.js";
import { TargetConnection } from "../target/TargetConnection.js";
import { selectTopics } from "../topic-selection.js";
import {
  describeReplayPlan,
  type PartitionFacts,
  planReplay,
  type ReplayFacts,
  type ReplayPlan,
  type TableFacts,
} from "./replay-plan.js";

const CATCH_UP_POLL_MS = 500;

export interface ReplayOptions {
  /** Apply again from this time instead of rebuilding from the start. */
  readonly fromTimeMs: number | null;
  readonly logger: Logger;
}

export class SinkReplay {
  private constructor(
    private readonly config: PostgresSinkConfig,
    private readonly logger: Logger,
    readonly facts: ReplayFacts,
    readonly plan: ReplayPlan,
  ) {}

  /** Reads what the replay would do; changes nothing. Refuses while the sink's group has members. */
  static async inspect(config: PostgresSinkConfig, options: ReplayOptions): Promise<SinkReplay> {
    const { logger } = options;
    const clientId = config.kafka.clientId ?? `tributary-replay-${config.name}`;
    const groups = new KafkaGroupAdmin(config.kafka, clientId, logger);
    const admin = new KafkaTopicAdmin(config.kafka, clientId, logger);
    const connection = await TargetConnection.open(config.target, `tributary-replay-${config.name}`, logger);
    try {
      await refuseActiveGroup(groups, config.name);
      const topics = selectTopics(await admin.listTopics(), config.topics).selected;
      const recorded = await recordedOffsets(connection, config);
      const partitions: PartitionFacts[] = [];
      for (const topic of topics) {
        const atTime =
          options.fromTimeMs === null ? null : await groups.offsetsAtTime(topic, options.fromTimeMs);
        for (const { partition, low, high } of await groups.partitionRanges(topic)) {
          partitions.push({
            topic,
            partition,
            low,
            high,
            atTime: atTime?.get(partition) ?? null,
            recorded: recorded.get(`${topic}:${partition}`) ?? null,
          });
        }
      }
      const tables = await targetTables(config, topics, admin, connection, logger);
      const facts: ReplayFacts = {
        sink: config.name,
        fromTimeMs: options.fromTimeMs,
        autoCreate: config.autoCreate,
        partitions,
        tables,
      };
      return new SinkReplay(config, logger, facts, planReplay(facts));
    } finally {
      await connection.close();
      await admin.close().catch(() => undefined);
      await groups.close().catch(() => undefined);
    }
  }

  describe(): string[] {
    return describeReplayPlan(this.plan, this.facts);
  }

  /** Truncates and resets the target's offsets (one transaction), then the consumer group's. */
  async reset(): Promise<void> {
    const { config, plan, logger } = this;
    if (plan.problems.length > 0) {
      throw new TributaryError(
        "TRB_SINK_REPLAY",
        `cannot replay sink ${config.name}: ${plan.problems.join("; ")}`,
      );
    }
    const groups = new KafkaGroupAdmin(
      config.kafka,
      config.kafka.clientId ?? `tributary-replay-${config.name}`,
      logger,
    );
    const connection = await TargetConnection.open(config.target, `tributary-replay-${config.name}`, logger);
    try {
      await refuseActiveGroup(groups, config.name);
      await connection.transaction(async () => {
        if (plan.truncate.length > 0)
          await connection.query(statement(`TRUNCATE TABLE ${plan.truncate.join(", ")}`));
        if (plan.mode === "rebuild") {
          if (await hasOffsetsTable(connection, config)) {
            await connection.query(
              statement(`DELETE FROM ${qualifiedName(config.helperSchema, OFFSETS_TABLE)} WHERE sink = $1`, [
                config.name,
              ]),
            );
          }
          return;
        }
        await connection.query(ensureSchema(config.helperSchema));
        await connection.query(createOffsetsTable(config.helperSchema));
        for (const p of plan.partitions) {
          // Forced: the recorded offset is replaced whatever it is now (no instance runs).
          await connection.query(
            statement(
              `DELETE FROM ${qualifiedName(config.helperSchema, OFFSETS_TABLE)} WHERE sink = $1 AND topic = $2 AND partition = $3::integer`,
              [config.name, p.topic, String(p.partition)],
            ),
          );
          await connection.query(
            upsertOffset(config.helperSchema, config.name, p.topic, p.partition, p.from, null),
          );
        }
      });
      for (const topic of new Set(plan.partitions.map((p) => p.topic))) {
        const offsets = new Map(
          plan.partitions.filter((p) => p.topic === topic).map((p) => [p.partition, p.from]),
        );
        await groups.setGroupOffsets(config.name, topic, offsets);
      }
      logger.info(
        { truncated: plan.truncate, partitions: plan.partitions.length, mode: plan.mode },
        "replay: target and consumer group reset",
      );
    } finally {
      await connection.close();
      await groups.close().catch(() => undefined);
    }
  }

  /**
   * Runs the sink (`run`) until every partition is applied up to the end offset it had when the
   * replay started; then stops it, unless `follow`, which leaves it running until `signal`.
   */
  async applyUntilCaughtUp(
    run: (signal: AbortSignal) => Promise<void>,
    options: { follow: boolean; signal: AbortSignal },
  ): Promise<"caught-up" | "stopped"> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    options.signal.addEventListener("abort", stop, { once: true });
    const running = run(controller.signal);
    try {
      const first = await Promise.race([
        this.caughtUp(controller.signal),
        running.then(() => "ended" as const),
      ]);
      if (first === "ended" && !controller.signal.aborted) {
        throw new TributaryError("TRB_SINK_REPLAY", "the sink stopped before the replay caught up");
      }
      if (first !== "caught-up") return "stopped";
      this.logger.info(
        { partitions: this.plan.partitions.length },
        "replay caught up with the end offsets it started with",
      );
      if (!options.follow) controller.abort();
      await running;
      return "caught-up";
    } finally {
      options.signal.removeEventListener("abort", stop);
      controller.abort();
      await running.catch(() => undefined);
    }
  }

  /** Resolves once the target recorded every partition's end offset; "stopped" when the signal aborts first. */
  private async caughtUp(signal: AbortSignal): Promise<"caught-up" | "stopped"> {
    const pending = this.plan.partitions.filter((p) => p.to > p.from);
    if (pending.length === 0) return "caught-up";
    const connection = await TargetConnection.open(
      this.config.target,
      `tributary-replay-${this.config.name}`,
      this.logger,
    );
    try {
      while (!signal.aborted) {
        const recorded = await recordedOffsets(connection, this.config);
        if (pending.every((p) => (recorded.get(`${p.topic}:${p.partition}`) ?? -1n) >= p.to))
          return "caught-up";
        await sleep(CATCH_UP_POLL_MS, signal);
      }
      return "stopped";
    } finally {
      await connection.close();
    }
  }
}

async function refuseActiveGroup(groups: KafkaGroupAdmin, group: string): Promise<void> {
  const { state, members } = await groups.groupState(group);
  if (members > 0) {
    throw new TributaryError(
      "TRB_SINK_GROUP_ACTIVE",
      `consumer group ${group} has ${members} member(s) (state ${state}): an instance of the sink is running; ` +
        "stop every instance of the sink before replaying",
      { details: { group, state, members } },
    );
  }
}

async function hasOffsetsTable(connection: TargetConnection, config: PostgresSinkConfig): Promise<boolean> {
  const { rows } = await connection.query<{ present: boolean }>(
    statement("SELECT pg_catalog.to_regclass($1) IS NOT NULL AS present", [
      qualifiedName(config.helperSchema, OFFSETS_TABLE),
    ]),
  );
  return rows[0]?.present === true;
}

async function recordedOffsets(
  connection: TargetConnection,
  config: PostgresSinkConfig,
): Promise<Map<string, bigint>> {
  if (!(await hasOffsetsTable(connection, config))) return new Map();
  const { rows } = await connection.query<{ topic: string; partition: number; next_offset: string }>(
    selectOffsets(config.helperSchema, config.name),
  );
  return new Map(rows.map((row) => [`${row.topic}:${row.partition}`, BigInt(row.next_offset)]));
}

/** The target tables of `topics`, from the table schemas in their prefixes' schema stores. */
async function targetTables(
  config: PostgresSinkConfig,
  topics: readonly string[],
  admin: KafkaTopicAdmin,
  connection: TargetConnection,
  logger: Logger,
): Promise<TableFacts[]> {
  const wanted = new Set(topics);
  const tables = new Map<string, { keyless: boolean }>();
  for (const prefix of new Set(topics.map(topicPrefixOf))) {
    const subscriber = new KafkaEventSubscriber(config.kafka, `tributary-replay-${config.name}`, logger, {
      maxWaitTimeMs: 250,
    });
    let schemas: Map<string, Buffer | null>;
    try {
      schemas = await readCompactedTopic(internalTopic(prefix, "schemas"), admin, subscriber);
    } finally {
      await subscriber.stop().catch(() => undefined);
    }
    for (const value of schemas.values()) {
      if (value === null) continue;
      const schema = JSON.parse(value.toString()) as AvroRecordSchema & Record<string, unknown>;
      const table = schema["tributary.table"];
      if (schema.type !== "record" || schema.name !== "Envelope" || typeof table !== "string") continue;
      const namespace = (schema["tributary.schema"] ?? schema["tributary.database"]) as string;
      if (!wanted.has(tableTopic(prefix, namespace, table))) continue;
      const model = buildTableModel(schema, null, { sourceConnector: "postgres", mapping: config.mapping });
      const name = qualifiedName(model.schema, model.table);
      tables.set(name, { keyless: (tables.get(name)?.keyless ?? false) || model.key.length === 0 });
    }
  }
  const facts: TableFacts[] = [];
  for (const [name, { keyless }] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
    const { rows } = await connection.query<{ present: boolean }>(
      statement("SELECT pg_catalog.to_regclass($1) IS NOT NULL AS present", [name]),
    );
    facts.push({ name, exists: rows[0]?.present === true, keyless });
  }
  return facts;
}
