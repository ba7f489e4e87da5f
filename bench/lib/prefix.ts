/** The name prefix of a benchmark run's objects: BENCH_PREFIX, `trbbench_` by default. */
export function benchPrefix(): string {
  const prefix = process.env.BENCH_PREFIX ?? "trbbench_";
  if (!/^[a-z][a-z0-9_]*_$/.test(prefix)) {
    throw new Error(`BENCH_PREFIX must be lower-case letters, digits and _, ending in _: ${prefix}`);
  }
  return prefix;
}
