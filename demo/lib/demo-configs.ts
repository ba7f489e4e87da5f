/**
 * The two connector configs the demo writes and runs (pure): a PostgreSQL source on the
 * sample database at 5432 and a PostgreSQL sink into the same-named database at 5433.
 */
import { stringify } from "yaml";

export interface DemoRun {
  /** Source name: slot and publication `tributary_<name>`, topic prefix, origin. Unique per run. */
  name: string;
  database: string;
  sourcePort: number;
  targetPort: number;
  brokers: string[];
  sourceHttpPort: number;
  sinkHttpPort: number;
}

/** A name no earlier run used: `demo_` and the start time in base 36 (slot names allow [a-z0-9_]). */
export function runName(now: Date): string {
  return `demo_${now.getTime().toString(36)}`;
}

export function sinkName(run: Pick<DemoRun, "name">): string {
  return `${run.name}_replica`;
}

export function sourceConfig(run: DemoRun): Record<string, unknown> {
  return {
    connector: "postgres-source",
    name: run.name,
    postgres: {
      host: "127.0.0.1",
      port: run.sourcePort,
      user: "postgres",
      password: "",
      database: run.database,
    },
    kafka: { brokers: run.brokers },
    tables: { include: ["shop.*"] },
    snapshot: { mode: "initial" },
    heartbeat: { intervalMs: 1000 },
    http: { port: run.sourceHttpPort },
    log: { level: "info" },
  };
}

export function sinkConfig(run: DemoRun): Record<string, unknown> {
  return {
    connector: "postgres-sink",
    name: sinkName(run),
    kafka: { brokers: run.brokers },
    topics: { pattern: `^${run.name}\\.shop\\..*`, refreshIntervalMs: 1000 },
    target: {
      host: "127.0.0.1",
      port: run.targetPort,
      user: "postgres",
      password: "",
      database: run.database,
    },
    autoCreate: true,
    autoEvolve: true,
    batch: { maxWaitMs: 50 },
    http: { port: run.sinkHttpPort },
    log: { level: "info" },
  };
}

export function configYaml(role: "source" | "sink", config: Record<string, unknown>): string {
  const header =
    role === "source"
      ? "# Written by npm run demo: the PostgreSQL source of the demo's sample shop (port 5432).\n"
      : "# Written by npm run demo: the PostgreSQL sink applying the demo's topics into port 5433.\n";
  return `${header}${stringify(config)}`;
}
