/**
 * What `tributary replay` does, decided from facts gathered beforehand (pure):
 *
 * - Rebuild (no `--from-time`): every target table of the sink's topics that exists is
 *   truncated (its definition, indexes and grants stay as the operator left them), a missing
 *   one is created by the sink (autoCreate), the sink's rows in tributary_offsets are deleted,
 *   and every partition is applied again from its earliest retained offset.
 * - From a time: nothing is truncated. Each partition starts at the first offset at or after
 *   the time, and never later than the offset the target recorded (that would skip changes the
 *   target never got): the changes since then are applied again over what the target holds.
 *   Keyed tables converge to the same rows; a table without a key gets the re-applied inserts
 *   as duplicate rows, which the plan warns about.
 *
 * Either way the replay ends once every partition is applied up to the end offset it had when
 * the replay started.
 */

export interface PartitionFacts {
  readonly topic: string;
  readonly partition: number;
  /** Earliest retained offset. */
  readonly low: bigint;
  /** End offset when the replay started. */
  readonly high: bigint;
  /** With `--from-time`: the first offset at or after the time (`high` when none is). */
  readonly atTime: bigint | null;
  /** The next offset the target recorded for the sink; null when none. */
  readonly recorded: bigint | null;
}

export interface TableFacts {
  /** Qualified, quoted target name, e.g. `"shop"."orders"`. */
  readonly name: string;
  readonly exists: boolean;
  readonly keyless: boolean;
}

export interface ReplayFacts {
  readonly sink: string;
  readonly fromTimeMs: number | null;
  readonly autoCreate: boolean;
  readonly partitions: readonly PartitionFacts[];
  readonly tables: readonly TableFacts[];
}

export interface PartitionReplay {
  readonly topic: string;
  readonly partition: number;
  /** The first offset applied again. */
  readonly from: bigint;
  /** Applied up to here (exclusive) before the replay ends. */
  readonly to: bigint;
}

export interface ReplayPlan {
  readonly mode: "rebuild" | "from-time";
  readonly truncate: readonly string[];
  /** Missing tables the sink creates (autoCreate). */
  readonly create: readonly string[];
  readonly partitions: readonly PartitionReplay[];
  /** Reasons the replay cannot run as configured. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

export function planReplay(facts: ReplayFacts): ReplayPlan {
  const rebuild = facts.fromTimeMs === null;
  const missing = facts.tables.filter((table) => !table.exists).map((table) => table.name);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (missing.length > 0 && !facts.autoCreate) {
    problems.push(
      `target table(s) ${missing.join(", ")} do not exist and autoCreate is false; create them, or set autoCreate: true`,
    );
  }
  const partitions = facts.partitions.map((p): PartitionReplay => {
    if (rebuild) return { topic: p.topic, partition: p.partition, from: p.low, to: p.high };
    const atTime = p.atTime ?? p.high;
    return {
      topic: p.topic,
      partition: p.partition,
      from: p.recorded === null ? atTime : min(atTime, p.recorded),
      to: p.high,
    };
  });
  if (rebuild) {
    const trimmed = facts.partitions.filter((p) => p.low > 0n);
    if (trimmed.length > 0) {
      warnings.push(
        `${trimmed.map((p) => `${p.topic}[${p.partition}]`).join(", ")} no longer hold their first events ` +
          "(retention or compaction): the rebuilt tables lack the rows only those events carried",
      );
    }
  } else {
    const keyless = facts.tables.filter((table) => table.keyless).map((table) => table.name);
    if (keyless.length > 0) {
      warnings.push(
        `${keyless.join(", ")} have no key: inserts applied again from the time add duplicate rows ` +
          "(replay without --from-time rebuilds them exactly)",
      );
    }
  }
  return {
    mode: rebuild ? "rebuild" : "from-time",
    truncate: rebuild ? facts.tables.filter((table) => table.exists).map((table) => table.name) : [],
    create: missing,
    partitions,
    problems,
    warnings,
  };
}

/** The plan as lines for the operator. */
export function describeReplayPlan(plan: ReplayPlan, facts: ReplayFacts): string[] {
  const lines: string[] = [];
  if (plan.mode === "rebuild") {
    lines.push(`Replay of sink ${facts.sink}: rebuild the target from the start of its topics.`);
    lines.push(
      plan.truncate.length === 0
        ? "Truncate: nothing (no target table exists yet)"
        : `Truncate (keeps each table's definition, indexes and grants): ${plan.truncate.join(", ")}`,
    );
  } else {
    lines.push(
      `Replay of sink ${facts.sink}: apply again every change since ${new Date(facts.fromTimeMs as number).toISOString()}` +
        " over what the target holds (no table is truncated).",
    );
  }
  if (plan.create.length > 0)
    lines.push(`Create when their first event arrives (autoCreate): ${plan.create.join(", ")}`);
  lines.push(
    plan.mode === "rebuild"
      ? `Delete the sink's rows in tributary_offsets and reset consumer group ${facts.sink} to the start:`
      : `Set the sink's rows in tributary_offsets and consumer group ${facts.sink} to:`,
  );
  for (const p of plan.partitions) {
    lines.push(`  ${p.topic}[${p.partition}]: offsets ${p.from} to ${p.to} (${p.to - p.from} events)`);
  }
  if (plan.partitions.length === 0) lines.push("  (no topic to replay)");
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}`);
  for (const problem of plan.problems) lines.push(`Cannot replay: ${problem}`);
  return lines;
}
