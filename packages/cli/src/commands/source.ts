import { createLogger, Lifecycle, redactSecrets } from "@tributary/core";
import { PostgresSourceConnector } from "@tributary/source-postgres";
import { loadSourceConfig } from "../connector-config.js";

/** `tributary source --config FILE`: runs until SIGTERM/SIGINT, then stops cleanly. */
export async function runSource(file: string | undefined): Promise<void> {
  const { config } = loadSourceConfig(file);
  const logger = createLogger({ level: config.log.level, bindings: { connector: config.name } });
  logger.info({ config: redactSecrets(config) }, "starting the PostgreSQL source");
  const lifecycle = new Lifecycle(logger);
  lifecycle.installSignalHandlers();
  await new PostgresSourceConnector(config, logger).run(lifecycle.signal);
  logger.info("source stopped");
}
