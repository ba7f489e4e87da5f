import { isTributaryError } from "@tributary/core";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { registerNotBuiltCommands } from "./commands/not-built.js";
import type { ReplayCliOptions } from "./commands/replay.js";
import { cliVersion } from "./version.js";

// Each command's module is loaded when it runs, so a connector process loads only its own
// connector package (a sink never loads the source's, nor a source the sinks').

export function buildProgram(): Command {
  const program = new Command("tributary")
    .description("Change-data-capture connectors: databases → Kafka → databases")
    .version(cliVersion(), "-V, --version")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("tail")
    .description("decode the events of a topic and print them as JSON lines")
    .argument("<topic>", "topic to read, e.g. shop.public.orders")
    .option("--from-beginning", "start at the earliest retained event instead of the end", false)
    .option("--idle-exit <seconds>", "exit after this many seconds without a new event", positiveNumber)
    .option("--max <n>", "exit after printing this many events", positiveInteger)
    .option(
      "--brokers <list>",
      "comma-separated host:port list (default: the config's kafka.brokers or 127.0.0.1:9092)",
    )
    .option("--config <file>", "take the Kafka settings from this connector config file")
    .option("--schemas-topic <topic>", "schema store topic (default: <topic prefix>._schemas)")
    .action(async (topic: string, options: TailCliOptions) => {
      const { runTail } = await import("./commands/tail.js");
      await runTail({ topic, ...options });
    });

  program
    .command("source")
    .description("run a source connector until SIGTERM/SIGINT")
    .option(
      "--config <file>",
      "connector config file, YAML or JSON (fields may also come from TRIBUTARY_… variables)",
    )
    .action(async (options: { config?: string }) => {
      const { runSource } = await import("./commands/source.js");
      await runSource(options.config);
    });

  program
    .command("sink")
    .description("run a sink connector until SIGTERM/SIGINT")
    .option(
      "--config <file>",
      "connector config file, YAML or JSON (fields may also come from TRIBUTARY_… variables)",
    )
    .action(async (options: { config?: string }) => {
      const { runSink } = await import("./commands/sink.js");
      await runSink(options.config);
    });

  program
    .command("precheck")
    .description("check source prerequisites; exit 1 on a failure")
    .option("--config <file>", "connector config file (YAML or JSON)")
    .action(async (options: { config?: string }) => {
      const { runPrecheck } = await import("./commands/precheck.js");
      process.exitCode = await runPrecheck(options.config);
    });

  program
    .command("release")
    .description("drop the slot, publication, event triggers and helper tables of a source")
    .option("--config <file>", "source connector config file (YAML or JSON)")
    .option("--force", "terminate a connector still holding the slot", false)
    .action(async (options: { config?: string; force: boolean }) => {
      const { runRelease } = await import("./commands/release.js");
      await runRelease(options.config, options.force);
    });

  program
    .command("replay")
    .description(
      "rebuild a sink's target from the start of its topics: truncate its tables (missing ones are created), " +
        "reset its offsets in the target and its consumer group, and apply until caught up with the end " +
        "offsets seen at the start; prints the plan and changes nothing without --yes (exit 2)",
    )
    .option("--config <file>", "sink connector config file (YAML or JSON)")
    .option(
      "--from-time <iso>",
      "apply again every change since this time (ISO 8601) over what the target holds, truncating nothing",
      isoTime,
    )
    .option("--yes", "do it: without it the plan is printed and nothing changes", false)
    .option("--follow", "keep running as the sink once caught up, until SIGTERM/SIGINT", false)
    .action(async (options: ReplayCliOptions) => {
      const { runReplay } = await import("./commands/replay.js");
      process.exitCode = await runReplay(options);
    });

  program
    .command("status")
    .description("lag: a source's slot and WAL retained, a sink's consumer lag per partition")
    .option("--config <file>", "source or sink connector config file (YAML or JSON)")
    .option("--json", "print one JSON document instead of tables", false)
    .action(async (options: { config?: string; json: boolean }) => {
      const { runStatus } = await import("./commands/status.js");
      await runStatus(options.config, options.json);
    });

  registerNotBuiltCommands(program);
  return program;
}

interface TailCliOptions {
  fromBeginning: boolean;
  idleExit?: number;
  max?: number;
  brokers?: string;
  config?: string;
  schemasTopic?: string;
}

/** Runs the command line; returns the exit code (0 ok, 1 failure, 2 usage or not built). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    process.exitCode = 0;
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`${isTributaryError(error) ? error.message : String(error)}\n`);
    if (isTributaryError(error, "TRB_NOT_IMPLEMENTED") || isTributaryError(error, "TRB_USAGE")) return 2;
    return 1;
  }
}

function isoTime(value: string): number {
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed)) {
    throw new InvalidArgumentError("expected an ISO 8601 time, e.g. 2024-05-01T12:00:00Z");
  }
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError("expected a positive number");
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError("expected a positive whole number");
  return parsed;
}
