export {
  type DecodedRecord,
  groupByOrigin,
  type SchemaRun,
  splitBySchema,
  type TransactionGroup,
} from "./apply/transaction-groups.js";
export { type ApplyAction, type PlanOptions, planApply } from "./apply-plan.js";
export { type AvroColumnType, avroColumnType } from "./avro-column-type.js";
export { type ApplyStep, type BatchRecord, keyIdentity, reduceBatch } from "./batch-reduction.js";
export {
  DEFAULT_TARGET_PORT,
  type PostgresSinkConfig,
  postgresSinkConfigSchema,
  SINK_CONNECTORS,
  type SinkConnectorKind,
} from "./config.js";
export {
  DATE_NEGATIVE_INFINITY,
  DATE_POSITIVE_INFINITY,
  formatDate,
  formatTime,
  formatTimestamp,
  formatTimestamptz,
  TIMESTAMP_NEGATIVE_INFINITY,
  TIMESTAMP_POSITIVE_INFINITY,
} from "./datetime-format.js";
export { DEAD_LETTER_HEADERS, deadLetterTopicOf } from "./dead-letter/dead-letter-record.js";
export { ERROR_TOLERANCES, type ErrorsConfig } from "./dead-letter/errors-config.js";
export { EventFilter, type FilterOutcome, sourceTableOf } from "./filters/EventFilter.js";
export { FILTER_OPERATIONS, type FilterOperation, type FiltersConfig } from "./filters/filter-config.js";
export {
  type Capitalization,
  capitalize,
  DEFAULT_MAPPING,
  mapColumnName,
  mapSchemaName,
  mapTableName,
  type NameMapping,
  parseQualifiedName,
  type TargetTableName,
} from "./name-mapping.js";
export { PostgresSinkConnector } from "./PostgresSinkConnector.js";
export {
  describeReplayPlan,
  type PartitionFacts,
  type PartitionReplay,
  planReplay,
  type ReplayFacts,
  type ReplayPlan,
  type TableFacts,
} from "./replay/replay-plan.js";
export { type ReplayOptions, SinkReplay } from "./replay/SinkReplay.js";
export { SinkMetrics } from "./SinkMetrics.js";
export type { SinkPhase } from "./SinkSession.js";
export { type ParsedSourceType, parseSourceType } from "./source-type.js";
export { copyField, copyRows } from "./sql/copy-text.js";
export type { Dialect } from "./sql/dialect.js";
export { type FamilyTraits, familyDialect } from "./sql/family-statements.js";
export { postgresDialect } from "./sql/postgres-dialect.js";
export {
  assignmentCastType,
  avroPostgresType,
  postgresColumnType,
  type TypeOptions,
  type UserTypeRecipe,
  userTypeRecipe,
} from "./sql/postgres-types.js";
export { qualifiedName, quoteIdentifier, quoteLiteral, type SqlStatement } from "./sql/sql-text.js";
export {
  buildTableModel,
  type ColumnModel,
  columnOfField,
  type SourceTable,
  type TableModel,
  type TableModelOptions,
  type UserTypeRef,
  withTargetTypes,
} from "./table-model.js";
export {
  OFFSETS_TABLE,
  ORIGIN_MARKER_TABLE,
  replicationOriginName,
} from "./target/helper-sql.js";
export {
  postgresSinkDialect,
  type SessionDialect,
  type SinkDialect,
  type TargetQuery,
  type TargetSession,
} from "./target/sink-dialect.js";
export { TargetConnection } from "./target/TargetConnection.js";
export { isInternalTopic, selectTopics, type TopicChoice, type TopicSelection } from "./topic-selection.js";
export {
  type FormatterOptions,
  formatFloat,
  textArrayLiteral,
  type ValueFormatter,
  valueFormatter,
} from "./value-text.js";
