import { z } from "zod";

/** Building blocks shared by every connector's config schema (DESIGN.md section 7). */

export const connectorNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,52}$/,
    "expected 1-53 characters of lower-case letters, digits and '_', starting with a letter (it names the replication slot)",
  )
  .describe("Connector name: replication slot/publication suffix, consumer group, default topic prefix");

export const topicPrefixSchema = z
  .string()
  .regex(
    /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/,
    "expected Kafka topic characters [a-zA-Z0-9._-] without empty segments",
  )
  .max(200);

export const kafkaConfigSchema = z
  .object({
    brokers: z
      .array(z.string().regex(/^\[?[^\s/]+\]?:\d{1,5}$/, "expected host:port"))
      .min(1, "expected at least one broker")
      .describe("Bootstrap brokers, host:port"),
    clientId: z.string().optional().describe("Client id sent to the brokers (default: the connector name)"),
    ssl: z.boolean().default(false).describe("Connect with TLS"),
    sasl: z
      .object({
        mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).describe("SASL mechanism"),
        username: z.string().min(1).describe("SASL user name"),
        password: z.string().describe("SASL password (never logged)"),
      })
      .optional()
      .describe("SASL authentication"),
    compression: z.enum(["none", "gzip", "snappy"]).default("none").describe("Producer compression codec"),
    connectionTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe("How long to wait for a broker connection, in ms"),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe("How long to wait for a broker's answer to a request, in ms"),
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024)
      .describe("Largest single event accepted; must not exceed the broker's message.max.bytes"),
    batch: z
      .object({
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(8 * 1024 * 1024)
          .describe("Bytes per produce request (one larger event goes alone)"),
        maxMessages: z.number().int().positive().default(20_000).describe("Events per produce request"),
      })
      .prefault({})
      .describe("Producer request sizes"),
  })
  .describe("Kafka connection and producer settings");

export const retryConfigSchema = z
  .object({
    connectionMinutes: z.number().positive().default(720).describe("How long lost connections are retried"),
    otherMinutes: z.number().positive().default(10).describe("How long other retriable failures are retried"),
  })
  .prefault({})
  .describe("Retry deadlines, with backoff; authentication and privilege errors are never retried");

const rateSchema = z
  .object({
    rowsPerSecond: z.number().nonnegative().default(0).describe("0 = unlimited"),
    bytesPerSecond: z.number().nonnegative().default(0).describe("0 = unlimited"),
  })
  .prefault({});

export const throttleConfigSchema = z
  .object({
    snapshot: rateSchema.describe("Limits while reading the snapshot"),
    stream: rateSchema.describe("Limits while streaming changes"),
  })
  .prefault({})
  .describe("Rate limits, separately for the snapshot and the stream");

export function httpConfigSchema(defaultPort: number) {
  return z
    .object({
      enabled: z.boolean().default(true).describe("Serve /metrics and /healthz"),
      host: z.string().default("0.0.0.0").describe("Address to listen on"),
      port: z.number().int().min(0).max(65535).default(defaultPort).describe("0 picks a free port"),
    })
    .prefault({})
    .describe("The /metrics and /healthz endpoint");
}

export const logConfigSchema = z
  .object({
    level: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info")
      .describe("Lowest level logged (pino JSON lines on stderr)"),
  })
  .prefault({})
  .describe("Logging");

export type KafkaConfig = z.output<typeof kafkaConfigSchema>;
export type RetryConfig = z.output<typeof retryConfigSchema>;
export type ThrottleConfig = z.output<typeof throttleConfigSchema>;
export type HttpConfig = z.output<ReturnType<typeof httpConfigSchema>>;
