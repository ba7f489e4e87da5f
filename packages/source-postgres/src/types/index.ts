export { arrayParser, parseArrayLiteral } from "./array-literal.js";
export {
  DATE_NEGATIVE_INFINITY,
  DATE_POSITIVE_INFINITY,
  daysFromCivil,
  parseDate,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  TIMESTAMP_NEGATIVE_INFINITY,
  TIMESTAMP_POSITIVE_INFINITY,
} from "./datetime-text.js";
export {
  type PgAttribute,
  type PgQueryable,
  PgTypeCatalog,
  type PgTypeInfo,
  type PgTypeKind,
  type PgTypeRef,
} from "./PgTypeCatalog.js";
export { PG_TYPE } from "./pg-type-oids.js";
export {
  parseBoolean,
  parseBytea,
  parseFloat4,
  parseFloat8,
  parseInt32,
  parseInt64,
  parseText,
  parseUuid,
  type TextParser,
  textParser,
} from "./text-values.js";
export {
  arrayDimensions,
  arrayType,
  mapColumn,
  numericType,
  type PgColumnMapping,
  type PgColumnOptions,
} from "./type-mapping.js";
export {
  bitLength,
  charLength,
  formatType,
  type IntervalTypmod,
  intervalTypmod,
  type NumericTypmod,
  numericTypmod,
  timePrecision,
} from "./typmod.js";
