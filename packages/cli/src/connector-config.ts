import { loadConfig, TributaryError } from "@tributary/core";
// The config modules only: a connector's process loads no other connector's code to read its config.
import {
  type PostgresSinkConfig,
  postgresSinkConfigSchema,
  SINK_CONNECTORS,
} from "@tributary/sink-postgres/config";
import { type PostgresSourceConfig, postgresSourceConfigSchema } from "@tributary/source-postgres/config";
import { z } from "zod";

const SOURCE_CONNECTORS = ["postgres-source", "mysql-source"] as const;
const KNOWN = [...SOURCE_CONNECTORS, ...SINK_CONNECTORS] as const;

const kindSchema = z.looseObject({ connector: z.enum(KNOWN) });

type Environment = Record<string, string | undefined>;

/**
 * The connector the config names, from the file or TRIBUTARY_CONNECTOR. Only that variable is
 * read here: the other overrides are checked against the named connector's own schema.
 */
function connectorOf(file: string | undefined, env: Environment): (typeof KNOWN)[number] {
  const named = env.TRIBUTARY_CONNECTOR;
  const options = {
    ...(file === undefined ? {} : { file }),
    env: named === undefined ? {} : { TRIBUTARY_CONNECTOR: named },
  };
  return loadConfig(kindSchema, options).connector;
}

export type SourceConfig = { connector: "postgres-source"; config: PostgresSourceConfig };

/** Reads `--config` (plus TRIBUTARY_… overrides) and validates it as the source it names. */
export function loadSourceConfig(file: string | undefined, env: Environment = process.env): SourceConfig {
  const options = { ...(file === undefined ? {} : { file }), env };
  const connector = connectorOf(file, env);
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

/** Reads `--config` (plus TRIBUTARY_… overrides) and validates it as the sink it names. */
export function loadSinkConfig(file: string | undefined, env: Environment = process.env): PostgresSinkConfig {
  const options = { ...(file === undefined ? {} : { file }), env };
  const connector = connectorOf(file, env);
  if (!(SINK_CONNECTORS as readonly string[]).includes(connector)) {
    throw new TributaryError(
      "TRB_USAGE",
      `this command runs a sink connector, but the config names connector: ${connector}; ` +
        `expected one of ${SINK_CONNECTORS.join(", ")}`,
    );
  }
  return loadConfig(postgresSinkConfigSchema, options);
}

export type AnyConnectorConfig =
  | { kind: "source"; connector: "postgres-source"; config: PostgresSourceConfig }
  | { kind: "sink"; config: PostgresSinkConfig };

/** Reads `--config` as whichever connector it names: for commands that take both (status). */
export function loadAnyConfig(file: string | undefined, env: Environment = process.env): AnyConnectorConfig {
  if ((SINK_CONNECTORS as readonly string[]).includes(connectorOf(file, env))) {
    return { kind: "sink", config: loadSinkConfig(file, env) };
  }
  return { kind: "source", ...loadSourceConfig(file, env) };
}
