/**
 * The errors the sink's pure parts raise, in one place. Core's `ErrorCode` has no sink codes
 * yet, so these reuse the closest existing ones; when core gains `TRB_SINK_*` codes only this
 * file changes. Messages name tables, columns and types, never row values (they may be
 * personal data).
 */
import { TributaryError } from "@tributary/core";

/** A name mapping or identifier the target cannot take (configuration). */
export function mappingInvalid(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_CFG_INVALID", message, { details });
}

/** A table's Avro schema that the sink cannot turn into a target table. */
export function schemaUnsupported(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_SCHEMA_INVALID", message, { details });
}

/** A change event that decoded but does not describe a change the sink can apply. */
export function eventInvalid(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_CODEC_DECODE", message, { details });
}

/** A value the target cannot hold as it is (a NUL character in text), or of the wrong in-memory form. */
export function valueUnsupported(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_PG_VALUE_OUT_OF_RANGE", message, { details });
}
