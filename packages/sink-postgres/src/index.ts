export { type ApplyAction, type PlanOptions, planApply } from "./apply-plan.js";
export { type AvroColumnType, avroColumnType } from "./avro-column-type.js";
export { type ApplyStep, type BatchRecord, keyIdentity, reduceBatch } from "./batch-reduction.js";
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
export { type ParsedSourceType, parseSourceType } from "./source-type.js";
export { analyticdbDialect, distributionClause } from "./sql/analyticdb-dialect.js";
export { copyField, copyRows } from "./sql/copy-text.js";
export type { Dialect } from "./sql/dialect.js";
export { polardbColumnType, polardbDialect } from "./sql/polardb-dialect.js";
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
  type FormatterOptions,
  formatFloat,
  textArrayLiteral,
  type ValueFormatter,
  valueFormatter,
} from "./value-text.js";
