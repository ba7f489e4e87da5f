const POLL_MS = 50;

export interface Progress {
  /** When the value first moved past its starting point (ms, performance.now()). */
  firstMovedAt: number;
  /** When the value reached the goal (ms, performance.now()). */
  reachedAt: number;
}

/**
 * Polls `read` until it returns at least `goal`, noting when it first moved. A rate measured
 * from `firstMovedAt` leaves out a connector's start-up; one from an earlier mark keeps it.
 * A goal known only later is a function returning undefined until it is known.
 */
export async function watchProgress(
  what: string,
  read: () => Promise<number>,
  goal: number | (() => Promise<number | undefined>),
  options: { failed?: Promise<unknown>; timeoutMs?: number } = {},
): Promise<Progress> {
  const timeoutMs = options.timeoutMs ?? 1_800_000;
  let failure: unknown;
  let failed = false;
  void options.failed?.then(
    (reason) => {
      failed = true;
      failure = reason;
    },
    (error: unknown) => {
      failed = true;
      failure = error;
    },
  );
  const started = performance.now();
  const from = await read();
  let firstMovedAt: number | undefined;
  for (;;) {
    const value = await read();
    const now = performance.now();
    if (value !== from && firstMovedAt === undefined) firstMovedAt = now;
    const target = typeof goal === "number" ? goal : await goal();
    if (target !== undefined && value >= target) return { firstMovedAt: firstMovedAt ?? now, reachedAt: now };
    if (failed) throw new Error(`${what} stopped at ${value} of ${target}: ${String(failure)}`);
    if (now - started > timeoutMs)
      throw new Error(`${what} reached ${value} of ${target} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
