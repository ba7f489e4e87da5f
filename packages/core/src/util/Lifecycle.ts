import type { Logger } from "../observability/logger.js";

type Closer = () => Promise<void> | void;

/**
 * Graceful shutdown: on SIGTERM or SIGINT the registered closers run once, newest first (so a
 * connector stops reading before its publisher closes), and `signal` aborts. A second signal
 * exits at once.
 */
export class Lifecycle {
  private readonly closers: { name: string; close: Closer }[] = [];
  private readonly controller = new AbortController();
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  onShutdown(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  installSignalHandlers(): void {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.on(signal, () => {
        if (this.closing) {
          this.logger.warn({ signal }, "second signal: exiting without finishing shutdown");
          process.exit(130);
        }
        this.logger.info({ signal }, "shutting down");
        void this.shutdown().then(() => process.exit(0));
      });
    }
  }

  shutdown(): Promise<void> {
    this.closing ??= this.runClosers();
    return this.closing;
  }

  private async runClosers(): Promise<void> {
    this.controller.abort();
    for (const { name, close } of [...this.closers].reverse()) {
      try {
        await close();
      } catch (error) {
        this.logger.error({ err: error, closer: name }, "error during shutdown");
      }
    }
  }
}
