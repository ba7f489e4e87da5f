/** A build of the CLI a benchmark runs its connectors from; `cli` undefined is this checkout's. */
export interface Build {
  label: string;
  cli: string | undefined;
}

/**
 * The builds a benchmark alternates: another build's `packages/cli/dist/bin.js` named by
 * BENCH_CLI_B (the baseline) when set, then this checkout's, so each pair sees the same machine.
 */
export function alternatedBuilds(): Build[] {
  const builds: Build[] = [{ label: "this build", cli: undefined }];
  const baseline = process.env.BENCH_CLI_B;
  if (baseline) builds.unshift({ label: "baseline", cli: baseline });
  return builds;
}

/** Connectors started from now on run `build` (BENCH_CLI is read at each start). */
export function useBuild(build: Build): void {
  if (build.cli === undefined) delete process.env.BENCH_CLI;
  else process.env.BENCH_CLI = build.cli;
}
