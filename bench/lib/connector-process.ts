import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { CONNECTOR_ENVIRONMENT, CONNECTOR_NODE_FLAGS } from "../../packages/cli/src/node-flags.js";
import { type ProcessStats, readProcessStats } from "./process-stats.js";

/**
 * The CLI this checkout built; BENCH_CLI names another build's bin.js (e.g. to measure a
 * baseline). Read at each start, so one benchmark can alternate two builds.
 */
const cli = () =>
  process.env.BENCH_CLI ?? fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/**
 * Extra node arguments for one kind of connector, e.g. BENCH_SOURCE_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to profile the source (split on whitespace).
 */
function nodeArguments(command: "source" | "sink"): string[] {
  const text = process.env[`BENCH_${command.toUpperCase()}_NODE_ARGS`] ?? "";
  return text.split(/\s+/).filter((part) => part !== "");
}

/**
 * A connector run as its own process (`tributary source|sink --config …`), as it would run
 * in a container. Its pino lines on stderr are parsed so a benchmark can wait for them.
 */
export class ConnectorProcess {
  private static readonly running = new Set<ConnectorProcess>();
  private readonly child: ChildProcess;
  private readonly lines: LogLine[] = [];
  private readonly waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;
  /** When the process was spawned (ms, performance.now()). */
  readonly startedAt = performance.now();
  private lastStats: ProcessStats = { peakRssMb: 0, cpuSeconds: 0 };

  constructor(command: "source" | "sink", config: Record<string, unknown>) {
    const dir = mkdtempSync(join(tmpdir(), "tributary-bench-"));
    const file = join(dir, `${command}.yaml`);
    writeFileSync(file, stringify(config));
    this.child = spawn(
      process.execPath,
      [...CONNECTOR_NODE_FLAGS, ...nodeArguments(command), cli(), command, "--config", file],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, ...CONNECTOR_ENVIRONMENT },
      },
    );
    let buffered = "";
    this.child.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const text = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        this.onLine(text);
      }
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    ConnectorProcess.running.add(this);
    void this.exited.then(() => ConnectorProcess.running.delete(this));
  }

  /** Kills every connector this benchmark started that still runs (after a failed phase). */
  static async killAll(): Promise<void> {
    const left = [...ConnectorProcess.running];
    for (const connector of left) connector.child.kill("SIGKILL");
    await Promise.all(left.map((connector) => connector.exited));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Peak RSS and CPU seconds; the last values read stay available after the process exits. */
  stats(): ProcessStats {
    try {
      this.lastStats = readProcessStats(this.pid);
    } catch {
      // The process is gone: keep what was last read.
    }
    return this.lastStats;
  }

  waitFor(what: string, match: (line: LogLine) => boolean, timeoutMs = 600_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      void this.exited.then((code) =>
        reject(new Error(`the connector exited (${code}) before ${what}:\n${this.tail()}`)),
      );
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** SIGTERM, then wait for its exit; a connector that does not exit cleanly fails the run. */
  async stop(): Promise<void> {
    this.stats();
    this.child.kill("SIGTERM");
    const code = await this.exited;
    if (code !== 0) throw new Error(`the connector ${this.pid} exited with ${code}:\n${this.tail()}`);
  }

  tail(lines = 20): string {
    return this.lines
      .slice(-lines)
      .map((line) => JSON.stringify(line))
      .join("\n");
  }

  private onLine(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: "raw", msg: text };
    }
    this.lines.push(line);
    if (line.level === "error" || line.level === "fatal")
      process.stderr.write(`[connector ${this.pid}] ${text}\n`);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(line)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
}
