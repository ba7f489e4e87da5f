import { createRequire } from "node:module";
import "./kafkajs-fixes.js";
import kafkajs, { type KafkaConfig as KafkaJsConfig, type logCreator } from "kafkajs";
import snappyCodec from "kafkajs-snappy";
import type { KafkaConfig } from "../config/common-schema.js";
import { causeChain } from "../errors/cause-chain.js";
import { TributaryError } from "../errors/TributaryError.js";
import type { Logger } from "../observability/logger.js";

const { Kafka, logLevel, CompressionCodecs, CompressionTypes } = kafkajs;

CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;

export const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
} as const;

/**
 * What a broker answers for a moment about a topic it has just created: kafkajs logs each such
 * answer as an error, though it (or `KafkaTopicAdmin.ensureTopics`) asks again.
 */
const TRANSIENT_ANSWERS: ReadonlySet<string> = (() => {
  const { errorCodes } = createRequire(import.meta.url)("kafkajs/src/protocol/error.js") as {
    errorCodes: { type: string; message: string }[];
  };
  const transient = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE"]);
  return new Set(errorCodes.filter(({ type }) => transient.has(type)).map(({ message }) => message));
})();

/** kafkajs logs through our pino logger, one level down (its info is chatty). */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...rest } = log;
      const fields = { ...rest, lib: "kafkajs" };
      if (typeof rest.error === "string" && TRANSIENT_ANSWERS.has(rest.error)) logger.debug(fields, message);
      else if (level === logLevel.ERROR) logger.warn(fields, message);
      else if (level === logLevel.WARN) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}

export function createKafka(
  config: KafkaConfig,
  clientId: string,
  logger: Logger,
): InstanceType<typeof Kafka> {
  const options: KafkaJsConfig = {
    clientId: config.clientId ?? clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(logger.child({ component: "kafka" })),
    // Our own retry loops own the deadlines; kafkajs retries a little for transient blips.
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
  };
  if (config.sasl) {
    const { mechanism, username, password } = config.sasl;
    options.sasl = { mechanism, username, password } as KafkaJsConfig["sasl"];
  }
  return new Kafka(options);
}

export function kafkaUnreachable(config: KafkaConfig, error: unknown): TributaryError {
  return new TributaryError(
    "TRB_KAFKA_UNREACHABLE",
    `cannot connect to Kafka at ${config.brokers.join(", ")}: ${(error as Error).message}; ` +
      "check kafka.brokers and that the brokers are running",
    { retriable: true, cause: error },
  );
}

const CONNECTION_FAILURES = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSBrokerNotFound",
  "KafkaJSRequestTimeoutError",
  "KafkaJSGroupCoordinatorNotFound",
]);

/**
 * A failure kafkajs reported on its own (a consumer crash), as a coded error: a refused
 * authentication or authorization is permanent, a lost or unreachable broker is
 * TRB_KAFKA_UNREACHABLE, anything else a retriable TRB_KAFKA. kafkajs wraps the real cause in
 * a non-retriable "retries exceeded" error, so its own `retriable` flag cannot decide.
 */
export function kafkaFailure(config: KafkaConfig, what: string, error: unknown): TributaryError {
  let unreachable = false;
  for (const current of causeChain(error)) {
    const type = current.type;
    if (
      current.name === "KafkaJSSASLAuthenticationError" ||
      (typeof type === "string" && /AUTHORIZATION_FAILED|AUTHENTICATION_FAILED/.test(type))
    ) {
      return new TributaryError(
        "TRB_KAFKA",
        `${what}: Kafka refused the request (${String(current.message)}); check kafka.sasl and the ACLs of the user`,
        { cause: error },
      );
    }
    if (typeof current.name === "string" && CONNECTION_FAILURES.has(current.name)) unreachable = true;
  }
  if (unreachable) {
    const lost = kafkaUnreachable(config, error);
    return new TributaryError(lost.code, `${what}: ${lost.reason}`, { retriable: true, cause: error });
  }
  return new TributaryError("TRB_KAFKA", `${what}: ${(error as Error).message ?? String(error)}`, {
    retriable: true,
    cause: error,
  });
}
