import { describe, expect, it } from "vitest";
import {
  ddlCaptureWarning,
  formatProblem,
  noFreeSlotProblem,
  replicaIdentityProblem,
  replicationPrivilegeProblem,
  walLevelProblem,
} from "../../src/setup/precheck-problems.js";
import type { CatalogTable } from "../../src/setup/publication-plan.js";

function table(schema: string, name: string, oid: number): CatalogTable {
  return {
    oid,
    schema,
    table: name,
    kind: "table",
    persistence: "permanent",
    replicaIdentity: "nothing",
    isPartition: false,
    ancestors: [],
    hasPrimaryKey: false,
    hasIdentityIndex: false,
    owned: true,
    canSelect: true,
  };
}

describe("precheck problems", () => {
  it("words wal_level as the style guide shows", () => {
    const problem = walLevelProblem("replica");
    expect(problem).toEqual({
      code: "TRB_PG_WAL_LEVEL",
      severity: "error",
      message: "wal_level is 'replica'",
      fix: "set wal_level = logical in postgresql.conf and restart the server",
    });
    expect(formatProblem(problem)).toBe(
      "[TRB_PG_WAL_LEVEL] wal_level is 'replica'; set wal_level = logical in postgresql.conf and restart the server",
    );
  });

  it("names the table and the statement that fixes its replica identity", () => {
    const blind = table("public", "Order Items", 1);
    const nothing = replicaIdentityProblem({ table: blind, leaf: blind, reason: "replica-identity-nothing" });
    expect(nothing.code).toBe("TRB_PG_REPLICA_IDENTITY");
    expect(nothing.subject).toBe("public.Order Items");
    expect(nothing.message).toContain('table public."Order Items" has REPLICA IDENTITY NOTHING');
    expect(nothing.fix).toContain('ALTER TABLE public."Order Items" REPLICA IDENTITY FULL');
    expect(nothing.fix).toContain('ALTER TABLE public."Order Items" REPLICA IDENTITY DEFAULT');

    const keyless = replicaIdentityProblem({ table: blind, leaf: blind, reason: "no-key" });
    expect(keyless.message).toContain(
      "has no primary key, no replica identity index and no REPLICA IDENTITY FULL",
    );
    expect(keyless.fix).toContain("add a primary key");
  });

  it("names the partition and its selected root", () => {
    const root = { ...table("public", "events", 1), kind: "partitioned" as const };
    const leaf = table("archive", "events_2019", 2);
    const problem = replicaIdentityProblem({ table: root, leaf, reason: "no-key" });
    expect(problem.message).toContain(
      "table archive.events_2019 (a partition of the selected table public.events)",
    );
    expect(problem.subject).toBe("public.events");
  });

  it("words privileges, slots and the DDL warning", () => {
    expect(replicationPrivilegeProblem("App User").fix).toBe(
      'run ALTER ROLE "App User" WITH REPLICATION (as a superuser), or connect as a role that has it',
    );
    const slots = noFreeSlotProblem(10, 10, ["old_a", "old_b"]);
    expect(slots.message).toContain("all 10 replication slots are used");
    expect(slots.fix).toContain("inactive now: old_a, old_b");
    const ddl = ddlCaptureWarning("app");
    expect(ddl.severity).toBe("warning");
    expect(ddl.code).toBe("TRB_PG_DDL_CAPTURE");
  });
});
