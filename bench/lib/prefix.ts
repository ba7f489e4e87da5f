/** The name prefix of a benchmark run's objects: BENCH_PREFIX, `trbbench_` by default. */
export function benchPrefix(): string {
  const prefix = process.env.BENCH_PREFIX ?? "trbbench_";
  if (!/^[a-z][a-z0-9_]*_$/.test(prefix)) {
    throw new Error(`BENCH_PREFIX must be lower-case letters, digits and _, ending in _: ${prefix}`);
  }
  return prefix;
}

/** One run's name (`prefix` and the time) and the names of its objects, `<run>_<suffix>`. */
export function runNames(prefix: string): { runName: string; name: (suffix: string) => string } {
  const runName = `${prefix}${Date.now().toString(36)}`;
  return { runName, name: (suffix) => `${runName}_${suffix}` };
}
