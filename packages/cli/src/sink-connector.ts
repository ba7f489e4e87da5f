import type { Logger } from "@tributary/core";
import { AnalyticDbSinkConnector } from "@tributary/sink-analyticdb";
import { PolarDbSinkConnector } from "@tributary/sink-polardb";
import { type PostgresSinkConfig, PostgresSinkConnector } from "@tributary/sink-postgres";

/** The sink the config's `connector:` names: the one apply engine with that target's dialect. */
export function createSinkConnector(config: PostgresSinkConfig, logger: Logger): PostgresSinkConnector {
  switch (config.connector) {
    case "postgres-sink":
      return new PostgresSinkConnector(config, logger);
    case "polardb-sink":
      return new PolarDbSinkConnector(config, logger);
    case "analyticdb-sink":
      return new AnalyticDbSinkConnector(config, logger);
  }
}
