/**
 * Commit-to-apply latency of each event of the paced workload (pure). Transaction `n` of the
 * workload inserts ids 5n…5n+4 (column tx = n), then updates ids 5(n-lag)…5(n-lag)+3 (tx = n)
 * and deletes id 5(n-lag)+4, so every event is known from `n` alone. On the target a trigger
 * records each applied row change with the time of the target transaction's commit. A sink batch may
 * collapse an insert with the later update or delete of the same key: that insert then took
 * effect with the later change, whose apply time it gets.
 */

export interface AppliedChange {
  id: number;
  /** The row's tx column after an insert or update; null for a delete. */
  tx: number | null;
  /** Target commit time, ms since the epoch. */
  atMs: number;
}

export interface WorkloadShape {
  transactions: number;
  lag: number;
}

export interface LatencySamples {
  /** Commit-to-apply of every event found applied, ms, unsorted. */
  latenciesMs: number[];
  /** Events whose change never reached the target. */
  missing: number;
}

export function eventsOf(n: number, lag: number): { id: number; kind: "upsert" | "delete" }[] {
  const base = 5 * (n - lag);
  return [
    ...[0, 1, 2, 3, 4].map((j) => ({ id: 5 * n + j, kind: "upsert" as const })),
    ...[0, 1, 2, 3].map((j) => ({ id: base + j, kind: "upsert" as const })),
    { id: base + 4, kind: "delete" as const },
  ];
}

export function commitToApply(
  shape: WorkloadShape,
  sourceCommitMs: ReadonlyMap<number, number>,
  applied: readonly AppliedChange[],
): LatencySamples {
  const upserted = new Map<string, number>();
  const deleted = new Map<number, number>();
  for (const change of applied) {
    if (change.tx === null) keepEarliest(deleted, change.id, change.atMs);
    else keepEarliest(upserted, `${change.id}:${change.tx}`, change.atMs);
  }
  const { transactions, lag } = shape;
  /** When the effect of the change of `id` by transaction `n` reached the target. */
  const appliedAt = (id: number, n: number, kind: "upsert" | "delete"): number | undefined => {
    if (kind === "delete") return deleted.get(id);
    const own = upserted.get(`${id}:${n}`);
    if (own !== undefined || n + lag >= transactions || id < 5 * n) return own;
    // An insert collapsed with the change transaction n + lag made to the same key.
    return id % 5 === 4 ? deleted.get(id) : upserted.get(`${id}:${n + lag}`);
  };
  const latenciesMs: number[] = [];
  let missing = 0;
  for (let n = 0; n < transactions; n++) {
    const committed = sourceCommitMs.get(n);
    for (const { id, kind } of eventsOf(n, lag)) {
      const at = appliedAt(id, n, kind);
      if (at === undefined || committed === undefined) missing++;
      else latenciesMs.push(at - committed);
    }
  }
  return { latenciesMs, missing };
}

function keepEarliest<K>(map: Map<K, number>, key: K, atMs: number): void {
  const known = map.get(key);
  if (known === undefined || atMs < known) map.set(key, atMs);
}

/** Nearest-rank percentile (p in 0…100) of `values`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}
