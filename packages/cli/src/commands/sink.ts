import { createLogger, Lifecycle, redactSecrets } from "@tributary/core";
import { loadSinkConfig } from "../connector-config.js";
import { createSinkConnector } from "../sink-connector.js";

/** `tributary sink --config FILE`: runs until SIGTERM/SIGINT, then stops cleanly. */
export async function runSink(file: string | undefined): Promise<void> {
  const config = loadSinkConfig(file);
  const logger = createLogger({ level: config.log.level, bindings: { connector: config.name } });
  logger.info({ config: redactSecrets(config) }, `starting the ${config.connector}`);
  const lifecycle = new Lifecycle(logger);
  const running = createSinkConnector(config, logger).run(lifecycle.signal);
  // The signal handler exits once the shutdown steps are done: one of them must be the sink
  // finishing its transaction and committing the Kafka offsets of what the target holds.
  lifecycle.onShutdown(config.connector, () => running.catch(() => undefined));
  lifecycle.installSignalHandlers();
  await running;
  logger.info("sink stopped");
}
