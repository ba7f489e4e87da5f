import type { Logger } from "@tributary/core";
import { replicaIdentityProblem } from "../setup/precheck-problems.js";
import type { RefusedTable } from "../setup/publication-plan.js";

/**
 * Tables selected while the source streams that the publication refuses (no key and no
 * REPLICA IDENTITY FULL, or REPLICA IDENTITY NOTHING): each is reported once, as an error with
 * its fix, when it is first refused. At start such a table stops the source (precheck); while
 * streaming the other tables go on, and the table joins once it is fixed.
 */
export class RefusalReport {
  private reported = new Set<number>();

  constructor(private readonly logger: Logger) {}

  /** The tables the publication refuses now. */
  update(refused: readonly RefusedTable[]): void {
    const now = new Set<number>();
    for (const table of refused) {
      now.add(table.leaf.oid);
      if (this.reported.has(table.leaf.oid)) continue;
      const problem = replicaIdentityProblem(table);
      this.logger.error(
        { code: problem.code, table: problem.subject, fix: problem.fix },
        `${problem.message}; it is not captured until then`,
      );
    }
    this.reported = now;
  }
}
