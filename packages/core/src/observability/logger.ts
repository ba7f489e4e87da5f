import { type LevelWithSilent, type Logger, pino } from "pino";

export type { Logger };

const SECRET_KEYS = ["password", "secret", "token", "saslPassword"];

/** Redaction paths for secrets at any of the first four levels of a logged object. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Bound into every line, e.g. `{ connector: "shop", phase: "snapshot" }`. */
  bindings?: Record<string, unknown>;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  destination?: NodeJS.WritableStream;
}

/** JSON lines with pino; secrets replaced by `[redacted]` wherever they appear in a logged object. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.errWithCause, error: pino.stdSerializers.errWithCause },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
  return options.bindings ? logger.child(options.bindings) : logger;
}

/** A deep copy of a config object with every secret-looking field replaced, for printing. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item)) as T;
  if (value === null || typeof value !== "object" || Buffer.isBuffer(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    copy[key] =
      /pass(word)?|secret|token|credential/i.test(key) && child !== "" ? "[redacted]" : redactSecrets(child);
  }
  return copy as T;
}
