/**
 * Keys of the sink's per-table settings (`filters`): a source table as `schema.table`
 * (MariaDB/MySQL: `database.table`), where `*` matches any run of characters and `?` exactly
 * one; everything else matches itself, case-sensitively. An exact key wins over patterns; among
 * patterns, the one with the most literal characters wins, then the first written.
 */

export interface TablePattern<T> {
  readonly text: string;
  readonly value: T;
  /** Characters that are not wildcards: the more, the more specific. */
  readonly literals: number;
  readonly regex: RegExp | null;
}

export function hasWildcard(text: string): boolean {
  return /[*?]/.test(text);
}

function compile<T>(text: string, value: T): TablePattern<T> {
  if (!hasWildcard(text)) return { text, value, literals: text.length, regex: null };
  const body = [...text]
    .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return { text, value, literals: text.replace(/[*?]/g, "").length, regex: new RegExp(`^${body}$`, "s") };
}

/** Looks up the entry of a `schema.table`; remembers each answer (the set of tables is small). */
export class TablePatterns<T> {
  private readonly exact = new Map<string, T>();
  private readonly globs: TablePattern<T>[] = [];
  private readonly resolved = new Map<string, T | undefined>();

  constructor(entries: Readonly<Record<string, T>>) {
    for (const [text, value] of Object.entries(entries)) {
      const pattern = compile(text, value);
      if (pattern.regex === null) this.exact.set(text, value);
      else this.globs.push(pattern);
    }
    // Stable: equally specific patterns keep the order they were written in.
    this.globs.sort((a, b) => b.literals - a.literals);
  }

  get size(): number {
    return this.exact.size + this.globs.length;
  }

  lookup(table: string): T | undefined {
    if (this.resolved.has(table)) return this.resolved.get(table);
    const found = this.exact.get(table) ?? this.globs.find((glob) => glob.regex?.test(table))?.value;
    this.resolved.set(table, found);
    return found;
  }
}
