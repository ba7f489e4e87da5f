// Must stay first: patches kafkajs before anything loads it.
import "./kafka/kafkajs-fixes.js";

export * from "./avro/index.js";
export {
  connectorNameSchema,
  type HttpConfig,
  httpConfigSchema,
  type KafkaConfig,
  kafkaConfigSchema,
  logConfigSchema,
  type RetryConfig,
  retryConfigSchema,
  type ThrottleConfig,
  throttleConfigSchema,
  topicPrefixSchema,
} from "./config/common-schema.js";
export { ENV_PREFIX, readEnvOverrides } from "./config/env-overrides.js";
export { type LoadConfigOptions, loadConfig } from "./config/load-config.js";
export { causeChain } from "./errors/cause-chain.js";
export { classifyError, isConnectionLoss, isRetriable, type Retriability } from "./errors/retriable.js";
export {
  type ErrorCode,
  isTributaryError,
  TributaryError,
  type TributaryErrorOptions,
} from "./errors/TributaryError.js";
export {
  ARRAY_LOWER_BOUNDS_FIELD,
  type ArrayLowerBounds,
  applyArrayLowerBounds,
  collectArrayLowerBounds,
  lowerBoundsOf,
  withLowerBounds,
} from "./events/array-bounds.js";
export {
  type ChangeEvent,
  type ColumnValue,
  type Envelope,
  EVENT_HEADERS,
  type Operation,
  type Row,
  type SourceInfo,
  type TransactionInfo,
} from "./events/change-event.js";
export { type JsonValue, toJsonValue } from "./events/to-json.js";
export { detachedRecord } from "./kafka/detached-record.js";
export type {
  EventPublisher,
  EventSubscriber,
  IncomingRecord,
  OutgoingRecord,
  RecordBatch,
  SubscribeOptions,
  TopicAdmin,
  TopicPartition,
  TopicPartitionOffset,
  TopicSpec,
} from "./kafka/event-bus.js";
export { KafkaEventPublisher, recordSize, splitIntoRequests } from "./kafka/KafkaEventPublisher.js";
export { KafkaEventSubscriber, type KafkaSubscriberOptions } from "./kafka/KafkaEventSubscriber.js";
export {
  type GroupState,
  KafkaGroupAdmin,
  type PartitionRange,
} from "./kafka/KafkaGroupAdmin.js";
export { KafkaTopicAdmin } from "./kafka/KafkaTopicAdmin.js";
export { readCompactedTopic } from "./kafka/read-compacted-topic.js";
export {
  type InternalTopicKind,
  internalTopic,
  sanitizeTopicSegment,
  tableTopic,
  topicPrefixOf,
} from "./kafka/topic-names.js";
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  REDACT_PATHS,
  redactSecrets,
} from "./observability/logger.js";
export {
  createMetricsRegistry,
  type HealthReport,
  MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from "./observability/MetricsServer.js";
export { SchemaStore, type SchemaStoreOptions } from "./schema-store/SchemaStore.js";
export { Lifecycle } from "./util/Lifecycle.js";
export { type RetryOptions, retry } from "./util/retry.js";
export { type RunSessionsOptions, runSessions, type SessionEnd } from "./util/run-sessions.js";
export { sleep } from "./util/sleep.js";
export { type ThrottleLimits, TokenBucketThrottle } from "./util/TokenBucketThrottle.js";
