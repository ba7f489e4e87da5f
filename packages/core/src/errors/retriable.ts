import { causeChain } from "./cause-chain.js";

/**
 * Decides whether an error is worth retrying by walking its cause chain for facts set by the
 * code that raised it — `retriable` flags (Tributary, kafkajs), SQLSTATE codes (node-postgres),
 * errno codes (Node's sockets) — never by matching message text.
 */

const RETRIABLE_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/** SQLSTATE classes that describe a passing condition (connection loss, resource limits, shutdown). */
const RETRIABLE_SQLSTATE_CLASSES = new Set(["08", "53", "57"]);
const RETRIABLE_SQLSTATES = new Set(["40001", "40P01", "55P03", "55006"]);
/** Permanent whatever their class says: wrong credentials, missing privilege. */
const PERMANENT_SQLSTATE_CLASSES = new Set(["28"]);
const PERMANENT_SQLSTATES = new Set(["42501", "57P04"]);

export type Retriability = "retriable" | "permanent" | "unknown";

export function classifyError(error: unknown): Retriability {
  for (const current of causeChain(error)) {
    const verdict = classifyOne(current);
    if (verdict !== "unknown") return verdict;
  }
  return "unknown";
}

export function isRetriable(error: unknown): boolean {
  return classifyError(error) === "retriable";
}

function classifyOne(error: Record<string, unknown>): Retriability {
  const code = typeof error.code === "string" ? error.code : undefined;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && isSqlState(error)) {
    if (PERMANENT_SQLSTATES.has(code) || PERMANENT_SQLSTATE_CLASSES.has(code.slice(0, 2))) return "permanent";
    if (RETRIABLE_SQLSTATES.has(code) || RETRIABLE_SQLSTATE_CLASSES.has(code.slice(0, 2))) return "retriable";
    return "permanent";
  }
  if (code !== undefined && RETRIABLE_ERRNO.has(code)) return "retriable";
  if (typeof error.retriable === "boolean") return error.retriable ? "retriable" : "permanent";
  return "unknown";
}

/** node-postgres' DatabaseError carries `severity` beside the SQLSTATE; errno codes never do. */
function isSqlState(error: Record<string, unknown>): boolean {
  return typeof error.severity === "string" || error.name === "DatabaseError";
}

/** Codes of Tributary errors that mean a server could not be reached or the connection to it was lost. */
const CONNECTION_LOSS_CODES = new Set([
  "TRB_PG_UNREACHABLE",
  "TRB_KAFKA_UNREACHABLE",
  "TRB_SINK_TARGET_UNREACHABLE",
]);

/**
 * True when the error, or one along its cause chain, is a lost or refused connection: such
 * failures are retried for `retry.connectionMinutes`, others for `retry.otherMinutes`.
 */
export function isConnectionLoss(error: unknown): boolean {
  for (const current of causeChain(error)) {
    const code = current.code;
    if (typeof code !== "string") continue;
    if (CONNECTION_LOSS_CODES.has(code) || RETRIABLE_ERRNO.has(code)) return true;
    if (code.startsWith("08") && isSqlState(current)) return true;
  }
  return false;
}
