import { createLogger, Lifecycle, redactSecrets } from "@tributary/core";
import { PostgresSourceConnector } from "@tributary/source-postgres";
import { loadSourceConfig } from "../connector-config.js";

/** `tributary source --config FILE`: runs until SIGTERM/SIGINT, then stops cleanly. */
export async function runSource(file: string | undefined): Promise<void> {
  const { config } = loadSourceConfig(file);
  const logger = createLogger({ level: config.log.level, bindings: { connector: config.name } });
  logger.info({ config: redactSecrets(config) }, "starting the PostgreSQL source");
  const lifecycle = new Lifecycle(logger);
  const running = new PostgresSourceConnector(config, logger).run(lifecycle.signal);
  // The signal handler exits once the shutdown steps are done: one of them must be the
  // connector publishing, confirming and saving what it decoded.
  lifecycle.onShutdown("postgres source", () => running.catch(() => undefined));
  lifecycle.installSignalHandlers();
  await running;
  logger.info("source stopped");
}
