/**
 * The errors the sink's pure parts raise, in one place. Messages name tables, columns and
 * types, never row values (they may be personal data).
 */
import { TributaryError } from "@tributary/core";

/** A name mapping or identifier the target cannot take (configuration). */
export function mappingInvalid(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_CFG_INVALID", message, { details });
}

/** A table's Avro schema that the sink cannot turn into a target table. */
export function schemaUnsupported(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_SINK_SCHEMA_UNSUPPORTED", message, { details });
}

/** A change event that decoded but does not describe a change the sink can apply. */
export function eventInvalid(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_SINK_EVENT_INVALID", message, { details });
}

/** A value the target cannot hold as it is (a NUL character in text), or of the wrong in-memory form. */
export function valueUnsupported(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError("TRB_SINK_VALUE_UNSUPPORTED", message, { details });
}
