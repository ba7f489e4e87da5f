import { TributaryError } from "@tributary/core";
import { formatLsn, type Lsn } from "./lsn.js";
import type { PgoutputProtocolVersion } from "./pgoutput-messages.js";

/** The options of pgoutput's START_REPLICATION, as Tributary sends them. */
export interface PgoutputOptions {
  readonly protoVersion: PgoutputProtocolVersion;
  /** Publication names, exact (case and punctuation kept): each is double-quoted on the wire. */
  readonly publicationNames: readonly string[];
  /** Logical decoding messages (`pg_logical_emit_message`); PostgreSQL 14+. */
  readonly messages?: boolean;
  /** Stream in-progress transactions (protocol 2+); `parallel` needs protocol 4 (PostgreSQL 16+). */
  readonly streaming?: boolean | "parallel";
  /** Columns in the types' binary send format where they have one; PostgreSQL 14+. */
  readonly binary?: boolean;
  /** Decode prepared transactions at PREPARE (protocol 3+); the slot must allow two-phase too. */
  readonly twoPhase?: boolean;
  /** `none` sends only changes without a replication origin; PostgreSQL 16+. Default any. */
  readonly origin?: "any" | "none";
}

/** What the server's pgoutput understands, by `server_version_num`. */
export interface PgoutputCapabilities {
  readonly serverVersionNum: number;
  /** The highest protocol version the server speaks (1 … 4). */
  readonly maxProtoVersion: PgoutputProtocolVersion;
  readonly streaming: boolean;
  readonly binary: boolean;
  readonly messages: boolean;
  readonly twoPhase: boolean;
  readonly parallelStreaming: boolean;
  readonly origin: boolean;
}

export function pgoutputCapabilities(serverVersionNum: number): PgoutputCapabilities {
  if (!Number.isInteger(serverVersionNum) || serverVersionNum < 100000) {
    throw new TributaryError(
      "TRB_PG_VERSION_UNSUPPORTED",
      `PostgreSQL server_version_num ${serverVersionNum} has no pgoutput logical decoding; ` +
        "Tributary needs PostgreSQL 10 or later",
      { details: { serverVersionNum } },
    );
  }
  const v14 = serverVersionNum >= 140000;
  const v15 = serverVersionNum >= 150000;
  const v16 = serverVersionNum >= 160000;
  return {
    serverVersionNum,
    maxProtoVersion: v16 ? 4 : v15 ? 3 : v14 ? 2 : 1,
    streaming: v14,
    binary: v14,
    messages: v14,
    twoPhase: v15,
    parallelStreaming: v16,
    origin: v16,
  };
}

export interface PgoutputWishes {
  readonly publicationNames: readonly string[];
  /** Default true: stream large in-progress transactions where the server can (14+). */
  readonly streaming?: boolean;
  /** Default false. Falls back to text below PostgreSQL 14 (text is lossless too). */
  readonly binary?: boolean;
  /** Default false. Below PostgreSQL 14 the server cannot send them: TRB_PG_VERSION_UNSUPPORTED. */
  readonly messages?: boolean;
}

/**
 * Options for a server: protocol 1 on PostgreSQL 10–13, protocol 2 with `streaming 'on'` on
 * 14 and later. Tributary stays at protocol 2 on newer servers: version 3 adds two-phase
 * decoding and version 4 parallel apply, neither of which a Kafka producer needs.
 */
export function choosePgoutputOptions(serverVersionNum: number, wishes: PgoutputWishes): PgoutputOptions {
  const can = pgoutputCapabilities(serverVersionNum);
  if (wishes.messages === true && !can.messages) {
    throw new TributaryError(
      "TRB_PG_VERSION_UNSUPPORTED",
      `pgoutput sends logical decoding messages from PostgreSQL 14 on; this server is ${serverVersionNum}`,
      { details: { serverVersionNum } },
    );
  }
  const streaming = (wishes.streaming ?? true) && can.streaming;
  return {
    protoVersion: can.maxProtoVersion >= 2 ? 2 : 1,
    publicationNames: [...wishes.publicationNames],
    ...(can.messages ? { messages: wishes.messages ?? false } : {}),
    ...(can.streaming ? { streaming } : {}),
    ...(can.binary ? { binary: wishes.binary ?? false } : {}),
  };
}

/** A double-quoted SQL / replication-command identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted string literal (standard-conforming: backslashes are plain characters). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The value of `publication_names`: a comma-separated identifier list that the server splits
 * like `search_path`, lower-casing unquoted names — so each name is double-quoted.
 */
export function publicationNamesValue(names: readonly string[]): string {
  return names.map(quoteIdentifier).join(",");
}

/** `START_REPLICATION SLOT "<slot>" LOGICAL <lsn> (<pgoutput options>)`, validated and quoted. */
export function startReplicationSql(slotName: string, startLsn: Lsn, options: PgoutputOptions): string {
  validatePgoutputOptions(options);
  if (slotName.length === 0 || slotName.includes("\0")) {
    throw usage(`slot name ${JSON.stringify(slotName)} is empty or contains a NUL character`);
  }
  const parts = [
    `proto_version ${quoteLiteral(String(options.protoVersion))}`,
    `publication_names ${quoteLiteral(publicationNamesValue(options.publicationNames))}`,
  ];
  if (options.messages !== undefined) parts.push(`messages ${quoteLiteral(String(options.messages))}`);
  if (options.binary !== undefined) parts.push(`binary ${quoteLiteral(String(options.binary))}`);
  if (options.streaming !== undefined) {
    const value = options.streaming === "parallel" ? "parallel" : options.streaming ? "on" : "off";
    parts.push(`streaming ${quoteLiteral(value)}`);
  }
  if (options.twoPhase !== undefined) parts.push(`two_phase ${quoteLiteral(String(options.twoPhase))}`);
  if (options.origin !== undefined) parts.push(`origin ${quoteLiteral(options.origin)}`);
  return `START_REPLICATION SLOT ${quoteIdentifier(slotName)} LOGICAL ${formatLsn(startLsn)} (${parts.join(", ")})`;
}

/** Throws TRB_USAGE for option combinations the server would refuse. Returns the options. */
export function validatePgoutputOptions(options: PgoutputOptions): PgoutputOptions {
  const { protoVersion, publicationNames } = options;
  if (![1, 2, 3, 4].includes(protoVersion)) throw usage(`protoVersion ${protoVersion} is none of 1, 2, 3, 4`);
  if (publicationNames.length === 0) throw usage("publicationNames is empty; name at least one publication");
  for (const name of publicationNames) {
    if (name.length === 0 || name.includes("\0")) {
      throw usage(`publication name ${JSON.stringify(name)} is empty or contains a NUL character`);
    }
  }
  if (options.streaming === "parallel" && protoVersion < 4) {
    throw usage(`streaming 'parallel' needs protoVersion 4, not ${protoVersion}`);
  }
  if (options.streaming === true && protoVersion < 2) {
    throw usage("streaming needs protoVersion 2 or later (PostgreSQL 14+)");
  }
  if (options.twoPhase === true && protoVersion < 3) {
    throw usage("twoPhase needs protoVersion 3 or later (PostgreSQL 15+)");
  }
  return options;
}

function usage(message: string): TributaryError {
  return new TributaryError("TRB_USAGE", `pgoutput options: ${message}`);
}
