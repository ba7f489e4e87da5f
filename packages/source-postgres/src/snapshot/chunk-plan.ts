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
 * `chunkPredicate` with the bounds written as literals (`'1'::t1`), for statements that take
 * no parameters such as COPY.
 */
export function chunkPredicateSql(key: readonly KeyColumn[], chunk: Chunk): string {
  return chunkPredicate(key, chunk, escapeLiteral).sql;
}
