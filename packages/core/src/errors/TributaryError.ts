/**
 * Stable error codes. A code never changes meaning once released: operators grep for them,
 * and retry decisions are made on `retriable`, never on message text.
 */
export type ErrorCode =
  | "TRB_CFG_INVALID"
  | "TRB_CFG_FILE"
  | "TRB_CODEC_NOT_SINGLE_OBJECT"
  | "TRB_CODEC_FINGERPRINT_MISMATCH"
  | "TRB_CODEC_ENCODE"
  | "TRB_CODEC_DECODE"
  | "TRB_SCHEMA_INVALID"
  | "TRB_SCHEMA_UNKNOWN"
  | "TRB_SCHEMA_STORE"
  | "TRB_EVENT_TOO_LARGE"
  | "TRB_KAFKA"
  | "TRB_KAFKA_UNREACHABLE"
  | "TRB_TOPIC_MISSING"
  | "TRB_PG_LSN_INVALID"
  | "TRB_PG_VERSION_UNSUPPORTED"
  | "TRB_PG_PGOUTPUT_UNKNOWN_TAG"
  | "TRB_PG_PGOUTPUT_MALFORMED"
  | "TRB_PG_TYPE_UNKNOWN"
  | "TRB_PG_VALUE_INVALID"
  | "TRB_PG_VALUE_OUT_OF_RANGE"
  | "TRB_PG_UNREACHABLE"
  | "TRB_PG_AUTH"
  | "TRB_PG_DATABASE_MISSING"
  | "TRB_PG_WAL_LEVEL"
  | "TRB_PG_STANDBY"
  | "TRB_PG_PRIVILEGE"
  | "TRB_PG_DDL_CAPTURE"
  | "TRB_PG_NO_FREE_SLOT"
  | "TRB_PG_NO_FREE_WAL_SENDER"
  | "TRB_PG_SLOT_ACTIVE"
  | "TRB_PG_SLOT_CONFLICT"
  | "TRB_PG_SLOT_LOST"
  | "TRB_PG_REPLICA_IDENTITY"
  | "TRB_PG_TABLE_UNLOGGED"
  | "TRB_PG_NO_TABLES"
  | "TRB_PG_LOCK_TIMEOUT"
  | "TRB_PG_SETUP"
  | "TRB_RETRY_DEADLINE"
  | "TRB_SHUTDOWN"
  | "TRB_NOT_IMPLEMENTED"
  | "TRB_USAGE"
  | "TRB_PG_PROTOCOL"
  | "TRB_PG_PRECHECK"
  | "TRB_PG_SLOT_MISSING"
  | "TRB_PG_SLOT_RECREATED"
  | "TRB_SINK_TARGET_UNREACHABLE"
  | "TRB_SINK_TARGET_AUTH"
  | "TRB_SINK_TARGET_DATABASE_MISSING"
  | "TRB_SINK_TABLE_MISSING"
  | "TRB_SINK_COLUMN_MISSING"
  | "TRB_SINK_SCHEMA_UNSUPPORTED"
  | "TRB_SINK_EVENT_INVALID"
  | "TRB_SINK_VALUE_UNSUPPORTED"
  | "TRB_SINK_DECODE"
  | "TRB_SINK_FILTER"
  | "TRB_SINK_OFFSET_GAP"
  | "TRB_SINK_DEAD_LETTER"
  | "TRB_SINK_DDL"
  | "TRB_SINK_APPLY"
  | "TRB_SINK_REJECTED"
  | "TRB_SINK_CONFLICT"
  | "TRB_SINK_COMMIT_TIMESTAMPS_OFF"
  | "TRB_SINK_TABLE_APPEND_OPTIMIZED"
  | "TRB_SINK_GROUP_ACTIVE"
  | "TRB_SINK_REPLAY";

export interface TributaryErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** Structured facts for logs (topic, table, key, …). Never secrets. */
  details?: Record<string, unknown>;
}

/**
 * Base of every error Tributary raises on purpose. The message says what happened and what to
 * do; `String(err)` reads `[CODE] message`.
 */
export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;
  /** The message without its `[CODE]` prefix, for wrapping into another error's message. */
  readonly reason: string;

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(`[${code}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TributaryError";
    this.code = code;
    this.reason = message;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

export function isTributaryError(error: unknown, code?: ErrorCode): error is TributaryError {
  return error instanceof TributaryError && (code === undefined || error.code === code);
}
