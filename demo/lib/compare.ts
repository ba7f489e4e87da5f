/**
 * Compares a table on the source and on the target row by row: each row is read as
 * `to_jsonb(row)` (column order does not matter, every value in its canonical text) keyed by
 * its primary key, on sessions with the same TimeZone, and the two keyed lists are merged.
 */
import pg from "pg";

export interface KeyedRow {
  key: string;
  row: string;
}

export interface TableComparison {
  table: string;
  sourceRows: number;
  targetRows: number;
  /** Keys on the source only. */
  missing: number;
  /** Keys on the target only. */
  extra: number;
  /** Keys on both sides with different values. */
  different: number;
  /** A few differing keys, for the report. */
  examples: string[];
  /** The target has no such table (yet). */
  targetMissing: boolean;
}

export function isEqual(comparison: TableComparison): boolean {
  return (
    !comparison.targetMissing &&
    comparison.missing === 0 &&
    comparison.extra === 0 &&
    comparison.different === 0
  );
}

/** Merges two row lists by key (pure); the lists need not be sorted. */
export function compareRows(
  table: string,
  source: readonly KeyedRow[],
  target: readonly KeyedRow[],
  exampleLimit = 3,
): TableComparison {
  const targetByKey = new Map(target.map((row) => [row.key, row.row]));
  const result: TableComparison = {
    table,
    sourceRows: source.length,
    targetRows: target.length,
    missing: 0,
    extra: 0,
    different: 0,
    examples: [],
    targetMissing: false,
  };
  const note = (text: string) => {
    if (result.examples.length < exampleLimit) result.examples.push(text);
  };
  const seen = new Set<string>();
  for (const { key, row } of source) {
    seen.add(key);
    const other = targetByKey.get(key);
    if (other === undefined) {
      result.missing++;
      note(`${key} missing on the target`);
    } else if (other !== row) {
      result.different++;
      note(`${key} differs`);
    }
  }
  for (const { key } of target) {
    if (!seen.has(key)) {
      result.extra++;
      note(`${key} only on the target`);
    }
  }
  return result;
}

/** The primary-key columns of `schema.table`, in key order. */
export async function primaryKey(client: pg.Client, schema: string, table: string): Promise<string[]> {
  const { rows } = await client.query<{ column: string }>(
    `SELECT a.attname AS column
       FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = format('%I.%I', $1::text, $2::text)::regclass AND i.indisprimary
      ORDER BY k.position`,
    [schema, table],
  );
  return rows.map((row) => row.column);
}

async function readRows(
  client: pg.Client,
  schema: string,
  table: string,
  key: readonly string[],
): Promise<KeyedRow[] | undefined> {
  const { rows: present } = await client.query<{ present: boolean }>(
    "SELECT to_regclass(format('%I.%I', $1::text, $2::text)) IS NOT NULL AS present",
    [schema, table],
  );
  if (present[0]?.present !== true) return undefined;
  const columns = key.map((column) => `t.${pg.escapeIdentifier(column)}`).join(", ");
  const { rows } = await client.query<KeyedRow>(
    `SELECT jsonb_build_array(${columns})::text AS key, to_jsonb(t)::text AS row
       FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)} t ORDER BY ${columns}`,
  );
  return rows;
}

export async function compareTable(
  source: pg.Client,
  target: pg.Client,
  schema: string,
  table: string,
): Promise<TableComparison> {
  const name = `${schema}.${table}`;
  const key = await primaryKey(source, schema, table);
  const sourceRows = (await readRows(source, schema, table, key)) ?? [];
  const targetRows = await readRows(target, schema, table, key);
  if (targetRows === undefined) {
    return { ...compareRows(name, sourceRows, []), targetMissing: true, missing: sourceRows.length };
  }
  return compareRows(name, sourceRows, targetRows);
}
