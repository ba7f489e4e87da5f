import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { connect, freshDatabase, run } from "./postgres.js";

/** About 200 bytes a row: a key, numbers, a timestamp, a flag and two strings. */
export const BENCH_TABLE_SQL = `
  CREATE SCHEMA bench;
  CREATE TABLE bench.rows (
    id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2) NOT NULL,
    created timestamptz NOT NULL, flag boolean NOT NULL, code text NOT NULL, note text NOT NULL);`;

export async function loadRows(
  sql: pg.Client,
  rows: number,
): Promise<{ rowBytes: number; tableBytes: number }> {
  await sql.query(BENCH_TABLE_SQL);
  await sql.query(
    `INSERT INTO bench.rows
       SELECT g, g % 1000, (g % 100000) / 100.0, '2024-01-01'::timestamptz + g * interval '1 second',
              g % 2 = 0, 'C' || lpad(g::text, 10, '0'), repeat(md5(g::text), 4)
         FROM generate_series(1, $1) g`,
    [rows],
  );
  await sql.query(`CREATE SEQUENCE bench.ids START ${rows + 1}`);
  await sql.query("VACUUM ANALYZE bench.rows");
  const { rows: size } = await sql.query<{ row_bytes: string; table_bytes: string }>(
    `SELECT (SELECT avg(pg_column_size(r.*)) FROM (SELECT * FROM bench.rows LIMIT 10000) r)::int::text AS row_bytes,
            pg_table_size('bench.rows')::text AS table_bytes`,
  );
  return { rowBytes: Number(size[0]?.row_bytes), tableBytes: Number(size[0]?.table_bytes) };
}

/**
 * Transactions of 10 row changes (5 inserts, about 4 updates, 1 delete) from 4 pgbench clients,
 * as fast as the server takes them.
 */
export async function writeTransactions(database: string, transactions: number, rows: number): Promise<void> {
  const script = join(tmpdir(), "tributary-bench-tx.sql");
  writeFileSync(
    script,
    [
      `\\set uid random(1, ${rows - 4})`,
      `\\set did random(1, ${rows})`,
      "BEGIN;",
      "INSERT INTO bench.rows SELECT nextval('bench.ids'), 7, 1.50, now(), true, 'N', repeat('x', 128) FROM generate_series(1, 5);",
      "UPDATE bench.rows SET amount = amount + 1 WHERE id BETWEEN :uid AND :uid + 3;",
      "DELETE FROM bench.rows WHERE id = :did;",
      "END;",
    ].join("\n"),
  );
  const clients = 4;
  await run(
    "pgbench",
    [
      "-n",
      "-h",
      "127.0.0.1",
      "-U",
      "postgres",
      "-c",
      String(clients),
      "-j",
      "2",
      "-t",
      String(Math.ceil(transactions / clients)),
      "-f",
      script,
      database,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/** A fresh source database `database` holding `rows` bench rows, and a client connected to it. */
export async function sourceWithRows(
  database: string,
  rows: number,
): Promise<{ sql: pg.Client; rowBytes: number }> {
  await freshDatabase(database);
  const sql = await connect(database);
  try {
    return { sql, ...(await loadRows(sql, rows)) };
  } catch (error) {
    await sql.end();
    throw error;
  }
}
