/**
 * `npm run demo` end to end as a child process on the local stack, with a short workload, a
 * database and a work directory of its own: it exits 0 with every table equal; on SIGINT it
 * stops both connectors and exits 130 with none left running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cleanUpRun, loadRunState } from "../../demo/lib/run-state.js";
import { uniqueName } from "../support/kafka.js";
import { connectPg, TARGET_PORT } from "../support/postgres.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const workdirs: string[] = [];

interface DemoRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDemo(...args: string[]): { run: DemoRun; workdir: string } {
  const workdir = mkdtempSync(join(tmpdir(), "tributary-demo-test-"));
  workdirs.push(workdir);
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "demo/run.ts",
      "--database",
      uniqueName("tributary_demo_t"),
      "--workdir",
      workdir,
      ...args,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { run: { child, output: () => output, exited }, workdir };
}

async function waitForOutput(run: DemoRun, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the demo's output:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const workdir of workdirs) {
    const state = loadRunState(workdir);
    if (state) await cleanUpRun(state, { databases: true }).catch(() => undefined);
    rmSync(workdir, { recursive: true, force: true });
  }
});

describe("npm run demo", () => {
  it("replicates the sample shop under live changes and reports every table equal", async () => {
    const { run, workdir } = startDemo("--seconds", "5", "--clean-up");
    const code = await run.exited;
    const output = run.output();
    expect(code, output).toBe(0);
    for (const table of ["customers", "products", "orders", "order_items"]) {
      expect(output).toMatch(new RegExp(`^shop\\.${table}\\s+(\\d+)\\s+\\1\\s+equal$`, "m"));
    }
    expect(output).toMatch(/^RESULT: target equals source — 4 tables, \d+ rows identical row by row/m);
    expect(output).toMatch(/workload done: [1-9]\d* transactions/);
    expect(output).toMatch(/│ streamed [1-9][\d,]* │ applied [1-9][\d,]* │ latency \d[\d,]* ms/);
    expect(output).toContain("source exited 0, sink exited 0");
    // --clean-up removed the databases it made.
    const state = loadRunState(workdir);
    const admin = await connectPg("postgres", TARGET_PORT);
    try {
      const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [
        state?.database,
      ]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  }, 240_000);

  it("stops both connectors and exits 130 on Ctrl-C", async () => {
    const { run } = startDemo("--seconds", "120");
    await waitForOutput(run, /started tributary sink +\(pid (\d+)/);
    // Both connectors answer /metrics: they run, with their signal handlers installed.
    await waitForOutput(run, /live changes │ .* │ streamed \d[\d,]* │ applied \d/);
    const pids = [...run.output().matchAll(/started tributary (?:source|sink) +\(pid (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    run.child.kill("SIGINT");
    const code = await run.exited;
    expect(code, run.output()).toBe(130);
    expect(run.output()).toContain("source exited 0, sink exited 0");
    expect(pids.filter(alive)).toEqual([]);
  }, 240_000);
});
