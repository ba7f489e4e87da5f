import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { connectorNameSchema, kafkaConfigSchema, loadConfig, TributaryError } from "../../src/index.js";

const schema = z.object({
  connector: z.literal("postgres-source"),
  name: connectorNameSchema,
  topicPrefix: z.string().optional(),
  postgres: z.object({
    host: z.string(),
    port: z.number().int().default(5432),
    password: z.string().default(""),
  }),
  kafka: kafkaConfigSchema,
  tables: z.object({ include: z.array(z.string()).default(["public.*"]) }).prefault({}),
  labels: z.record(z.string(), z.string()).default({}),
});

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tributary-config-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(run: () => unknown): TributaryError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    return error as TributaryError;
  }
  throw new Error("expected an error");
}

const validYaml = `
connector: postgres-source
name: shop
postgres: { host: 127.0.0.1, password: s3cret }
kafka: { brokers: ["127.0.0.1:9092"] }
`;

describe("loadConfig", () => {
  it("reads YAML and applies defaults", () => {
    const config = loadConfig(schema, { file: file("a.yaml", validYaml), env: {} });
    expect(config.postgres).toEqual({ host: "127.0.0.1", port: 5432, password: "s3cret" });
    expect(config.kafka.compression).toBe("none");
    expect(config.kafka.batch.maxBytes).toBe(8 * 1024 * 1024);
    expect(config.tables.include).toEqual(["public.*"]);
  });

  it("reads JSON files", () => {
    const json = JSON.stringify({
      connector: "postgres-source",
      name: "shop",
      postgres: { host: "db" },
      kafka: { brokers: ["k:9092"] },
    });
    expect(loadConfig(schema, { file: file("a.json", json), env: {} }).postgres.host).toBe("db");
  });

  it("lets the environment override nested fields, matching camelCase and parsing by field type", () => {
    const config = loadConfig(schema, {
      file: file("a.yaml", validYaml),
      env: {
        TRIBUTARY_KAFKA__BROKERS: "a:9092, b:9093",
        TRIBUTARY_POSTGRES__PORT: "6543",
        TRIBUTARY_POSTGRES__HOST: "0123",
        TRIBUTARY_TOPIC_PREFIX: "dc1.shop",
        TRIBUTARY_KAFKA__BATCH__MAX_MESSAGES: "500",
        TRIBUTARY_TABLES__INCLUDE: '["s.a", "s.b"]',
        TRIBUTARY_LABELS__TEAM: "data",
        TRIBUTARY_CONFIG: "/ignored/because/reserved.yaml",
        OTHER: "x",
      },
    });
    expect(config.kafka.brokers).toEqual(["a:9092", "b:9093"]);
    expect(config.postgres.port).toBe(6543);
    expect(config.postgres.host).toBe("0123");
    expect(config.topicPrefix).toBe("dc1.shop");
    expect(config.kafka.batch.maxMessages).toBe(500);
    expect(config.tables.include).toEqual(["s.a", "s.b"]);
    expect(config.labels).toEqual({ team: "data" });
  });

  it("builds a whole config from the environment alone", () => {
    const config = loadConfig(schema, {
      env: {
        TRIBUTARY_CONNECTOR: "postgres-source",
        TRIBUTARY_NAME: "shop",
        TRIBUTARY_POSTGRES__HOST: "db",
        TRIBUTARY_KAFKA__BROKERS: "kafka:9092",
      },
    });
    expect(config.kafka.brokers).toEqual(["kafka:9092"]);
  });

  it("names a missing field", () => {
    const error = errorOf(() =>
      loadConfig(schema, { file: file("a.yaml", "connector: postgres-source\nname: shop\n"), env: {} }),
    );
    expect(error.code).toBe("TRB_CFG_INVALID");
    expect(error.message).toContain(
      "postgres: Invalid input: expected object, received undefined; found missing",
    );
    expect(error.message).toContain(
      "kafka: Invalid input: expected object, received undefined; found missing",
    );
  });

  it("names a field of the wrong type with the value found and the file it came from", () => {
    const path = file("a.yaml", validYaml.replace("host: 127.0.0.1", "host: 127.0.0.1, port: fivefour"));
    const error = errorOf(() => loadConfig(schema, { file: path, env: {} }));
    expect(error.message).toContain(
      `postgres.port: Invalid input: expected number, received string; found "fivefour" (in ${path})`,
    );
  });

  it("explains a rule the value breaks", () => {
    const error = errorOf(() =>
      loadConfig(schema, { file: file("a.yaml", validYaml.replace("shop", "Shop-1")), env: {} }),
    );
    expect(error.message).toContain("name: expected 1-53 characters of lower-case letters");
    expect(error.message).toContain('found "Shop-1"');
  });

  it("names the variable behind a bad override", () => {
    const error = errorOf(() =>
      loadConfig(schema, {
        file: file("a.yaml", validYaml),
        env: { TRIBUTARY_POSTGRES__PORT: "not-a-port" },
      }),
    );
    expect(error.message).toContain(
      'postgres.port: Invalid input: expected number, received string; found "not-a-port" (from TRIBUTARY_POSTGRES__PORT)',
    );
  });

  it("refuses an override that matches no field, listing the fields there", () => {
    const error = errorOf(() =>
      loadConfig(schema, { file: file("a.yaml", validYaml), env: { TRIBUTARY_POSTGRES__HOSTNAME: "x" } }),
    );
    expect(error.code).toBe("TRB_CFG_INVALID");
    expect(error.message).toContain(
      "TRIBUTARY_POSTGRES__HOSTNAME: no field matches 'HOSTNAME' at 'postgres'; fields there: host, password, port",
    );
  });

  it("never shows a secret's value", () => {
    const error = errorOf(() =>
      loadConfig(schema, {
        file: file("a.yaml", validYaml.replace("password: s3cret", "password: 12345")),
        env: {},
      }),
    );
    expect(error.message).toContain(
      "postgres.password: Invalid input: expected string, received number; found (hidden)",
    );
    expect(error.message).not.toContain("12345");
  });

  it("reports unreadable and malformed files", () => {
    expect(errorOf(() => loadConfig(schema, { file: "/nonexistent/x.yaml", env: {} })).code).toBe(
      "TRB_CFG_FILE",
    );
    const bad = errorOf(() => loadConfig(schema, { file: file("a.yaml", "name: [unclosed\n"), env: {} }));
    expect(bad.code).toBe("TRB_CFG_FILE");
    expect(bad.message).toContain("is not valid YAML");
    const list = errorOf(() => loadConfig(schema, { file: file("a.yaml", "- a\n- b\n"), env: {} }));
    expect(list.message).toContain("must hold a mapping of fields, not a list");
  });
});
