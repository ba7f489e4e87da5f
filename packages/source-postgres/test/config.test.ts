import { fileURLToPath } from "node:url";
import { loadConfig, TributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { postgresSourceConfigSchema, replicationName } from "../src/index.js";

const minimal = {
  connector: "postgres-source",
  name: "shop",
  postgres: { database: "shop" },
  kafka: { brokers: ["127.0.0.1:9092"] },
};

describe("PostgreSQL source config", () => {
  it("fills production defaults and derives origin and topic prefix from the name", () => {
    const config = postgresSourceConfigSchema.parse(minimal);
    expect(config).toMatchObject({
      origin: "shop",
      topicPrefix: "shop",
      postgres: { host: "127.0.0.1", port: 5432, user: "postgres", ssl: "disable" },
      tables: { include: ["public.*"], exclude: [], excludeColumns: [] },
      snapshot: { mode: "initial", workers: 2, chunkRows: 100_000, fetchRows: 2_000 },
      streaming: { protocolVersion: "auto", maxBatchEvents: 5_000 },
      heartbeat: { intervalMs: 10_000 },
      topics: { partitions: 1, tombstones: true },
      retry: { connectionMinutes: 720, otherMinutes: 10 },
      http: { enabled: true, port: 9464 },
    });
    expect(replicationName(config)).toBe("tributary_shop");
  });

  it.each([
    [{ name: "Shop" }, "name: expected 1-53 characters"],
    [{ snapshot: { mode: "sometimes" } }, "snapshot.mode: Invalid option"],
    [
      { streaming: { logicalDecodingWorkMem: "64 MB" } },
      "streaming.logicalDecodingWorkMem: expected a size such as 64MB",
    ],
    [{ postgres: { database: "shop", ssl: "yes" } }, "postgres.ssl: Invalid option"],
  ])("refuses %j", (override, message) => {
    const result = postgresSourceConfigSchema.safeParse({ ...minimal, ...override });
    expect(result.success).toBe(false);
    const issues = result.error?.issues
      .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      .join("\n");
    expect(issues).toContain(message);
  });

  it("accepts the annotated example in examples/source.yaml", () => {
    const file = fileURLToPath(new URL("../../../examples/source.yaml", import.meta.url));
    const config = loadConfig(postgresSourceConfigSchema, { file, env: {} });
    expect(config.name).toBe("shop");
    expect(config.origin).toBe("dc1");
  });

  it("takes a container's settings from the environment alone", () => {
    const config = loadConfig(postgresSourceConfigSchema, {
      env: {
        TRIBUTARY_CONNECTOR: "postgres-source",
        TRIBUTARY_NAME: "shop",
        TRIBUTARY_POSTGRES__DATABASE: "shop",
        TRIBUTARY_POSTGRES__HOST: "postgres",
        TRIBUTARY_KAFKA__BROKERS: "kafka:9092",
        TRIBUTARY_SNAPSHOT__WORKERS: "4",
      },
    });
    expect(config.postgres.host).toBe("postgres");
    expect(config.snapshot.workers).toBe(4);
    expect(() =>
      loadConfig(postgresSourceConfigSchema, { env: { TRIBUTARY_SNAPSHOT__WORKERS: "many" } }),
    ).toThrow(TributaryError);
  });
});
