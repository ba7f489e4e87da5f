export { toAvroName, toUniqueAvroNames } from "./avro-names.js";
export type {
  AvroArraySchema,
  AvroEnumSchema,
  AvroField,
  AvroFixedSchema,
  AvroJson,
  AvroMapSchema,
  AvroNamedSchema,
  AvroObjectSchema,
  AvroPrimitiveName,
  AvroPrimitiveSchema,
  AvroRecordSchema,
  AvroSchema,
  AvroUnionSchema,
} from "./avro-schema.js";
export { isValidAvroName } from "./avro-schema.js";
export { AvroBinaryWriter } from "./binary-writer.js";
export type { Fingerprint } from "./canonical-form.js";
export {
  extendedCanonicalForm,
  fingerprintFromBytes,
  fingerprintOfText,
  fingerprintToBytes,
  isFingerprint,
  parsingCanonicalForm,
  parsingFingerprint,
  schemaFingerprint,
} from "./canonical-form.js";
export type { PartDecoder, PartEncoder, WriterSchema } from "./codec.js";
export {
  compileSchema,
  decode,
  decodeBody,
  encode,
  encodeBody,
  isSingleObject,
  partDecoder,
  partEncoder,
  peekFingerprint,
  SINGLE_OBJECT_HEADER_LENGTH,
  singleObjectHeader,
  writtenWith,
} from "./codec.js";
export { CRC64_AVRO_EMPTY, crc64Avro } from "./crc64-avro.js";
export { bytesToUnscaled, formatDecimal, toUnscaled } from "./decimal.js";
export type { FixedSchemas } from "./fixed-schemas.js";
export { fixedSchemas, fixedSchemasDirectory } from "./fixed-schemas.js";
export { recordPartEncoder } from "./record-encoder.js";
export type { ColumnDescription, ColumnType, TableDescription, TableSchemas } from "./table-schema.js";
export {
  buildTableSchemas,
  COLUMN_PROPERTY,
  columnNameOf,
  columnTypeToAvro,
  SOURCE_TYPE_PROPERTY,
  tableNamespace,
} from "./table-schema.js";
