/**
 * What the end-to-end tests of a source → Kafka → sink pipeline share: a scratch source
 * database (5432) and target database (5433) with a client on each, the comparison of their
 * rows, waiting until they agree, and the clean-up after them.
 */
import type pg from "pg";
import { deleteConsumerGroup, deleteTopicsOf } from "./kafka.js";
import { connectPg, scratchDatabase, TARGET_PORT } from "./postgres.js";

export interface ScratchDatabase {
  name: string;
  drop(): Promise<void>;
}

export interface SourceAndTarget {
  sourceDb: ScratchDatabase;
  targetDb: ScratchDatabase;
  source: pg.Client;
  target: pg.Client;
}

/**
 * Creates the scratch databases `<name>_src_…` on 5432 and `<name>_dst_…` on 5433 and connects
 * to both; `sessionSql` (e.g. `SET TimeZone = 'UTC'`) runs on both clients, so their rows read alike.
 */
export async function openSourceAndTarget(name: string, sessionSql?: string): Promise<SourceAndTarget> {
  const sourceDb = await scratchDatabase(`${name}_src`);
  const targetDb = await scratchDatabase(`${name}_dst`, TARGET_PORT);
  const source = await connectPg(sourceDb.name);
  const target = await connectPg(targetDb.name, TARGET_PORT);
  if (sessionSql !== undefined) {
    await source.query(sessionSql);
    await target.query(sessionSql);
  }
  return { sourceDb, targetDb, source, target };
}

/** Ends both clients and drops both databases; skips what a failed setup did not create. */
export async function closeSourceAndTarget(opened: Partial<SourceAndTarget>): Promise<void> {
  await opened.source?.end();
  await opened.target?.end();
  await opened.sourceDb?.drop();
  await opened.targetDb?.drop();
}

/**
 * Drops the replication origin a sink created on the target for the source's `origin`: it
 * belongs to the whole cluster, so it outlives the target database.
 */
export async function dropReplicationOrigin(target: pg.Client | undefined, origin: string): Promise<void> {
  await target
    ?.query("SELECT pg_replication_origin_drop($1)", [`tributary_${origin}`])
    .catch(() => undefined);
}

/** What a source → sink pipeline test leaves behind. */
export interface PipelineLeftovers extends Partial<SourceAndTarget> {
  /** Stopped in this order: the sink before the source. */
  connectors: readonly ({ stop(): Promise<unknown> } | undefined)[];
  /** The source's origin: the sink created a replication origin for it on the target. */
  origin: string;
  /** The topic prefix of the source. */
  prefix: string | undefined;
  /** The sink's consumer group. */
  group?: string | undefined;
}

/** Ends a pipeline test: its connectors, the target's replication origin, both databases, the topics and the group. */
export async function closePipeline(leftovers: PipelineLeftovers): Promise<void> {
  for (const connector of leftovers.connectors) await connector?.stop();
  await dropReplicationOrigin(leftovers.target, leftovers.origin);
  await closeSourceAndTarget(leftovers);
  await deleteTopicsOf(leftovers.prefix);
  if (leftovers.group) await deleteConsumerGroup(leftovers.group).catch(() => undefined);
}

/** Every row of `table` (schema-qualified) as its composite text, sorted: equal lists are equal rows in every column. */
export async function rowsAsText(client: pg.Client, table: string): Promise<string[]> {
  const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${table} AS t`);
  return rows.map((r) => r.row).sort();
}

/** Rows one list has more often than the other, each with how many more. */
function surplus(rows: readonly string[], than: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row, (counts.get(row) ?? 0) + 1);
  for (const row of than) counts.set(row, (counts.get(row) ?? 0) - 1);
  return [...counts].filter(([, n]) => n > 0).map(([row, n]) => `${n}× ${row.slice(0, 200)}`);
}

/**
 * How the target's rows of `table` differ from the source's, as multisets (each identical row
 * as often): the counts and a few missing and extra rows; undefined when they are equal.
 */
export function rowsDifference(
  table: string,
  sourceRows: readonly string[],
  targetRows: readonly string[],
): string | undefined {
  const missing = surplus(sourceRows, targetRows);
  const extra = surplus(targetRows, sourceRows);
  if (missing.length === 0 && extra.length === 0) return undefined;
  return (
    `${table}: ${sourceRows.length} rows in the source, ${targetRows.length} in the target; ` +
    `missing ${missing.slice(0, 3).join(" | ")}; extra ${extra.slice(0, 3).join(" | ")}`
  );
}

/**
 * For each table of schema `shop`, how the target's rows differ from the source's (a table the
 * target does not have yet has no rows); empty when every table is equal.
 */
export async function shopTableDifferences(
  source: pg.Client,
  target: pg.Client,
  tables: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) {
    const sourceRows = await rowsAsText(source, `shop.${table}`);
    const targetRows = await rowsAsText(target, `shop.${table}`).catch((): string[] => []);
    const difference = rowsDifference(table, sourceRows, targetRows);
    if (difference !== undefined) found.push(difference);
  }
  return found;
}

/**
 * Polls `findDifferences` until it finds none; fails after `timeoutMs` with the differences
 * still left after `what`.
 */
export async function waitForNoDifferences(
  what: string,
  findDifferences: () => Promise<string[]>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await findDifferences();
    if (found.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`after ${what}, the target still differs:\n${found.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Polls `check` until it holds; fails after `timeoutMs` naming what it waited for. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
