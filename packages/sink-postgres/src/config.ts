/**
 * The sink's configuration (DESIGN.md section 7): one schema for the three PostgreSQL-family
 * sinks, which differ only in their dialect and the target's default port.
 */
import {
  httpConfigSchema,
  isTributaryError,
  kafkaConfigSchema,
  logConfigSchema,
  retryConfigSchema,
} from "@tributary/core";
import { z } from "zod";
import { conflictsConfigSchema } from "./conflicts/conflict-config.js";
import { errorsConfigSchema } from "./dead-letter/errors-config.js";
import { filtersConfigSchema } from "./filters/filter-config.js";
import { parseQualifiedName } from "./name-mapping.js";

export const SINK_CONNECTORS = ["postgres-sink", "polardb-sink", "analyticdb-sink"] as const;
export type SinkConnectorKind = (typeof SINK_CONNECTORS)[number];

/** The target's port when the config gives none: PolarDB's Oracle-compatible endpoint listens on 1521. */
export const DEFAULT_TARGET_PORT: Readonly<Record<SinkConnectorKind, number>> = {
  "postgres-sink": 5432,
  "polardb-sink": 1521,
  "analyticdb-sink": 5432,
};

const targetSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).optional().describe("Default 5432; 1521 for polardb-sink"),
    user: z.string().min(1).default("postgres"),
    password: z.string().default(""),
    database: z.string().min(1).describe("Database the changes are applied to"),
    ssl: z
      .enum(["disable", "require", "verify-full"])
      .default("disable")
      .describe("TLS: disable, require (encrypt only), verify-full (check the certificate and host name)"),
    connectTimeoutMs: z.number().int().positive().default(10_000),
  })
  .describe("The target database");

const topicsSchema = z
  .object({
    pattern: z
      .string()
      .min(1)
      .refine((text) => compiles(text), "expected a valid regular expression")
      .optional()
      .describe("Regular expression of the topics to apply; internal topics (<prefix>._*) never match"),
    names: z.array(z.string().min(1)).min(1).optional().describe("Topics to apply"),
    refreshIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(60_000)
      .describe("How often a pattern is matched again against the existing topics"),
  })
  .refine((topics) => (topics.pattern === undefined) !== (topics.names === undefined), {
    message: "expected exactly one of topics.pattern and topics.names",
  })
  .describe("The topics this sink applies");

const mappingSchema = z
  .object({
    schemas: z.record(z.string(), z.string().min(1)).optional().describe("Source schema → target schema"),
    tables: z
      .record(z.string(), z.string().min(1))
      .optional()
      .describe('"schema.table" → "schema.table" (or "table")'),
    columns: z.record(z.string(), z.string().min(1)).optional().describe('"schema.table.column" → column'),
    capitalization: z
      .enum(["source", "lower", "upper"])
      .default("source")
      .describe("Case of names no rename gives"),
  })
  .superRefine((mapping, context) => {
    for (const [source, target] of Object.entries(mapping.tables ?? {})) {
      try {
        parseQualifiedName(target, `mapping.tables["${source}"]`);
      } catch (error) {
        if (!isTributaryError(error)) throw error;
        context.addIssue({ code: "custom", path: ["tables", source], message: error.reason });
      }
    }
  })
  .prefault({})
  .describe("Target names of source schemas, tables and columns");

const ddlOptionsSchema = z.object({
  mode: z
    .enum(["ignore", "apply"])
    .default("ignore")
    .describe(
      "apply: apply the DDL a PostgreSQL source publishes on <prefix>._schema_changes (through the name mapping), in order with each table's data; ignore: only autoCreate/autoEvolve change target tables",
    ),
  drops: z
    .boolean()
    .default(false)
    .describe(
      "With mode apply, also apply DROP COLUMN and DROP TABLE (destructive; skipped and logged otherwise)",
    ),
  drainIntervalMs: z
    .number()
    .int()
    .min(100)
    .default(1_000)
    .describe("How often schema changes no data follows (e.g. a DROP COLUMN) are looked at and applied"),
});

const ddlSchema = z
  .union([z.enum(["ignore", "apply"]), ddlOptionsSchema])
  .default("ignore")
  .transform((ddl) => (typeof ddl === "string" ? ddlOptionsSchema.parse({ mode: ddl }) : ddl))
  .describe(
    "Source DDL from <prefix>._schema_changes: `ignore`, `apply` (applied through the name mapping, in order with each table's data), " +
      "or { mode: ignore|apply, drops: false (true also applies DROP COLUMN and DROP TABLE), drainIntervalMs: 1000 (how often changes no write follows are applied) }",
  );

export const postgresSinkConfigSchema = z
  .object({
    connector: z.enum(SINK_CONNECTORS),
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/,
        "expected 1-200 characters of letters, digits, '.', '_' and '-', starting with a letter or digit",
      )
      .describe("Sink name: consumer group id, and its key in the target's tributary_* tables"),
    origin: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("Origin id of the target database; events from it are not applied (default: name)"),
    kafka: kafkaConfigSchema,
    topics: topicsSchema,
    target: targetSchema,
    autoCreate: z.boolean().default(true).describe("Create missing target tables from the writer schema"),
    autoEvolve: z.boolean().default(true).describe("Add columns a newer writer schema has"),
    ddl: ddlSchema,
    mapping: mappingSchema,
    filters: filtersConfigSchema,
    errors: errorsConfigSchema,
    allowOffsetGaps: z
      .boolean()
      .default(false)
      .describe(
        "Apply on when a partition continues after the offset the target recorded (records deleted by retention " +
          "or compacted away); by default the sink stops, since their changes would be lost",
      ),
    batch: z
      .object({
        maxEvents: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe(
            "Events applied in one target transaction at most. While more wait in a partition, a transaction is filled up to this (or consumer.fetchMaxBytes) across fetches",
          ),
        maxWaitMs: z
          .number()
          .int()
          .min(0)
          .default(100)
          .describe("Longest time a fetch waits for more events before a smaller batch is applied"),
        copyThreshold: z
          .number()
          .int()
          .positive()
          .default(1_000)
          .describe("Upserts and deletes of at least this many rows go through COPY and a staging table"),
      })
      .prefault({}),
    conflicts: conflictsConfigSchema,
    consumer: z
      .object({
        sessionTimeoutMs: z
          .number()
          .int()
          .min(6_000)
          .default(10_000)
          .describe(
            "How long the consumer group waits for a silent instance before reassigning its partitions: after a crash (kill -9) the restarted sink waits this long. At least the broker's group.min.session.timeout.ms (6000 by default)",
          ),
        heartbeatIntervalMs: z
          .number()
          .int()
          .min(100)
          .default(1_000)
          .describe(
            "How often the sink heartbeats to its consumer group, also while applying a batch; well under sessionTimeoutMs",
          ),
        fetchMaxBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(2 * 1024 * 1024)
          .describe(
            "Most bytes one fetch from Kafka returns, per partition and in all (a larger record still comes whole), and most bytes of keys and values one target transaction applies: larger fetches use more memory without applying faster",
          ),
      })
      .refine((consumer) => consumer.heartbeatIntervalMs * 3 <= consumer.sessionTimeoutMs, {
        message: "expected heartbeatIntervalMs to be at most a third of sessionTimeoutMs",
      })
      .prefault({})
      .describe("Consumer group membership"),
    helperSchema: z
      .string()
      .min(1)
      .default("public")
      .describe(
        "Schema of tributary_offsets, tributary_origin_marker and tributary_conflicts on the target (a source on the target must use the same)",
      ),
    http: httpConfigSchema(9465),
    retry: retryConfigSchema,
    log: logConfigSchema,
  })
  .refine((config) => config.ddl.mode === "ignore" || config.connector !== "polardb-sink", {
    message:
      "ddl: apply is not supported by polardb-sink yet (its Oracle-mode types differ); use ddl: ignore",
    path: ["ddl"],
  })
  .transform((config) => ({
    ...config,
    origin: config.origin ?? config.name,
    target: { ...config.target, port: config.target.port ?? DEFAULT_TARGET_PORT[config.connector] },
  }));

export type PostgresSinkConfig = z.output<typeof postgresSinkConfigSchema>;
export type TargetConfig = PostgresSinkConfig["target"];

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
