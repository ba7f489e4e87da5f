import { isTributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import { type PgQueryable, PgTypeCatalog } from "../../src/types/index.js";

/** Catalog rows as the recursive query returns them, keyed by OID. */
const ROWS: Record<number, Record<string, unknown>> = {
  23: facts(23, "int4"),
  1007: facts(1007, "_int4", { category: "A", isArray: true, elementOid: 23 }),
  1700: facts(1700, "numeric", { hasTypmodOut: true }),
  16400: facts(16400, "mood", { schema: "public", typtype: "e", enumLabels: ["sad", "happy"] }),
  16420: facts(16420, "price", { schema: "public", typtype: "d", baseTypeOid: 1700, baseTypmod: 655366 }),
  16490: facts(16490, "geometry", { schema: "public", hasTypmodOut: true }),
  16489: facts(16489, "_geometry", { schema: "public", category: "A", isArray: true, elementOid: 16490 }),
  16500: facts(16500, "geo", { schema: "public", typtype: "d", baseTypeOid: 16490, baseTypmod: 1107460 }),
  16460: facts(16460, "pair", {
    schema: "public",
    typtype: "c",
    attributes: [
      { name: "a", typeOid: 16400, typmod: -1 },
      { name: "g", typeOid: 16490, typmod: 42 },
    ],
  }),
};

function facts(oid: number, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const schema = (extra.schema as string | undefined) ?? "pg_catalog";
  return {
    oid,
    schema,
    name,
    quotedSchema: schema,
    quotedName: name,
    typtype: "b",
    category: "U",
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
    ...extra,
  };
}

function dependencies(row: Record<string, unknown>): number[] {
  const attributes = (row.attributes as Array<{ typeOid: number }> | null) ?? [];
  return [row.elementOid as number, row.baseTypeOid as number, ...attributes.map((a) => a.typeOid)].filter(
    (oid) => oid !== 0,
  );
}

/** Answers like the server; records every query. `asObjects` mimics a connection whose json parser is on. */
class FakeConnection implements PgQueryable {
  readonly calls: Array<{ kind: string; values: unknown[] }> = [];
  constructor(private readonly asObjects = false) {}

  async query(text: string, values: unknown[] = []): Promise<{ rows: unknown[] }> {
    if (text.includes("WITH RECURSIVE")) {
      this.calls.push({ kind: "types", values });
      const seen = new Set<number>();
      const pending = [...(values[0] as number[])];
      while (pending.length > 0) {
        const oid = pending.pop() as number;
        const row = ROWS[oid];
        if (row === undefined || seen.has(oid)) continue;
        seen.add(oid);
        pending.push(...dependencies(row));
      }
      return { rows: [...seen].map((oid) => this.row(ROWS[oid])) };
    }
    this.calls.push({ kind: "modifiers", values });
    const [oids, typmods] = values as [number[], number[]];
    return {
      rows: oids.map((oid, i) => this.row({ oid, typmod: typmods[i], modifier: `(m${typmods[i]})` })),
    };
  }

  private row(value: unknown): { facts: unknown } {
    return { facts: this.asObjects ? value : JSON.stringify(value) };
  }
}

describe("PgTypeCatalog", () => {
  it("loads a type and what it is built from in one query, then answers synchronously", async () => {
    const connection = new FakeConnection();
    const catalog = new PgTypeCatalog(connection);
    await catalog.load([1007]);
    expect(connection.calls).toEqual([{ kind: "types", values: [[1007]] }]);
    expect(catalog.get(1007)).toMatchObject({ oid: 1007, isArray: true, elementOid: 23, sqlName: "_int4" });
    expect(catalog.get(23)).toMatchObject({ name: "int4", kind: "base", sqlName: "int4" });
    expect(catalog.has(1700)).toBe(false);
    expect(catalog.find(1700)).toBeUndefined();
  });

  it("does not query again for cached types, and only asks for the missing ones", async () => {
    const connection = new FakeConnection();
    const catalog = new PgTypeCatalog(connection);
    await catalog.load([1007, 16400]);
    await catalog.load([23, 1007, 16400]);
    await catalog.load([16400, 16420]);
    expect(connection.calls.map((call) => call.values)).toEqual([[[1007, 16400]], [[16420]]]);
    expect(catalog.get(16420)).toMatchObject({ kind: "domain", baseTypeOid: 1700, sqlName: "public.price" });
    expect(catalog.get(16400).enumLabels).toEqual(["sad", "happy"]);
  });

  it("accepts rows whose JSON the connection already parsed", async () => {
    const catalog = new PgTypeCatalog(new FakeConnection(true));
    await catalog.load([16460]);
    expect(catalog.get(16460).attributes).toEqual([
      { name: "a", typeOid: 16400, typmod: -1 },
      { name: "g", typeOid: 16490, typmod: 42 },
    ]);
    expect(catalog.get(16400).kind).toBe("enum");
    expect(catalog.modifier(16490, 42)).toBe("(m42)");
  });

  it("reloads a type after invalidate (pgoutput Type message), and a new type on demand", async () => {
    const connection = new FakeConnection();
    const catalog = new PgTypeCatalog(connection);
    await catalog.load([16400]);
    catalog.invalidate(16400);
    expect(catalog.has(16400)).toBe(false);
    ROWS[16400] = facts(16400, "mood", {
      schema: "public",
      typtype: "e",
      enumLabels: ["sad", "meh", "happy"],
    });
    await catalog.load([16400]);
    expect(catalog.get(16400).enumLabels).toEqual(["sad", "meh", "happy"]);
    expect(connection.calls).toHaveLength(2);
    catalog.clear();
    expect(catalog.has(16400)).toBe(false);
  });

  it("loads the modifier text of extension types with a typmod, once, for arrays and domains too", async () => {
    const connection = new FakeConnection();
    const catalog = new PgTypeCatalog(connection);
    await catalog.load([
      { typeOid: 16490, typmod: 7 },
      { typeOid: 16489, typmod: 8 },
      { typeOid: 16490, typmod: -1 },
      16500,
      { typeOid: 1700, typmod: 655366 },
      23,
    ]);
    expect(connection.calls.map((call) => call.kind)).toEqual(["types", "modifiers"]);
    expect(connection.calls[1]?.values).toEqual([
      [16490, 16490, 16490],
      [7, 8, 1107460],
    ]);
    expect([
      catalog.modifier(16490, 7),
      catalog.modifier(16490, 8),
      catalog.modifier(16490, 1107460),
    ]).toEqual(["(m7)", "(m8)", "(m1107460)"]);
    await catalog.load([{ typeOid: 16490, typmod: 7 }, 16500]);
    expect(connection.calls).toHaveLength(2);
    catalog.invalidate(16490);
    expect(catalog.modifier(16490, 7)).toBeUndefined();
  });

  it("refuses an OID that names no type with TRB_PG_TYPE_UNKNOWN", async () => {
    const catalog = new PgTypeCatalog(new FakeConnection());
    await expect(catalog.load([23, 999_999])).rejects.toSatisfy(
      (error) => isTributaryError(error, "TRB_PG_TYPE_UNKNOWN") && String(error).includes("999999"),
    );
  });

  it("keeps a type pgoutput named but pg_type no longer has as a text type under that name", async () => {
    const catalog = new PgTypeCatalog(new FakeConnection());
    catalog.announce(777_777, "public", "gone mood");
    await catalog.load([23, 777_777]);
    expect(catalog.get(777_777)).toMatchObject({
      kind: "pseudo",
      sqlName: '"public"."gone mood"',
      isArray: false,
    });
  });

  it("refuses get() before load() with TRB_USAGE naming the fix", () => {
    const catalog = new PgTypeCatalog(new FakeConnection());
    expect(() => catalog.get(23)).toThrow(/TRB_USAGE.*await catalog\.load\(\[23\]\)/);
  });
});
