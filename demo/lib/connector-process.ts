/**
 * A connector run as its own process — `tributary source|sink --config <file>`, as it would
 * run in its own container — with its logs going to a file, not to the terminal.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONNECTOR_ENVIRONMENT, CONNECTOR_NODE_FLAGS } from "../../packages/cli/src/node-flags.js";

const CLI = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url));

export class ConnectorProcess {
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<number | null>;

  constructor(
    readonly role: "source" | "sink",
    readonly configFile: string,
    readonly logFile: string,
    readonly httpPort: number,
  ) {
    const log = openSync(logFile, "w");
    // Its own process group: a Ctrl-C in the terminal reaches the demo only, which then stops
    // the connectors itself with SIGTERM, in order.
    this.child = spawn(process.execPath, [...CONNECTOR_NODE_FLAGS, CLI, role, "--config", configFile], {
      stdio: ["ignore", log, log],
      detached: true,
      env: { ...withoutTributaryVariables(process.env), ...CONNECTOR_ENVIRONMENT },
    });
    closeSync(log);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve(code);
      });
      this.child.on("error", () => {
        this.exitCode = -1;
        resolve(-1);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The Prometheus text of its /metrics, or undefined while it does not answer. */
  async metrics(): Promise<string | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`, {
        signal: AbortSignal.timeout(2_000),
      });
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM and wait for it to finish its batch and exit; SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** `exited 0`, or the signal that ended it (a SIGTERM before its handlers were installed, at start-up). */
  describeExit(): string {
    if (this.running) return "still running";
    return this.exitSignal ? `ended by ${this.exitSignal}` : `exited ${this.exitCode}`;
  }

  /** Last resort when the demo itself is exiting: no wait. */
  killNow(): void {
    if (this.running) this.child.kill("SIGKILL");
  }

  /** The last lines of its log, for a failure report. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

/** The demo's configs are complete: a TRIBUTARY_… variable of the user's shell must not change them. */
function withoutTributaryVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("TRIBUTARY_")));
}
