import { describe, expect, it } from "vitest";
import { describeConnectionError } from "../../src/setup/connection-errors.js";

describe("describeConnectionError", () => {
  const postgres = {
    host: "db.example",
    port: 6543,
    user: "app",
    password: "s3cr3t-Pa55",
    database: "shop",
    connectTimeoutMs: 1000,
  };
  const config = { postgres };
  const errno = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:6543`), { code });
  const sqlState = (code: string, message: string) =>
    Object.assign(new Error(message), { code, severity: "FATAL", name: "DatabaseError" });

  it.each([
    ["refused", errno("ECONNREFUSED"), "TRB_PG_UNREACHABLE", true, "connection refused"],
    ["unknown host", errno("ENOTFOUND"), "TRB_PG_UNREACHABLE", true, "host name not found"],
    [
      "inside an AggregateError",
      new AggregateError([errno("ECONNREFUSED")]),
      "TRB_PG_UNREACHABLE",
      true,
      "refused",
    ],
    [
      "in the cause chain",
      new Error("wrapped", { cause: errno("ETIMEDOUT") }),
      "TRB_PG_UNREACHABLE",
      true,
      "timed out",
    ],
    [
      "bad password",
      sqlState("28P01", 'password authentication failed for user "app"'),
      "TRB_PG_AUTH",
      false,
      "password",
    ],
    ["no pg_hba entry", sqlState("28000", "no pg_hba.conf entry"), "TRB_PG_AUTH", false, "pg_hba.conf"],
    [
      "unknown database",
      sqlState("3D000", 'database "shop" does not exist'),
      "TRB_PG_DATABASE_MISSING",
      false,
      "does not exist",
    ],
    [
      "too many connections",
      sqlState("53300", "too many"),
      "TRB_PG_UNREACHABLE",
      true,
      "too many connections",
    ],
    [
      "starting up",
      sqlState("57P03", "the database system is starting up"),
      "TRB_PG_UNREACHABLE",
      true,
      "starting up",
    ],
    [
      "no CONNECT privilege",
      sqlState("42501", "permission denied"),
      "TRB_PG_PRIVILEGE",
      false,
      "GRANT CONNECT",
    ],
    ["TLS", errno("DEPTH_ZERO_SELF_SIGNED_CERT"), "TRB_PG_UNREACHABLE", false, "TLS"],
    [
      "no code (timeout)",
      new Error("Connection terminated unexpectedly"),
      "TRB_PG_UNREACHABLE",
      true,
      "within 1000 ms",
    ],
  ] as const)("%s", (_name, error, code, retriable, text) => {
    const described = describeConnectionError(error, config);
    expect(described.code).toBe(code);
    expect(described.retriable).toBe(retriable);
    expect(described.message).toContain(text);
    expect(described.message).toContain("db.example:6543");
    expect(described.message).toContain('database "shop"');
    expect(described.message).toContain('user "app"');
    expect(described.message).not.toContain(postgres.password);
    expect(JSON.stringify(described.details)).not.toContain(postgres.password);
    expect(described.cause).toBe(error);
  });

  it("accepts the connection section alone", () => {
    expect(describeConnectionError(errno("ECONNREFUSED"), postgres).code).toBe("TRB_PG_UNREACHABLE");
  });
});
