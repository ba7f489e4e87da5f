import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const run = promisify(execFile);

/** Runs the CLI from its TypeScript source in a child process. */
async function tributary(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", bin, ...args], {
      env: { ...process.env, NODE_OPTIONS: "--conditions=source" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each test spawns the CLI from source through tsx: seconds on a loaded machine.
describe("tributary command line", { timeout: 30_000 }, () => {
  it("prints help listing every subcommand of the design", async () => {
    const { code, stdout } = await tributary("--help");
    expect(code).toBe(0);
    for (const command of [
      "source",
      "sink",
      "precheck",
      "verify",
      "sequences",
      "replay",
      "release",
      "tail",
      "status",
    ]) {
      expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
  });

  it("documents replay's options in its help", async () => {
    const { code, stdout } = await tributary("replay", "--help");
    expect(code).toBe(0);
    for (const option of ["--config <file>", "--from-time <iso>", "--yes", "--follow"])
      expect(stdout).toContain(option);
  });

  it("refuses a --from-time that is not an ISO time", async () => {
    const { code, stderr } = await tributary("replay", "--config", "x.yaml", "--from-time", "yesterday");
    expect(code).toBe(2);
    expect(stderr).toContain("expected an ISO 8601 time");
  });

  it("prints its version", async () => {
    const { code, stdout } = await tributary("--version");
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("says a subcommand is not built yet and exits 2", async () => {
    const { code, stderr } = await tributary("verify", "--config", "x.yaml");
    expect(code).toBe(2);
    expect(stderr).toContain("[TRB_NOT_IMPLEMENTED] 'tributary verify' is not built yet");
  });

  it("refuses an invalid sink config before connecting, naming every field and hiding the password", async () => {
    const { code, stderr } = await tributary(
      "sink",
      "--config",
      fileURLToPath(new URL("./fixtures/bad-sink.yaml", import.meta.url)),
    );
    expect(code).toBe(1);
    expect(stderr).toContain("[TRB_CFG_INVALID] invalid configuration:");
    expect(stderr).toContain("topics: expected exactly one of topics.pattern and topics.names");
    expect(stderr).toContain("batch.maxEvents: Too small");
    expect(stderr).not.toContain("s3cret");
  });

  it("refuses to run a source config as a sink (exit 2)", async () => {
    const { code, stderr } = await tributary(
      "sink",
      "--config",
      fileURLToPath(new URL("../../../examples/source.yaml", import.meta.url)),
    );
    expect(code).toBe(2);
    expect(stderr).toContain(
      "[TRB_USAGE] this command runs a sink connector, but the config names connector: postgres-source",
    );
  });

  it("refuses an invalid source config before connecting, naming the field", async () => {
    const { code, stderr } = await tributary(
      "source",
      "--config",
      fileURLToPath(new URL("./fixtures/bad-source.yaml", import.meta.url)),
    );
    expect(code).toBe(1);
    expect(stderr).toContain("[TRB_CFG_INVALID] invalid configuration:");
    expect(stderr).toContain(
      'postgres.port: Invalid input: expected number, received string; found "fivefour"',
    );
  });

  it("exits 2 on a usage error", async () => {
    const { code, stderr } = await tributary("tail", "--max", "0", "t.a.b");
    expect(code).toBe(2);
    expect(stderr).toContain("expected a positive whole number");
  });
});
