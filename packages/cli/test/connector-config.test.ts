import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadAnyConfig, loadSinkConfig, loadSourceConfig } from "../src/connector-config.js";

const example = (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

// Regression: the connector's kind was read with every TRIBUTARY_… variable checked against a
// schema holding only `connector`, so any other override (docker-compose sets several) failed.
describe("environment overrides through the CLI's config loading (env-override-checked-against-kind-only)", () => {
  it("apply to a sink's fields", () => {
    const config = loadSinkConfig(example("sink.yaml"), {
      TRIBUTARY_KAFKA__BROKERS: "kafka:9092",
      TRIBUTARY_TARGET__HOST: "postgres-peer",
      TRIBUTARY_TARGET__PORT: "5432",
      TRIBUTARY_BATCH__MAX_EVENTS: "2500",
    });
    expect(config.kafka.brokers).toEqual(["kafka:9092"]);
    expect(config.target).toMatchObject({ host: "postgres-peer", port: 5432 });
    expect(config.batch.maxEvents).toBe(2500);
  });

  it("apply to a source's fields", () => {
    const { config } = loadSourceConfig(example("source.yaml"), {
      TRIBUTARY_KAFKA__BROKERS: "kafka:9092",
      TRIBUTARY_POSTGRES__HOST: "postgres",
    });
    expect(config.kafka.brokers).toEqual(["kafka:9092"]);
    expect(config.postgres.host).toBe("postgres");
  });

  it("read the kind from the file, and still refuse a field no connector has", () => {
    expect(loadAnyConfig(example("sink.yaml"), { TRIBUTARY_TARGET__HOST: "elsewhere" })).toMatchObject({
      kind: "sink",
      config: { target: { host: "elsewhere" } },
    });
    expect(() => loadSinkConfig(example("sink.yaml"), { TRIBUTARY_NO_SUCH_FIELD: "1" })).toThrow(
      /TRIBUTARY_NO_SUCH_FIELD: no field matches 'NO_SUCH_FIELD' at the top level/,
    );
  });
});
