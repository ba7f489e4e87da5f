/**
 * Which tables and columns a source captures, from `tables.include`, `tables.exclude` and
 * `tables.excludeColumns` of its config.
 *
 * Pattern syntax — `schema.table` (and `schema.table.column` for excludeColumns):
 * - `*` matches any run of characters (also none), `?` exactly one; everything else matches
 *   itself, case-sensitively, against the names as the catalog stores them (`Orders` and
 *   `orders` are different tables; unquoted names are NOT folded to lower case as SQL does).
 * - `.` separates the parts. A name that holds a dot, a `*`, a `?` or a `"` is written in
 *   double quotes, where every character is literal and `""` stands for one `"`:
 *   `"my.schema"."Order*"` is the table `Order*` of the schema `my.schema`; quoting may cover
 *   part of a name only: `"v1.2_"*` matches every table whose name starts with `v1.2_`.
 * - Exclude wins over include. A pattern with no wildcard matches exactly one name.
 *
 * Never selected, whatever the patterns say: system schemas (`pg_catalog`, `information_schema`
 * and every `pg_*` schema such as `pg_toast` and `pg_temp_N`, a prefix PostgreSQL reserves) and
 * tables named `tributary_*` — the helper tables of sources and sinks (heartbeat, DDL log,
 * origin marker, sink offsets, conflicts) are read specially, never published as table events.
 */
import { TributaryError } from "@tributary/core";

export interface TableSelection {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly excludeColumns?: readonly string[];
}

type Token = { kind: "literal"; text: string } | { kind: "star" } | { kind: "one" };

/** One part (schema, table or column) of a pattern. */
export interface NameGlob {
  /** The name when the part has no wildcard; undefined for a glob. */
  readonly exact: string | undefined;
  /** Only `*`: matches every name. */
  readonly matchesAll: boolean;
  matches(name: string): boolean;
}

export interface NamePattern {
  readonly text: string;
  readonly parts: readonly NameGlob[];
}

/** The prefix of every Tributary helper table; such tables are never captured as data. */
export const RESERVED_TABLE_PREFIX = "tributary_";

export function isSystemSchema(schema: string): boolean {
  return schema === "information_schema" || schema.startsWith("pg_");
}

export function isReservedTable(table: string): boolean {
  return table.startsWith(RESERVED_TABLE_PREFIX);
}

/** Splits and compiles a pattern of `partCount` dot-separated parts; throws TRB_CFG_INVALID. */
export function parseNamePattern(text: string, partCount: 2 | 3, field = "tables.include"): NamePattern {
  const invalid = (why: string): TributaryError =>
    new TributaryError(
      "TRB_CFG_INVALID",
      `${field}: pattern ${JSON.stringify(text)} ${why}; expected ${partCount === 2 ? "schema.table" : "schema.table.column"} ` +
        `with * and ? as wildcards and "double quotes" around names holding dots, wildcards or quotes`,
      { details: { field, pattern: text } },
    );
  const source = text.trim();
  const parts: Token[][] = [[]];
  let quoted = false;
  let quotedPart = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    const current = parts[parts.length - 1] as Token[];
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        current.push({ kind: "literal", text: '"' });
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        current.push({ kind: "literal", text: char });
      }
    } else if (char === '"') {
      quoted = true;
      quotedPart = true;
    } else if (char === ".") {
      if (current.length === 0) throw invalid("has an empty name");
      parts.push([]);
      quotedPart = false;
    } else if (char === "*") {
      current.push({ kind: "star" });
    } else if (char === "?") {
      current.push({ kind: "one" });
    } else {
      current.push({ kind: "literal", text: char });
    }
  }
  if (quoted) throw invalid("has an unterminated double quote");
  if ((parts[parts.length - 1] as Token[]).length === 0) {
    throw invalid(quotedPart ? "has an empty quoted name" : "has an empty name");
  }
  if (parts.length !== partCount) throw invalid(`has ${parts.length} part${parts.length === 1 ? "" : "s"}`);
  return { text, parts: parts.map(compileGlob) };
}

function compileGlob(tokens: Token[]): NameGlob {
  const hasWildcard = tokens.some((token) => token.kind !== "literal");
  const exact = hasWildcard
    ? undefined
    : tokens.map((token) => (token.kind === "literal" ? token.text : "")).join("");
  const matchesAll = tokens.every((token) => token.kind === "star");
  const regex = new RegExp(
    `^${tokens
      .map((token) => {
        if (token.kind === "star") return ".*";
        if (token.kind === "one") return ".";
        return token.text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
      })
      .join("")}$`,
    "su",
  );
  return {
    exact,
    matchesAll,
    matches: exact === undefined ? (name) => regex.test(name) : (name) => name === exact,
  };
}

export interface TableSelector {
  includesTable(schema: string, table: string): boolean;
  excludesColumn(schema: string, table: string, column: string): boolean;
  /** The columns of `columns` that excludeColumns leaves out. */
  excludedColumns(schema: string, table: string, columns: Iterable<string>): Set<string>;
  /**
   * The schemas among `existingSchemas` in which an include pattern can select a table (and
   * that no exclude pattern removes entirely), in the order given.
   */
  schemasToCapture(existingSchemas: Iterable<string>): string[];
  /**
   * Every table of `schema`, present and future, is selected: an include pattern `<s>.*`
   * matches it and no exclude pattern names anything in it. Only such schemas may be
   * published whole (FOR TABLES IN SCHEMA).
   */
  coversWholeSchema(schema: string): boolean;
  /** Include patterns that name one table exactly, to warn when such a table is missing. */
  exactIncludes(): { schema: string; table: string }[];
}

export function createTableSelector(selection: TableSelection): TableSelector {
  const include = selection.include.map((text) => parseNamePattern(text, 2, "tables.include"));
  const exclude = selection.exclude.map((text) => parseNamePattern(text, 2, "tables.exclude"));
  const excludeColumns = (selection.excludeColumns ?? []).map((text) =>
    parseNamePattern(text, 3, "tables.excludeColumns"),
  );
  const matches = (pattern: NamePattern, names: readonly string[]): boolean =>
    pattern.parts.every((part, i) => part.matches(names[i] as string));
  const schemaPart = (pattern: NamePattern): NameGlob => pattern.parts[0] as NameGlob;
  const tablePart = (pattern: NamePattern): NameGlob => pattern.parts[1] as NameGlob;

  const excludesColumn = (schema: string, table: string, column: string): boolean =>
    excludeColumns.some((pattern) => matches(pattern, [schema, table, column]));

  return {
    includesTable(schema, table) {
      if (isSystemSchema(schema) || isReservedTable(table)) return false;
      const names = [schema, table];
      return include.some((p) => matches(p, names)) && !exclude.some((p) => matches(p, names));
    },
    excludesColumn,
    excludedColumns(schema, table, columns) {
      const excluded = new Set<string>();
      for (const column of columns) if (excludesColumn(schema, table, column)) excluded.add(column);
      return excluded;
    },
    schemasToCapture(existingSchemas) {
      const result: string[] = [];
      for (const schema of new Set(existingSchemas)) {
        if (isSystemSchema(schema)) continue;
        if (!include.some((p) => schemaPart(p).matches(schema))) continue;
        if (exclude.some((p) => schemaPart(p).matches(schema) && tablePart(p).matchesAll)) continue;
        result.push(schema);
      }
      return result;
    },
    coversWholeSchema(schema) {
      if (isSystemSchema(schema)) return false;
      return (
        include.some((p) => schemaPart(p).matches(schema) && tablePart(p).matchesAll) &&
        !exclude.some((p) => schemaPart(p).matches(schema))
      );
    },
    exactIncludes() {
      const result: { schema: string; table: string }[] = [];
      for (const pattern of include) {
        const schema = schemaPart(pattern).exact;
        const table = tablePart(pattern).exact;
        if (schema !== undefined && table !== undefined) result.push({ schema, table });
      }
      return result;
    },
  };
}
