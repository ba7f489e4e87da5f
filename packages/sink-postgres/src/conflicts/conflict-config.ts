/**
 * `conflicts` of the sink's config (DESIGN.md section 6): whether the sink checks each change
 * against the target's state before applying it, and what it does with a conflict — the
 * sink-wide policy and, per target table, another one.
 */
import { isTributaryError } from "@tributary/core";
import { z } from "zod";
import { parseQualifiedName } from "../name-mapping.js";

export const CONFLICT_POLICIES = ["fail", "ignore", "overwrite", "newer"] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

const policySchema = z
  .enum(CONFLICT_POLICIES)
  .describe(
    "fail: stop before the conflicting change, committing nothing past it; ignore: keep the target row and drop " +
      "the incoming change; overwrite: apply the incoming change; newer: apply it only when its source commit " +
      "time is later than the target row's last commit (needs track_commit_timestamp = on on the target)",
  );

export const conflictsConfigSchema = z
  .object({
    detect: z
      .boolean()
      .default(false)
      .describe(
        "Check every change of a keyed table against the target before applying it: an insert of an existing " +
          "key, an update or a delete of a missing row is a conflict, recorded in tributary_conflicts",
      ),
    policy: policySchema.default("fail"),
    tables: z
      .record(z.string(), policySchema)
      .default({})
      .describe('Target table "schema.table" → its own policy, instead of conflicts.policy'),
  })
  .superRefine((conflicts, context) => {
    for (const table of Object.keys(conflicts.tables)) {
      try {
        if (parseQualifiedName(table, `conflicts.tables["${table}"]`).length !== 2) {
          context.addIssue({
            code: "custom",
            path: ["tables", table],
            message: `expected a target table as schema.table, got "${table}"`,
          });
        }
      } catch (error) {
        if (!isTributaryError(error)) throw error;
        context.addIssue({ code: "custom", path: ["tables", table], message: error.reason });
      }
    }
  })
  .prefault({})
  .describe("Conflict detection and resolution (two-way and multi-writer sync)");

export type ConflictsConfig = z.output<typeof conflictsConfigSchema>;

/** The policy of the target table `schema`.`table`. */
export function policyOf(config: ConflictsConfig, schema: string, table: string): ConflictPolicy {
  for (const [name, policy] of Object.entries(config.tables)) {
    const [tableSchema, tableName] = parseQualifiedName(name, "conflicts.tables");
    if (tableSchema === schema && tableName === table) return policy;
  }
  return config.policy;
}

/** Whether any table may use `newer` (the target must then track commit timestamps). */
export function usesNewer(config: ConflictsConfig): boolean {
  return config.policy === "newer" || Object.values(config.tables).includes("newer");
}
