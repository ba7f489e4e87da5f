/**
 * Facts about PostgreSQL types by OID, loaded from the system catalogs and cached, so that
 * mapping a column and parsing its values is synchronous. One query loads a set of types and,
 * recursively, every type they are built from (array elements, domain base types, range
 * subtypes, composite attributes).
 */
import { TributaryError } from "@tributary/core";

/** What the catalog needs of a connection: `pg.Client`, `pg.PoolClient` and `pg.Pool` all fit. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** `pg_type.typtype`, spelled out. */
export type PgTypeKind = "base" | "composite" | "domain" | "enum" | "pseudo" | "range" | "multirange";

export interface PgAttribute {
  readonly name: string;
  readonly typeOid: number;
  readonly typmod: number;
}

export interface PgTypeInfo {
  readonly oid: number;
  /** Schema (`pg_namespace.nspname`) and name (`typname`), unquoted. */
  readonly schema: string;
  readonly name: string;
  /**
   * The name as SQL text, quoted where needed: bare for types in `pg_catalog` (`int4`,
   * `"char"`), schema-qualified for every other type (`public."Mood"`).
   */
  readonly sqlName: string;
  readonly kind: PgTypeKind;
  /** `typcategory`: `A` array, `N` numeric, `S` string, `U` user-defined, … */
  readonly category: string;
  /** A true array type (not a fixed-length subscriptable type such as `point` or `name`). */
  readonly isArray: boolean;
  /** `typelem`: element type of an array; 0 otherwise. */
  readonly elementOid: number;
  /** `typdelim`: the separator between elements of an array of this type (`;` for `box`). */
  readonly delimiter: string;
  /** Domains: `typbasetype` and `typtypmod`; 0 and -1 otherwise. */
  readonly baseTypeOid: number;
  readonly baseTypmod: number;
  /** Enums: labels in sort order; empty otherwise. */
  readonly enumLabels: readonly string[];
  /** Ranges: the subtype; multiranges: their range type. 0 otherwise. */
  readonly rangeSubtypeOid: number;
  readonly multirangeRangeOid: number;
  /** Composites: the attributes in order; empty otherwise. */
  readonly attributes: readonly PgAttribute[];
  /** The type formats its own typmod (`typmodout`), e.g. an extension's `geometry(Point,4326)`. */
  readonly hasTypmodOut: boolean;
}

/** A column's type and typmod, for loading the modifier text of types that format their own. */
export interface PgTypeRef {
  readonly typeOid: number;
  readonly typmod: number;
}

const KINDS: Readonly<Record<string, PgTypeKind>> = {
  b: "base",
  c: "composite",
  d: "domain",
  e: "enum",
  p: "pseudo",
  r: "range",
  m: "multirange",
};

/*
 * One row per wanted type and every type it is built from. `wanted` recurses through element
 * types, domain base types, range subtypes, multirange ranges and composite attributes; UNION
 * stops at types already seen. Each row is a JSON text so that the result does not depend on
 * the connection's type parsers (OIDs are cast to int8: JSON writes an oid as a string).
 */
const LOAD_TYPES_SQL = `
WITH RECURSIVE wanted(oid) AS (
  SELECT unnest($1::oid[])
  UNION
  SELECT dep.oid
  FROM wanted w
  JOIN pg_catalog.pg_type t ON t.oid = w.oid
  CROSS JOIN LATERAL (
    SELECT t.typelem AS oid WHERE t.typelem <> 0
    UNION ALL SELECT t.typbasetype WHERE t.typbasetype <> 0
    UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid
    UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid
    UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a
      WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
  ) dep
)
SELECT json_build_object(
  'oid', t.oid::int8,
  'schema', n.nspname,
  'name', t.typname,
  'quotedSchema', pg_catalog.quote_ident(n.nspname),
  'quotedName', pg_catalog.quote_ident(t.typname),
  'typtype', t.typtype,
  'category', t.typcategory,
  'isArray', t.typelem <> 0 AND t.typlen = -1 AND t.typstorage <> 'p',
  'elementOid', t.typelem::int8,
  'delimiter', t.typdelim,
  'baseTypeOid', t.typbasetype::int8,
  'baseTypmod', t.typtypmod,
  'hasTypmodOut', t.typmodout <> 0,
  'enumLabels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)
                 FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid),
  'rangeSubtypeOid', (SELECT r.rngsubtype::int8 FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid),
  'multirangeRangeOid', (SELECT r.rngtypid::int8 FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid),
  'attributes', (SELECT json_agg(json_build_object('name', a.attname, 'typeOid', a.atttypid::int8,
                                                   'typmod', a.atttypmod) ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a
                 WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0
                   AND NOT a.attisdropped)
)::text AS facts
FROM wanted w
JOIN pg_catalog.pg_type t ON t.oid = w.oid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace`;

/*
 * The modifier text of (type, typmod) pairs whose type formats its own typmod: what
 * format_type adds after the bare name, e.g. `(Point,4326)`.
 */
const LOAD_MODIFIERS_SQL = `
SELECT json_build_object(
  'oid', p.oid::int8,
  'typmod', p.typmod,
  'modifier', substr(pg_catalog.format_type(p.oid, p.typmod),
                     length(pg_catalog.format_type(p.oid, NULL)) + 1)
)::text AS facts
FROM unnest($1::oid[], $2::int4[]) AS p(oid, typmod)`;

export interface TypeFactsJson {
  oid: number;
  schema: string;
  name: string;
  quotedSchema: string;
  quotedName: string;
  typtype: string;
  category: string;
  isArray: boolean;
  elementOid: number;
  delimiter: string;
  baseTypeOid: number;
  baseTypmod: number;
  hasTypmodOut: boolean;
  enumLabels: string[] | null;
  rangeSubtypeOid: number | null;
  multirangeRangeOid: number | null;
  attributes: PgAttribute[] | null;
}

export class PgTypeCatalog {
  private readonly types = new Map<number, PgTypeInfo>();
  /** `oid/typmod` → modifier text, for types with their own `typmodout`. */
  private readonly modifiers = new Map<string, string>();
  /** Names pgoutput gave type OIDs in Type messages: what is left of a type dropped since. */
  private readonly announced = new Map<number, { schema: string; name: string }>();

  constructor(private readonly connection: PgQueryable) {}

  /**
   * Loads every type in `types` that is not cached yet, with the types it is built from, in one
   * query (plus one for the modifier text of extension types with a typmod). Pass the column's
   * typmod (`{ typeOid, typmod }`) when you have it. Throws TRB_PG_TYPE_UNKNOWN when an OID names
   * no type.
   */
  async load(types: Iterable<number | PgTypeRef>): Promise<void> {
    const refs: PgTypeRef[] = [];
    const missing = new Set<number>();
    for (const type of types) {
      const ref = typeof type === "number" ? { typeOid: type, typmod: -1 } : type;
      refs.push(ref);
      if (!this.types.has(ref.typeOid)) {
        missing.add(ref.typeOid);
      }
    }
    if (missing.size > 0) {
      const { rows } = await this.connection.query(LOAD_TYPES_SQL, [[...missing]]);
      for (const row of rows) {
        const info = toInfo(parseFacts<TypeFactsJson>(row));
        if (!this.types.has(info.oid)) {
          // Types this one is built from may carry typmods of their own.
          if (info.kind === "domain") {
            refs.push({ typeOid: info.baseTypeOid, typmod: info.baseTypmod });
          }
          for (const attribute of info.attributes) {
            refs.push(attribute);
          }
        }
        this.types.set(info.oid, info);
      }
      for (const oid of missing) {
        const named = this.announced.get(oid);
        if (!this.types.has(oid) && named) this.types.set(oid, droppedType(oid, named.schema, named.name));
      }
      const unknown = [...missing].filter((oid) => !this.types.has(oid));
      if (unknown.length > 0) {
        throw new TributaryError(
          "TRB_PG_TYPE_UNKNOWN",
          `no type with OID ${unknown.join(", ")} exists in pg_type; the type was dropped while in use, ` +
            "restart the connector so that it reads the tables' current columns",
          { details: { oids: unknown } },
        );
      }
    }
    await this.loadModifiers(refs);
  }

  /** The cached facts of `oid`. Throws TRB_USAGE when it was not loaded. */
  get(oid: number): PgTypeInfo {
    const info = this.types.get(oid);
    if (info === undefined) {
      throw new TributaryError(
        "TRB_USAGE",
        `type OID ${oid} is not in the type catalog; await catalog.load([${oid}]) before mapping its columns`,
      );
    }
    return info;
  }

  /** The cached facts of `oid`, or undefined when it was not loaded. */
  find(oid: number): PgTypeInfo | undefined {
    return this.types.get(oid);
  }

  has(oid: number): boolean {
    return this.types.has(oid);
  }

  /**
   * The typmod text of a type that formats its own typmod (`(Point,4326)`), as loaded with
   * `load([{ typeOid, typmod }])`; undefined when not loaded.
   */
  modifier(oid: number, typmod: number): string | undefined {
    return this.modifiers.get(`${oid}/${typmod}`);
  }

  /**
   * Remembers the name pgoutput gave `oid` in a Type message. When the type is no longer in
   * pg_type (dropped after the changes being decoded), its values — which arrive as text — are
   * published as strings under that name instead of stopping the connector for good.
   */
  announce(oid: number, schema: string, name: string): void {
    this.announced.set(oid, { schema, name });
  }

  /** Forgets `oid` (pgoutput sent a Type message: the type changed); the next `load` reads it again. */
  invalidate(oid: number): void {
    this.types.delete(oid);
    const prefix = `${oid}/`;
    for (const key of this.modifiers.keys()) {
      if (key.startsWith(prefix)) {
        this.modifiers.delete(key);
      }
    }
  }

  /** Forgets every type. */
  clear(): void {
    this.types.clear();
    this.modifiers.clear();
  }

  private async loadModifiers(refs: readonly PgTypeRef[]): Promise<void> {
    const oids: number[] = [];
    const typmods: number[] = [];
    const seen = new Set<string>();
    for (const ref of refs) {
      let info = this.types.get(ref.typeOid);
      if (info?.isArray === true) {
        info = this.types.get(info.elementOid); // an array column's typmod is its element's
      }
      const key = `${info?.oid}/${ref.typmod}`;
      if (
        info === undefined ||
        ref.typmod < 0 ||
        !info.hasTypmodOut ||
        info.schema === "pg_catalog" ||
        this.modifiers.has(key) ||
        seen.has(key)
      ) {
        continue;
      }
      seen.add(key);
      oids.push(info.oid);
      typmods.push(ref.typmod);
    }
    if (oids.length === 0) {
      return;
    }
    const { rows } = await this.connection.query(LOAD_MODIFIERS_SQL, [oids, typmods]);
    for (const row of rows) {
      const facts = parseFacts<{ oid: number; typmod: number; modifier: string }>(row);
      this.modifiers.set(`${facts.oid}/${facts.typmod}`, facts.modifier);
    }
  }
}

function parseFacts<T>(row: unknown): T {
  const facts = (row as { facts?: unknown }).facts;
  return (typeof facts === "string" ? JSON.parse(facts) : facts) as T;
}

/** A type pg_type no longer has: its values are kept in their text form (kind `pseudo`). */
function droppedType(oid: number, schema: string, name: string): PgTypeInfo {
  const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
  return toInfo({
    oid,
    schema,
    name,
    quotedSchema: quote(schema),
    quotedName: quote(name),
    typtype: "p",
    category: "X",
    isArray: false,
    elementOid: 0,
    delimiter: ",",
    baseTypeOid: 0,
    baseTypmod: -1,
    hasTypmodOut: false,
    enumLabels: null,
    rangeSubtypeOid: null,
    multirangeRangeOid: null,
    attributes: null,
  });
}

function toInfo(facts: TypeFactsJson): PgTypeInfo {
  const inCatalog = facts.schema === "pg_catalog";
  return {
    oid: facts.oid,
    schema: facts.schema,
    name: facts.name,
    sqlName: inCatalog ? facts.quotedName : `${facts.quotedSchema}.${facts.quotedName}`,
    kind: KINDS[facts.typtype] ?? "base",
    category: facts.category,
    isArray: facts.isArray,
    elementOid: facts.elementOid,
    delimiter: facts.delimiter,
    baseTypeOid: facts.baseTypeOid,
    baseTypmod: facts.baseTypmod,
    enumLabels: facts.enumLabels ?? [],
    rangeSubtypeOid: facts.rangeSubtypeOid ?? 0,
    multirangeRangeOid: facts.multirangeRangeOid ?? 0,
    attributes: facts.attributes ?? [],
    hasTypmodOut: facts.hasTypmodOut,
  };
}
