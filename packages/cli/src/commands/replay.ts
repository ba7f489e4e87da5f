import { createLogger, Lifecycle } from "@tributary/core";
import { SinkReplay } from "@tributary/sink-postgres";
import { loadSinkConfig } from "../connector-config.js";
import { createSinkConnector } from "../sink-connector.js";

export interface ReplayCliOptions {
  config?: string;
  fromTime?: number;
  yes: boolean;
  follow: boolean;
}

/**
 * `tributary replay --config FILE [--from-time ISO] [--yes] [--follow]`: prints the plan;
 * without --yes changes nothing and exits 2; with it resets the target and the consumer group
 * and applies the topics until caught up with the end offsets seen at the start (exit 0), or
 * keeps running as the sink with --follow.
 */
export async function runReplay(options: ReplayCliOptions): Promise<number> {
  const config = loadSinkConfig(options.config);
  const logger = createLogger({
    level: config.log.level,
    bindings: { connector: config.name, phase: "replay" },
  });
  const replay = await SinkReplay.inspect(config, { fromTimeMs: options.fromTime ?? null, logger });
  process.stdout.write(`${replay.describe().join("\n")}\n`);
  if (replay.plan.problems.length > 0) return 1;
  if (!options.yes) {
    process.stdout.write("Nothing was changed. Run again with --yes to replay.\n");
    return 2;
  }
  await replay.reset();
  const lifecycle = new Lifecycle(logger);
  const outcome = replay.applyUntilCaughtUp((signal) => createSinkConnector(config, logger).run(signal), {
    follow: options.follow,
    signal: lifecycle.signal,
  });
  lifecycle.onShutdown("replay", async () => {
    await outcome.catch(() => undefined);
  });
  lifecycle.installSignalHandlers();
  const result = await outcome;
  process.stdout.write(
    result === "caught-up"
      ? "Replay done: the target holds every event up to the end offsets above.\n"
      : "Replay stopped before it caught up.\n",
  );
  return result === "caught-up" ? 0 : 1;
}
