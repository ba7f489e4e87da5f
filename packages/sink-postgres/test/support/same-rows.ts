import type pg from "pg";
import { rowsDifference, waitForNoDifferences } from "../../../../test/support/pipeline.js";
import type { Running } from "./connectors.js";

/**
 * Waits until `rowsOf` reads the same rows of `table` from the target as from the source. The
 * target is read through the running sink, so the sink failing fails the wait; until the sink
 * creates the table, the target has no rows.
 */
export async function waitForSameRows(
  what: string,
  table: string,
  rowsOf: (client: pg.Client) => Promise<string[]>,
  databases: { source: pg.Client; target: pg.Client },
  sink: Running,
): Promise<void> {
  await waitForNoDifferences(what, async () => {
    const difference = rowsDifference(
      table,
      await rowsOf(databases.source),
      await sink.until(rowsOf(databases.target).catch((): string[] => [])),
    );
    return difference === undefined ? [] : [difference];
  });
}
