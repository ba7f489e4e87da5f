/**
 * An error and its causes, outermost first, as plain objects to read facts from (`code`,
 * `retriable`, `severity`, …). Stops at a cycle or at a cause that is not an object.
 */
export function* causeChain(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  for (
    let current: unknown = error;
    current !== null && typeof current === "object" && !seen.has(current);
    current = (current as { cause?: unknown }).cause
  ) {
    seen.add(current);
    yield current as Record<string, unknown>;
  }
}
