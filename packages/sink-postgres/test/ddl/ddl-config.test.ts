import { describe, expect, it } from "vitest";
import { postgresSinkConfigSchema } from "../../src/index.js";

const minimal = {
  connector: "postgres-sink",
  name: "shop-replica",
  kafka: { brokers: ["127.0.0.1:9092"] },
  topics: { pattern: "^shop\\.public\\..*" },
  target: { database: "shop" },
};

describe("the ddl option", () => {
  it("defaults to ignore, without drops", () => {
    expect(postgresSinkConfigSchema.parse(minimal).ddl).toEqual({
      mode: "ignore",
      drops: false,
      drainIntervalMs: 1_000,
    });
  });

  it("takes `ddl: apply` as the short form", () => {
    expect(postgresSinkConfigSchema.parse({ ...minimal, ddl: "apply" }).ddl).toEqual({
      mode: "apply",
      drops: false,
      drainIntervalMs: 1_000,
    });
  });

  it("takes drops only when asked for", () => {
    expect(
      postgresSinkConfigSchema.parse({ ...minimal, ddl: { mode: "apply", drops: true } }).ddl.drops,
    ).toBe(true);
  });

  it("refuses an unknown mode, and apply on polardb-sink", () => {
    expect(postgresSinkConfigSchema.safeParse({ ...minimal, ddl: "replay" }).success).toBe(false);
    const polardb = postgresSinkConfigSchema.safeParse({
      ...minimal,
      connector: "polardb-sink",
      ddl: "apply",
    });
    expect(polardb.error?.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`)).toEqual([
      "ddl: ddl: apply is not supported by polardb-sink yet (its Oracle-mode types differ); use ddl: ignore",
    ]);
  });
});
