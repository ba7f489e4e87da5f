import type { Logger } from "@tributary/core";
import { type PostgresSinkConfig, PostgresSinkConnector, type SinkDialect } from "@tributary/sink-postgres";
import { polardbDialect } from "./polardb-dialect.js";

/** `connector: polardb-sink`: the apply engine with Oracle-mode types for the tables it creates. */
export const polardbSinkDialect: SinkDialect = {
  connector: "polardb-sink",
  open: async () => ({ dialect: polardbDialect }),
};

/** The sink for PolarDB for PostgreSQL in Oracle-compatible mode (target port 1521 by default). */
export class PolarDbSinkConnector extends PostgresSinkConnector {
  constructor(
    config: PostgresSinkConfig,
    logger: Logger,
    registry?: ConstructorParameters<typeof PostgresSinkConnector>[2],
  ) {
    super(config, logger, registry, polardbSinkDialect);
  }
}
