import { escapeIdentifier, escapeLiteral } from "pg";

/** A key range of one table: rows with key > `after` (if set) and key <= `upTo` (if set). */
export interface Chunk {
  after: readonly string[] | null;
  upTo: readonly string[] | null;
}

export interface KeyColumn {
  name: string;
  /** SQL type, e.g. `bigint`, `character varying(20)`, for casting the text bounds back. */
  sqlType: string;
}

/** Consecutive ranges between sorted boundary keys; the first starts open, the last ends open. */
export function chunksBetween(boundaries: readonly (readonly string[])[]): Chunk[] {
  const chunks: Chunk[] = [];
  let after: readonly string[] | null = null;
  for (const boundary of boundaries) {
    chunks.push({ after, upTo: boundary });
    after = boundary;
  }
  chunks.push({ after, upTo: null });
  return chunks;
}

/** `(a, b) > ($1::t1, $2::t2) AND (a, b) <= ($3::t1, $4::t2)` with its parameters. */
export function chunkPredicate(
  key: readonly KeyColumn[],
  chunk: Chunk,
  /** Writes a bound as this SQL instead of as a parameter. */
  literal?: (value: string) => string,
): { sql: string; params: string[] } {
  const columns = `(${key.map((k) => escapeIdentifier(k.name)).join(", ")})`;
  const params: string[] = [];
  const bound = (values: readonly string[]) =>
    `(${values
      .map((value, i) => {
        const type = key[i]?.sqlType ?? "text";
        if (literal) return `${literal(value)}::${type}`;
        params.push(value);
        return `$${params.length}::${type}`;
      })
      .join(", ")})`;
  const parts: string[] = [];
  if (chunk.after) parts.push(`${columns} > ${bound(chunk.after)}`);
  if (chunk.upTo) parts.push(`${columns} <= ${bound(chunk.upTo)}`);
  return { sql: parts.length === 0 ? "true" : parts.join(" AND "), params };
}

/** Every `chunkRows`-th key in key order: the upper bounds of all chunks but the last. */
export function boundaryQuery(qualifiedTable: string, key: readonly KeyColumn[], chunkRows: number): string {
  const columns = key.map((k) => escapeIdentifier(k.name)).join(", ");
  const casts = key.map((k, i) => `${escapeIdentifier(k.name)}::text AS k${i}`).join(", ");
  return (
    `SELECT ${key.map((_, i) => `k${i}`).join(", ")} FROM (` +
    `SELECT ${casts}, row_number() OVER (ORDER BY ${columns}) AS rn FROM ${qualifiedTable}) ranked ` +
    `WHERE rn % ${chunkRows} = 0 ORDER BY rn`
  );
}

/**
 * The key's histogram from the planner statistics (`pg_stats.histogram_bounds`, from ANALYZE or
 * autovacuum) as text, in order: bounds of equal-depth buckets of a sample, so they split the
 * table into ranges of about equal rows without scanning it. `$1` schema, `$2` table, `$3`
 * column, `$4` the table's oid. No row when the column has no histogram, or has a collation:
 * the histogram is then ordered by a collation that chunk predicates need not compare with, and
 * bounds out of their order would read rows twice.
 */
export function histogramQuery(key: KeyColumn): string {
  return (
    "SELECT b::text AS k0 FROM pg_catalog.pg_stats s, " +
    `unnest(s.histogram_bounds::text::${key.sqlType}[]) WITH ORDINALITY AS h(b, n) ` +
    "WHERE s.schemaname = $1 AND s.tablename = $2 AND s.attname = $3 AND NOT s.inherited " +
    "AND (SELECT a.attcollation FROM pg_catalog.pg_attribute a WHERE a.attrelid = $4 AND a.attname = $3) = 0 " +
    "ORDER BY h.n"
  );
}

/**
 * Upper bounds of `chunks` chunks taken from a histogram's bounds (`histogramQuery`), spread so
 * each chunk spans about as many buckets; equal bounds are kept once. Empty when the histogram
 * has too few buckets to split (then plan from the table itself).
 */
export function histogramBoundaries(bounds: readonly string[], chunks: number): string[][] {
  const buckets = bounds.length - 1;
  if (buckets < 2 || chunks < 2) return [];
  const count = Math.min(chunks, buckets);
  const boundaries: string[][] = [];
  for (let i = 1; i < count; i++) {
    const bound = bounds[Math.round((i * buckets) / count)] as string;
    if (boundaries.at(-1)?.[0] !== bound) boundaries.push([bound]);
  }
  return boundaries;
}

/**
 * `chunkPredicate` with the bounds written as literals (`'1'::t1`), for statements that take
 * no parameters such as COPY.
 */
export function chunkPredicateSql(key: readonly KeyColumn[], chunk: Chunk): string {
  return chunkPredicate(key, chunk, escapeLiteral).sql;
}
