import type pg from "pg";
import { connect } from "./postgres.js";

/** Source tables of the latency run; `bench_log` is outside the captured `bench.*`. */
export function latencySourceSql(lag: number): string {
  return `
    CREATE SCHEMA bench;
    CREATE TABLE bench.latency (id bigint PRIMARY KEY, tx bigint NOT NULL, note text NOT NULL);
    CREATE SCHEMA bench_log;
    CREATE TABLE bench_log.tx (n bigint PRIMARY KEY);
    INSERT INTO bench.latency SELECT g, -1, repeat('p', 150) FROM generate_series(${-5 * lag}, -1) g;`;
}

/**
 * The target table as the sink would create it, with a deferred trigger that fires even under
 * session_replication_role = replica (ENABLE ALWAYS) and records each applied row change with
 * the clock at the COMMIT of the target transaction that applied it. (The transaction's commit
 * timestamp cannot serve: a session with a replication origin set up but no
 * pg_replication_origin_xact_setup records a stale timestamp.)
 */
export const LATENCY_TARGET_SQL = `
  CREATE SCHEMA bench;
  CREATE TABLE bench.latency (id bigint PRIMARY KEY, tx bigint NOT NULL, note text NOT NULL);
  CREATE SCHEMA bench_applied;
  CREATE TABLE bench_applied.changes (id bigint NOT NULL, tx bigint, at timestamptz NOT NULL);
  CREATE FUNCTION bench_applied.record() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'DELETE' THEN INSERT INTO bench_applied.changes VALUES (OLD.id, NULL, clock_timestamp());
    ELSE INSERT INTO bench_applied.changes VALUES (NEW.id, NEW.tx, clock_timestamp());
    END IF;
    RETURN NULL;
  END $$;
  CREATE CONSTRAINT TRIGGER record_apply AFTER INSERT OR UPDATE OR DELETE ON bench.latency
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bench_applied.record();
  ALTER TABLE bench.latency ENABLE ALWAYS TRIGGER record_apply;`;

/** Transaction `n`: 5 inserts, 4 updates and 1 delete of rows transaction n - lag inserted. */
function transactionSql(n: number, lag: number): string {
  const base = 5 * (n - lag);
  return `BEGIN;
    INSERT INTO bench.latency SELECT g, ${n}, repeat('x', 150) FROM generate_series(${5 * n}, ${5 * n + 4}) g;
    UPDATE bench.latency SET tx = ${n} WHERE id BETWEEN ${base} AND ${base + 3};
    DELETE FROM bench.latency WHERE id = ${base + 4};
    INSERT INTO bench_log.tx VALUES (${n});
    COMMIT;`;
}

export interface PacedRun {
  transactions: number;
  /** Largest delay of a transaction's start behind its schedule, ms. */
  maxBehindMs: number;
}

/**
 * Writes `transactions` 10-row transactions at `perSecond` transactions a second on a fixed
 * schedule (transaction n starts at n / perSecond s), from several connections so one slow
 * commit does not hold back the next ones.
 */
export async function pacedTransactions(
  database: string,
  transactions: number,
  perSecond: number,
  lag: number,
  connections = 8,
): Promise<PacedRun> {
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < connections; i++) clients.push(await connect(database));
    const startedAt = performance.now();
    let next = 0;
    let maxBehindMs = 0;
    const work = async (client: pg.Client) => {
      for (let n = next++; n < transactions; n = next++) {
        const due = startedAt + (n * 1000) / perSecond;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        maxBehindMs = Math.max(maxBehindMs, performance.now() - due);
        await client.query(transactionSql(n, lag));
      }
    };
    await Promise.all(clients.map(work));
    return { transactions, maxBehindMs };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}
