import { classifyError, type Logger, TributaryError } from "@tributary/core";
import type pg from "pg";
import plr from "pg-logical-replication";
import { formatLsn, type Lsn, parseLsn } from "../replication/lsn.js";
import type { PgoutputOptions } from "../replication/pgoutput-options.js";
import {
  lsnForLibraryAcknowledge,
  type PgoutputPluginOutput,
  TributaryPgoutputPlugin,
} from "../replication/TributaryPgoutputPlugin.js";

const { LogicalReplicationService } = plr;

/** How often the confirmed position goes to the server, whatever the stream is doing (wal_sender_timeout is 60 s by default). */
const STATUS_INTERVAL_MS = 10_000;

export interface ReplicationStreamOptions {
  clientConfig: pg.ClientConfig;
  slot: string;
  pgoutput: PgoutputOptions;
  /** The slot's confirmed position at start: what keepalive replies report until more is confirmed. */
  startLsn: Lsn;
  handle: (lsn: Lsn, message: PgoutputPluginOutput) => Promise<void>;
  logger: Logger;
}

/**
 * The replication connection: pg-logical-replication keeps the socket, back-pressure and
 * keepalives; we decide what is confirmed. The first error stops the stream (the library would
 * otherwise go on with the next message) and rejects `finished`.
 */
export class ReplicationStream {
  private readonly service: InstanceType<typeof LogicalReplicationService>;
  private confirmed: Lsn;
  private statusTimer: NodeJS.Timeout | undefined;
  private failed = false;
  private intakeClosed = false;
  private settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  readonly finished: Promise<void>;

  constructor(private readonly options: ReplicationStreamOptions) {
    this.confirmed = options.startLsn;
    this.service = new LogicalReplicationService(options.clientConfig, {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    this.finished = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.finished.catch(() => undefined);
    this.service.on("data", async (lsn: string, message: PgoutputPluginOutput) => {
      if (this.failed || this.intakeClosed) return;
      try {
        await options.handle(parseLsn(lsn), message);
      } catch (error) {
        this.fail(error);
      }
    });
    this.service.on("heartbeat", (_lsn: string, _timestamp: number, shouldRespond: boolean) => {
      if (shouldRespond && !this.failed) void this.sendConfirmed();
    });
    this.service.on("error", (error: Error) => this.fail(connectionFailure(error)));
  }

  async start(): Promise<void> {
    // While a message is handled the library reads nothing, keepalives included: a long one (the
    // replay of a large streamed transaction) would go without a reply past wal_sender_timeout
    // and the server would end the connection. Report the confirmed position on a clock instead.
    this.statusTimer = setInterval(() => {
      if (!this.failed) this.sendConfirmed().catch(() => undefined);
    }, STATUS_INTERVAL_MS);
    this.statusTimer.unref();
    const plugin = new TributaryPgoutputPlugin(this.options.pgoutput);
    // subscribe() resolves when replication ends (the COPY stream closes).
    this.service
      // Always from the confirmed position: without one the library resumes from the last LSN it received.
      .subscribe(plugin, this.options.slot, formatLsn(this.confirmed))
      .then(() => {
        if (!this.failed) {
          this.fail(
            new TributaryError("TRB_PG_UNREACHABLE", "the replication connection closed", {
              retriable: true,
            }),
          );
        }
      })
      .catch((error: unknown) => this.fail(connectionFailure(error)));
    await new Promise<void>((resolve, reject) => {
      this.service.once("start", () => resolve());
      this.finished.catch(reject);
    });
  }

  /** Reports `lsn` (a commit's end) as flushed: the server may recycle WAL before it. */
  async confirm(lsn: Lsn): Promise<void> {
    if (lsn <= this.confirmed) return;
    this.confirmed = lsn;
    await this.sendConfirmed();
  }

  /**
   * Ignores every message from now on, while confirmations still go out: for a clean stop that
   * first publishes what was decoded. Ignored messages are not confirmed, so they come again.
   */
  closeIntake(): void {
    this.intakeClosed = true;
  }

  get confirmedLsn(): Lsn {
    return this.confirmed;
  }

  async stop(): Promise<void> {
    this.failed = true;
    clearInterval(this.statusTimer);
    await this.service.stop().catch(() => undefined);
    this.settle?.resolve();
  }

  private async sendConfirmed(): Promise<void> {
    if (this.confirmed === 0n) return;
    await this.service.acknowledge(lsnForLibraryAcknowledge(this.confirmed));
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    clearInterval(this.statusTimer);
    this.options.logger.error({ err: error }, "replication stream failed");
    void this.service.stop().catch(() => undefined);
    this.settle?.reject(error);
  }
}

/**
 * An error of the replication connection itself. One that carries no SQLSTATE or errno (a
 * server that closed the connection without a word, as it does past wal_sender_timeout) is a
 * lost connection, which the session retries; coded ones keep their own verdict.
 */
function connectionFailure(error: unknown): unknown {
  if (classifyError(error) !== "unknown") return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new TributaryError("TRB_PG_UNREACHABLE", `the replication connection was lost: ${reason}`, {
    retriable: true,
    cause: error,
  });
}
