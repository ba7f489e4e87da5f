import { loadConfig, TributaryError } from "@tributary/core";
import { type PostgresSourceConfig, postgresSourceConfigSchema } from "@tributary/source-postgres";
import { z } from "zod";

const SOURCE_CONNECTORS = ["postgres-source", "mysql-source"] as const;
const SINK_CONNECTORS = ["postgres-sink", "polardb-sink", "analyticdb-sink"] as const;
const KNOWN = [...SOURCE_CONNECTORS, ...SINK_CONNECTORS] as const;

const kindSchema = z.looseObject({ connector: z.enum(KNOWN) });

export type SourceConfig = { connector: "postgres-source"; config: PostgresSourceConfig };

/** Reads `--config` (plus TRIBUTARY_… overrides) and validates it as the source it names. */
export function loadSourceConfig(file: string | undefined): SourceConfig {
  const options = file === undefined ? {} : { file };
  const { connector } = loadConfig(kindSchema, options);
  switch (connector) {
    case "postgres-source":
      return { connector, config: loadConfig(postgresSourceConfigSchema, options) };
    case "mysql-source":
      throw new TributaryError(
        "TRB_NOT_IMPLEMENTED",
        "connector: mysql-source is not built yet; it arrives with the MariaDB/MySQL source connector",
      );
    default:
      throw new TributaryError(
        "TRB_USAGE",
        `this command runs a source connector, but the config names connector: ${connector}; ` +
          `expected one of ${SOURCE_CONNECTORS.join(", ")}`,
      );
  }
}
