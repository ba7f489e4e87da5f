import { fileURLToPath } from "node:url";
import { loadConfig, TributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { postgresSinkConfigSchema } from "../src/index.js";

const minimal = {
  connector: "postgres-sink",
  name: "shop-replica",
  kafka: { brokers: ["127.0.0.1:9092"] },
  topics: { pattern: "^shop\\.public\\..*" },
  target: { database: "shop" },
};

function problems(config: Record<string, unknown>): string {
  const result = postgresSinkConfigSchema.safeParse(config);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("\n");
}

describe("PostgreSQL sink config", () => {
  it("fills the defaults a production user expects and takes the origin from the name", () => {
    const config = postgresSinkConfigSchema.parse(minimal);
    expect(config).toMatchObject({
      origin: "shop-replica",
      target: { host: "127.0.0.1", port: 5432, user: "postgres", password: "", ssl: "disable" },
      topics: { pattern: "^shop\\.public\\..*", refreshIntervalMs: 60_000 },
      autoCreate: true,
      autoEvolve: true,
      mapping: { capitalization: "source" },
      batch: { maxEvents: 5_000, maxWaitMs: 100, copyThreshold: 1_000 },
      helperSchema: "public",
      http: { enabled: true, port: 9465 },
      retry: { connectionMinutes: 720, otherMinutes: 10 },
      log: { level: "info" },
    });
  });

  it.each([
    ["postgres-sink", 5432],
    ["polardb-sink", 1521],
    ["analyticdb-sink", 5432],
  ])("gives %s's target port %i unless the config names one", (connector, port) => {
    expect(postgresSinkConfigSchema.parse({ ...minimal, connector }).target.port).toBe(port);
    const explicit = { ...minimal, connector, target: { database: "shop", port: 6000 } };
    expect(postgresSinkConfigSchema.parse(explicit).target.port).toBe(6000);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["an unknown connector", { connector: "mysql-sink" }, "connector: Invalid option"],
    ["both topics.pattern and topics.names", { topics: { pattern: "x", names: ["y"] } }, "exactly one of"],
    ["neither", { topics: {} }, "topics: expected exactly one of topics.pattern and topics.names"],
    [
      "a pattern that is no regular expression",
      { topics: { pattern: "(" } },
      "topics.pattern: expected a valid",
    ],
    ["an empty name list", { topics: { names: [] } }, "topics.names: Too small"],
    ["a name with a space", { name: "shop replica" }, "name: expected 1-200 characters"],
    ["no target database", { target: {} }, "target.database"],
    ["a bad port", { target: { database: "d", port: 70_000 } }, "target.port"],
    ["an unknown ssl mode", { target: { database: "d", ssl: "yes" } }, "target.ssl: Invalid option"],
    [
      "a table mapping that is no table name",
      { mapping: { tables: { "public.orders": "a.b.c" } } },
      'mapping.tables.public.orders: mapping.tables["public.orders"] is "a.b.c", which is not a table name',
    ],
    ["an unknown capitalization", { mapping: { capitalization: "title" } }, "mapping.capitalization"],
    ["a zero batch", { batch: { maxEvents: 0 } }, "batch.maxEvents: Too small"],
  ])("refuses %s", (_, override, message) => {
    expect(problems({ ...minimal, ...override })).toContain(message);
  });

  it("fails before any connection, naming the field, the value and what was expected", () => {
    const error = (() => {
      try {
        loadConfig(postgresSinkConfigSchema, {
          env: {
            TRIBUTARY_CONNECTOR: "postgres-sink",
            TRIBUTARY_NAME: "replica",
            TRIBUTARY_KAFKA__BROKERS: "127.0.0.1:9092",
            TRIBUTARY_TOPICS__NAMES: "shop.public.orders",
            TRIBUTARY_TARGET__DATABASE: "shop",
            TRIBUTARY_TARGET__PASSWORD: "hunter2",
            TRIBUTARY_BATCH__COPY_THRESHOLD: "many",
          },
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe("TRB_CFG_INVALID");
    expect((error as TributaryError).message).toContain(
      'batch.copyThreshold: Invalid input: expected number, received string; found "many" (from TRIBUTARY_BATCH__COPY_THRESHOLD)',
    );
    expect((error as TributaryError).message).not.toContain("hunter2");
  });

  it("takes a container's settings from the environment alone", () => {
    const config = loadConfig(postgresSinkConfigSchema, {
      env: {
        TRIBUTARY_CONNECTOR: "polardb-sink",
        TRIBUTARY_NAME: "replica",
        TRIBUTARY_ORIGIN: "dc2",
        TRIBUTARY_KAFKA__BROKERS: "k1:9092,k2:9092",
        TRIBUTARY_TOPICS__NAMES: "shop.public.orders,shop.public.lines",
        TRIBUTARY_TARGET__HOST: "polardb",
        TRIBUTARY_TARGET__DATABASE: "shop",
        TRIBUTARY_AUTO_CREATE: "false",
        TRIBUTARY_MAPPING__CAPITALIZATION: "upper",
      },
    });
    expect(config).toMatchObject({
      connector: "polardb-sink",
      origin: "dc2",
      kafka: { brokers: ["k1:9092", "k2:9092"] },
      topics: { names: ["shop.public.orders", "shop.public.lines"] },
      target: { host: "polardb", port: 1521, database: "shop" },
      autoCreate: false,
      mapping: { capitalization: "upper" },
    });
  });

  it("accepts the annotated example in examples/sink.yaml", () => {
    const file = fileURLToPath(new URL("../../../examples/sink.yaml", import.meta.url));
    const config = loadConfig(postgresSinkConfigSchema, { file, env: {} });
    expect(config).toMatchObject({ name: "shop-replica", origin: "dc2", target: { port: 5433 } });
  });
});
