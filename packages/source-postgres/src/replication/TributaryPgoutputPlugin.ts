import { isTributaryError, TributaryError } from "@tributary/core";
import type { Client } from "pg";
import type { LogicalReplicationService } from "pg-logical-replication";
import { formatLsn, type Lsn, parseLsn, toLsn } from "./lsn.js";
import { PgoutputDecoder } from "./PgoutputDecoder.js";
import type { PgoutputMessage } from "./pgoutput-messages.js";
import { type PgoutputOptions, startReplicationSql, validatePgoutputOptions } from "./pgoutput-options.js";

/** The plugin type `LogicalReplicationService.subscribe` takes (the library's AbstractPlugin). */
type ReplicationPlugin = Parameters<LogicalReplicationService["subscribe"]>[0];

/**
 * What `parse` hands to the service's `data` listeners when a payload cannot be decoded. The
 * library calls `parse` inside node-postgres' socket listener, where a thrown error would escape
 * as an uncaught exception and end the process; so the failure travels as a value and the
 * `data` listener decides (stop the service, report the error).
 */
export interface PgoutputDecodeFailure {
  readonly tag: "decode-failure";
  readonly error: TributaryError;
}

export type PgoutputPluginOutput = PgoutputMessage | PgoutputDecodeFailure;

/**
 * pgoutput for pg-logical-replication's LogicalReplicationService, with Tributary's decoder.
 * The library keeps the connection, keepalives and standby status updates; this plugin builds
 * the START_REPLICATION command (quoted, version-checked options) and decodes each XLogData
 * payload with PgoutputDecoder. One plugin per service: the decoder's stream state is reset on
 * each `start`, i.e. on every (re)subscribe.
 *
 * The library's package root does not export its AbstractPlugin class, so this class matches
 * its shape (`options`, `name`, `start`, `parse`) instead of extending it through a path into
 * the library's `dist` folder; `subscribe` accepts it by type.
 */
export class TributaryPgoutputPlugin implements ReplicationPlugin {
  readonly options: PgoutputOptions;
  readonly decoder: PgoutputDecoder;

  constructor(options: PgoutputOptions) {
    this.options = validatePgoutputOptions(options);
    this.decoder = new PgoutputDecoder({ protoVersion: options.protoVersion });
  }

  get name(): string {
    return "pgoutput";
  }

  /** Called by `subscribe` with the library's last LSN string ("0/00000000" at first). */
  async start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    this.decoder.reset();
    return client.query(startReplicationSql(slotName, parseLsn(lastLsn), this.options));
  }

  /** Decodes one XLogData payload (the library strips the 25-byte XLogData header). */
  parse(payload: Buffer): PgoutputPluginOutput {
    try {
      return this.decoder.decode(payload);
    } catch (error) {
      if (!isTributaryError(error)) throw error;
      const lsn = xlogDataStartOf(payload);
      if (lsn === undefined) return { tag: "decode-failure", error };
      try {
        // Decoding fails before any state changes, so a second pass only adds the LSN.
        this.decoder.decode(payload, lsn);
      } catch (withLsn) {
        if (isTributaryError(withLsn)) return { tag: "decode-failure", error: withLsn };
      }
      return { tag: "decode-failure", error };
    }
  }
}

/**
 * The WAL start position of the XLogData message around `payload`, read from the header that
 * precedes it in the same memory (the library passes `subarray(25)` of the CopyData chunk).
 * Undefined when the bytes before it are not an XLogData header. Only used to name errors.
 */
export function xlogDataStartOf(payload: Buffer): Lsn | undefined {
  const headerStart = payload.byteOffset - XLOG_DATA_HEADER_LENGTH;
  if (headerStart < 0) return undefined;
  const header = Buffer.from(payload.buffer, headerStart, XLOG_DATA_HEADER_LENGTH);
  if (header[0] !== XLOG_DATA_TAG) return undefined;
  return toLsn(header.readBigUInt64BE(1));
}

/**
 * The argument for `LogicalReplicationService.acknowledge` that reports exactly `confirmed` as
 * written and flushed. The library adds one to the LSN it is given before sending the standby
 * status update; confirming a Commit message's `endLsn` the way PostgreSQL's own subscriber
 * does therefore means passing `endLsn - 1`.
 *
 * Confirm only Commit / Stream Commit end LSNs: the `lsn` the library gives with each `data`
 * event is the XLogData start, which is 0/0 for Relation messages and is not a transaction
 * boundary for rows. 0/0 is refused here: it can only be such a mistake (PostgreSQL 15.20
 * ignores a confirmation that goes backwards; do not count on every server doing so).
 */
export function lsnForLibraryAcknowledge(confirmed: Lsn): string {
  if (confirmed === 0n) {
    throw new TributaryError(
      "TRB_USAGE",
      "refusing to acknowledge LSN 0/0: it would move the slot's confirmed_flush_lsn backwards; " +
        "acknowledge the endLsn of a Commit or Stream Commit message",
    );
  }
  return formatLsn((confirmed - 1n) as Lsn);
}

const XLOG_DATA_HEADER_LENGTH = 25;
const XLOG_DATA_TAG = 0x77; // 'w'
