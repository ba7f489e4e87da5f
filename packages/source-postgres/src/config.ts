import {
  connectorNameSchema,
  httpConfigSchema,
  kafkaConfigSchema,
  logConfigSchema,
  retryConfigSchema,
  throttleConfigSchema,
  topicPrefixSchema,
} from "@tributary/core";
import { z } from "zod";

export const SNAPSHOT_MODES = ["initial", "never", "initial_only", "when_needed"] as const;

const postgresConnectionSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(5432),
    user: z.string().min(1).default("postgres"),
    password: z.string().default(""),
    database: z.string().min(1).describe("Database to capture"),
    ssl: z
      .enum(["disable", "require", "verify-full"])
      .default("disable")
      .describe("TLS: disable, require (encrypt only), verify-full (check the certificate and host name)"),
    connectTimeoutMs: z.number().int().positive().default(10_000),
  })
  .describe("The PostgreSQL server and database to capture");

export const postgresSourceConfigSchema = z
  .object({
    connector: z.literal("postgres-source"),
    name: connectorNameSchema,
    origin: z.string().min(1).optional().describe("Origin id of this database (default: name)"),
    topicPrefix: topicPrefixSchema.optional().describe("Prefix of every topic (default: name)"),
    postgres: postgresConnectionSchema,
    kafka: kafkaConfigSchema,
    tables: z
      .object({
        include: z
          .array(z.string().min(1))
          .min(1)
          .default(["public.*"])
          .describe("schema.table globs (* and ?) of the tables to capture"),
        exclude: z.array(z.string().min(1)).default([]).describe("schema.table globs to leave out"),
        excludeColumns: z
          .array(z.string().min(1))
          .default([])
          .describe("schema.table.column globs of columns never to publish"),
      })
      .prefault({}),
    snapshot: z
      .object({
        mode: z
          .enum(SNAPSHOT_MODES)
          .default("initial")
          .describe(
            "initial: snapshot once, then stream; never: stream only; initial_only: snapshot, release slot, publication and helper objects, and stop; " +
              "when_needed: snapshot again when the slot is missing or invalidated",
          ),
        workers: z.number().int().min(1).max(32).default(2).describe("Tables/chunks read at once"),
        chunkRows: z.number().int().min(1000).default(100_000).describe("Rows per key-range chunk"),
        fetchRows: z
          .number()
          .int()
          .min(100)
          .default(2_000)
          .describe("Rows per batch counted in the metrics and taken from the throttle"),
        incrementalChunkRows: z
          .number()
          .int()
          .min(10)
          .default(10_000)
          .describe(
            "Rows per chunk when a table that joins the capture while streaming (created, moved or renamed " +
              "into the selection) is read beside the stream; each chunk is held in memory until emitted",
          ),
      })
      .prefault({}),
    streaming: z
      .object({
        protocolVersion: z
          .union([z.literal("auto"), z.literal(1), z.literal(2)])
          .default("auto")
          .describe("pgoutput protocol; auto picks 2 (streaming of large transactions) on PostgreSQL 14+"),
        maxBatchEvents: z.number().int().positive().default(5_000).describe("Events per Kafka batch"),
        flushIntervalMs: z
          .number()
          .int()
          .positive()
          .default(50)
          .describe("Longest wait before a batch is sent"),
        logicalDecodingWorkMem: z
          .string()
          .regex(/^\d+(kB|MB|GB)$/, "expected a size such as 64MB or 256kB")
          .optional()
          .describe(
            "logical_decoding_work_mem of the replication session: larger transactions are streamed before " +
              "their commit (protocol 2) and wait on local disk (default: the server's, 64MB)",
          ),
        spillDirectory: z
          .string()
          .min(1)
          .optional()
          .describe("Where transactions streamed before their commit wait (default: <tmp>/tributary-<name>)"),
      })
      .prefault({}),
    heartbeat: z
      .object({ intervalMs: z.number().int().min(100).default(10_000) })
      .prefault({})
      .describe(
        "Heartbeat row update interval, keeping the slot moving when captured tables are idle; each update also publishes a heartbeat event on <prefix>._heartbeat",
      ),
    ddl: z
      .object({
        capture: z.boolean().default(true).describe("Capture DDL with an event trigger (needs superuser)"),
      })
      .prefault({}),
    topics: z
      .object({
        partitions: z.number().int().min(1).default(1).describe("Partitions of each table topic created"),
        tombstones: z.boolean().default(true).describe("Follow each delete with a tombstone"),
      })
      .prefault({}),
    helperSchema: z.string().min(1).default("public").describe("Schema of the tributary_* helper tables"),
    http: httpConfigSchema(9464),
    retry: retryConfigSchema,
    throttle: throttleConfigSchema,
    log: logConfigSchema,
  })
  .transform((config) => ({
    ...config,
    origin: config.origin ?? config.name,
    topicPrefix: config.topicPrefix ?? config.name,
  }));

export type PostgresSourceConfig = z.output<typeof postgresSourceConfigSchema>;
export type PostgresConnectionConfig = PostgresSourceConfig["postgres"];

/** Slot and publication name: `tributary_<name>`. */
export function replicationName(config: Pick<PostgresSourceConfig, "name">): string {
  return `tributary_${config.name}`;
}

/** Key of the source's state in `<topicPrefix>._offsets` (see state/SourceStateStore.ts). */
export function sourceStateKey(config: Pick<PostgresSourceConfig, "name">): string {
  return `postgres-source/${config.name}`;
}
