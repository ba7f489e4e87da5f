import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { CONNECTOR_ENVIRONMENT, CONNECTOR_NODE_FLAGS } from "../../packages/cli/src/node-flags.js";

/** The compiled CLI; the integration project's globalSetup runs `tsc -b` so it is current. */
export const CLI_BIN = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url));

/** One pino JSON line of the CLI's stderr. */
export interface LogLine {
  level: string;
  msg: string;
  time: string;
  [field: string]: unknown;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type LogMatch = string | ((line: LogLine) => boolean);

const echo = process.env.TEST_LOG_LEVEL === "debug";

/** A YAML config file in a temporary directory of its own, removed with `remove()`. */
export function writeConfigFile(config: Record<string, unknown>): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "tributary-test-"));
  const path = join(dir, "connector.yaml");
  writeFileSync(path, stringify(config));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment for a child CLI: the test's own TRIBUTARY_… overrides never leak into it. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("TRIBUTARY_")) env[name] = value;
  }
  return { ...env, ...CONNECTOR_ENVIRONMENT, ...extra };
}

function matches(match: LogMatch, line: LogLine): boolean {
  return typeof match === "string" ? line.msg === match : match(line);
}

/**
 * `tributary <command> --config <file>` as a child process, with its pino JSON lines parsed as
 * they arrive, so a test can wait for a phase ("snapshot chunk done", "streaming"), `kill -9`
 * it at that moment, and read the exit code and the coded error it printed.
 */
export class CliProcess implements AsyncDisposable {
  readonly logs: LogLine[] = [];
  /** Lines of stderr that are not JSON, e.g. the `[TRB_…] message` a failing command prints last. */
  readonly plainErrors: string[] = [];
  stdout = "";
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private readonly child: ChildProcess;
  private readonly config: { path: string; remove(): void };
  private pending = "";
  private readonly watchers = new Set<() => void>();

  private constructor(
    command: string,
    config: Record<string, unknown>,
    env: Record<string, string>,
    args: readonly string[],
  ) {
    this.config = writeConfigFile(config);
    this.child = spawn(
      process.execPath,
      [...CONNECTOR_NODE_FLAGS, CLI_BIN, command, "--config", this.config.path, ...args],
      {
        env: childEnv(env),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => this.onStderr(chunk));
    this.child.on("error", (error) => this.plainErrors.push(`spawning the CLI failed: ${error.message}`));
    // `close` comes after stdio closed: every line the process wrote has been read by then.
    this.exited = new Promise<ProcessExit>((resolve) => {
      this.child.on("close", (code, signal) => {
        this.onStderr("\n");
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  /** Starts `tributary <command> --config <a YAML file holding config> [args…]`. */
  static start(
    command: "source" | "sink" | "precheck" | "release" | "replay",
    config: Record<string, unknown>,
    env: Record<string, string> = {},
    args: readonly string[] = [],
  ): CliProcess {
    return new CliProcess(command, config, env, args);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** How the process ended, or undefined while it runs. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** Every stderr line that is not JSON, joined: where the CLI prints a failure's message. */
  get errorText(): string {
    return this.plainErrors.join("\n");
  }

  count(match: LogMatch): number {
    return this.logs.filter((line) => matches(match, line)).length;
  }

  /**
   * Resolves with the first log line at index `from` or later that matches; rejects when the
   * process exits first or after `timeoutMs`, quoting the last lines it logged.
   */
  waitForLog(match: LogMatch, options: { timeoutMs?: number; from?: number } = {}): Promise<LogLine> {
    const { timeoutMs = 60_000, from = 0 } = options;
    return new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = this.logs.slice(from).find((line) => matches(match, line));
        if (found) {
          done();
          resolve(found);
        } else if (this.exit) {
          done();
          reject(
            new Error(
              `the process exited (${describeExit(this.exit)}) before logging ${describe(match)}${this.tail()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line ${describe(match)} within ${timeoutMs} ms${this.tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      check();
    });
  }

  /** Waits for the process to end by itself; fails after `timeoutMs` (and kills it then). */
  async waitForExit(timeoutMs = 60_000): Promise<ProcessExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the process did not exit within ${timeoutMs} ms${this.tail()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } catch (error) {
      await this.kill9();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** `kill -9`: the process gets no chance to flush, publish or confirm anything. */
  async kill9(): Promise<ProcessExit> {
    if (!this.exit) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** SIGTERM, a clean stop; SIGKILL if it has not ended after `graceMs`. */
  async stop(graceMs = 20_000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill9();
    this.config.remove();
  }

  /** The last lines logged, for failure messages. */
  tail(lines = 15): string {
    const last = this.logs.slice(-lines).map((line) => {
      const { level, msg, err } = line;
      const error = (err as { message?: string } | undefined)?.message;
      return `  ${level} ${msg}${error ? `: ${error}` : ""}`;
    });
    const plain = this.plainErrors.slice(-5).map((line) => `  ${line}`);
    return `\nlast output of pid ${this.pid}:\n${[...last, ...plain].join("\n")}`;
  }

  private onStderr(chunk: string): void {
    if (echo) process.stderr.write(chunk);
    this.pending += chunk;
    const lines = this.pending.split("\n");
    this.pending = lines.pop() ?? "";
    for (const text of lines) {
      if (text.trim() === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (parsed && typeof parsed === "object" && typeof (parsed as LogLine).msg === "string") {
        this.logs.push(parsed as LogLine);
      } else {
        this.plainErrors.push(text);
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}

/** Runs a CLI command to its end (precheck, release, a source that must fail) and returns its output. */
export async function runCli(
  command: "source" | "precheck" | "release" | "replay",
  config: Record<string, unknown>,
  timeoutMs = 60_000,
  args: readonly string[] = [],
): Promise<{ exit: ProcessExit; stdout: string; errorText: string; logs: LogLine[] }> {
  await using child = CliProcess.start(command, config, {}, args);
  const exit = await child.waitForExit(timeoutMs);
  return { exit, stdout: child.stdout, errorText: child.errorText, logs: child.logs };
}

function describe(match: LogMatch): string {
  return typeof match === "string" ? JSON.stringify(match) : "matching the predicate";
}

function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}
