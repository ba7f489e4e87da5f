import type { TributaryError } from "@tributary/core";
import type { Client } from "pg";
import { describe, expect, it } from "vitest";
import {
  choosePgoutputOptions,
  lsnForLibraryAcknowledge,
  type PgoutputOptions,
  parseLsn,
  pgoutputCapabilities,
  publicationNamesValue,
  quoteIdentifier,
  quoteLiteral,
  RelationCache,
  type RelationMessage,
  startReplicationSql,
  TributaryPgoutputPlugin,
  toLsn,
  validatePgoutputOptions,
  xlogDataStartOf,
} from "../../src/replication/index.js";

const LSN = parseLsn("16/B374D848");

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as TributaryError).code;
  }
  return undefined;
}

describe("quoting", () => {
  it.each([
    ["tributary_shop", '"tributary_shop"'],
    ["Shop", '"Shop"'],
    ['we"ird', '"we""ird"'],
    ["a,b c", '"a,b c"'],
  ])("quoteIdentifier(%j) is %s", (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it.each([
    ["on", "'on'"],
    ["it's", "'it''s'"],
    ["back\\slash", "'back\\slash'"],
  ])("quoteLiteral(%j) is %s", (value, quoted) => {
    expect(quoteLiteral(value)).toBe(quoted);
  });

  it("double-quotes every publication name inside the list, so case and punctuation survive", () => {
    expect(publicationNamesValue(["tributary_shop"])).toBe('"tributary_shop"');
    expect(publicationNamesValue(["Pub", 'q"uote', "it's,x"])).toBe('"Pub","q""uote","it\'s,x"');
  });
});

describe("startReplicationSql", () => {
  const base: PgoutputOptions = { protoVersion: 2, publicationNames: ["tributary_shop"] };

  it("writes the minimal protocol 1 command", () => {
    expect(
      startReplicationSql("tributary_shop", toLsn(0n), { protoVersion: 1, publicationNames: ["p"] }),
    ).toBe(
      `START_REPLICATION SLOT "tributary_shop" LOGICAL 0/0 (proto_version '1', publication_names '"p"')`,
    );
  });

  it("writes every option, quoted", () => {
    const sql = startReplicationSql('Slot"1', LSN, {
      ...base,
      publicationNames: ["Pub", "it's"],
      messages: true,
      binary: false,
      streaming: true,
      origin: "none",
    });
    expect(sql).toBe(
      `START_REPLICATION SLOT "Slot""1" LOGICAL 16/B374D848 (proto_version '2', ` +
        `publication_names '"Pub","it''s"', messages 'true', binary 'false', streaming 'on', origin 'none')`,
    );
  });

  it.each([
    [{ streaming: false }, "streaming 'off'"],
    [{ protoVersion: 4, streaming: "parallel" }, "streaming 'parallel'"],
    [{ protoVersion: 3, twoPhase: true }, "two_phase 'true'"],
  ] as const)("writes %j as %s", (extra, expected) => {
    expect(startReplicationSql("s", LSN, { ...base, ...extra })).toContain(expected);
  });

  it.each([
    ["an empty publication list", { ...base, publicationNames: [] }],
    ["an empty publication name", { ...base, publicationNames: [""] }],
    ["a NUL in a publication name", { ...base, publicationNames: ["a\0b"] }],
    ["streaming on protocol 1", { ...base, protoVersion: 1, streaming: true }],
    ["parallel streaming below protocol 4", { ...base, protoVersion: 3, streaming: "parallel" }],
    ["two-phase below protocol 3", { ...base, twoPhase: true }],
    ["protocol 5", { ...base, protoVersion: 5 }],
  ])("refuses %s with TRB_USAGE", (_, options) => {
    expect(codeOf(() => startReplicationSql("s", LSN, options as PgoutputOptions))).toBe("TRB_USAGE");
    expect(codeOf(() => validatePgoutputOptions(options as PgoutputOptions))).toBe("TRB_USAGE");
  });

  it("refuses an empty slot name", () => {
    expect(codeOf(() => startReplicationSql("", LSN, base))).toBe("TRB_USAGE");
  });
});

describe("protocol choice by server_version_num", () => {
  it.each([
    [100000, 1, false, false],
    [130012, 1, false, false],
    [140000, 2, true, true],
    [150020, 2, true, true],
    [160004, 2, true, true],
    [170002, 2, true, true],
  ])("%i: protocol %i, streaming %s, binary option %s", (version, protoVersion, streaming, hasBinary) => {
    const options = choosePgoutputOptions(version, { publicationNames: ["p"] });
    expect(options.protoVersion).toBe(protoVersion);
    expect(options.streaming ?? false).toBe(streaming);
    expect(options.binary !== undefined).toBe(hasBinary);
    expect(() => validatePgoutputOptions(options)).not.toThrow();
  });

  it("reports what each server could do, staying at protocol 2 by choice", () => {
    expect(pgoutputCapabilities(130000)).toMatchObject({
      maxProtoVersion: 1,
      streaming: false,
      messages: false,
    });
    expect(pgoutputCapabilities(150000)).toMatchObject({ maxProtoVersion: 3, twoPhase: true, origin: false });
    expect(pgoutputCapabilities(160000)).toMatchObject({
      maxProtoVersion: 4,
      parallelStreaming: true,
      origin: true,
    });
  });

  it("honours wishes where the server can and refuses messages where it cannot", () => {
    expect(
      choosePgoutputOptions(150000, {
        publicationNames: ["p"],
        streaming: false,
        binary: true,
        messages: true,
      }),
    ).toEqual({ protoVersion: 2, publicationNames: ["p"], streaming: false, binary: true, messages: true });
    expect(choosePgoutputOptions(130000, { publicationNames: ["p"], binary: true })).toEqual({
      protoVersion: 1,
      publicationNames: ["p"],
    });
    expect(codeOf(() => choosePgoutputOptions(130000, { publicationNames: ["p"], messages: true }))).toBe(
      "TRB_PG_VERSION_UNSUPPORTED",
    );
  });

  it.each([90624, 0, Number.NaN])("refuses %s (no pgoutput)", (version) => {
    expect(codeOf(() => pgoutputCapabilities(version))).toBe("TRB_PG_VERSION_UNSUPPORTED");
  });
});

describe("TributaryPgoutputPlugin", () => {
  const options: PgoutputOptions = { protoVersion: 2, publicationNames: ["pub"], streaming: true };

  function fakeClient(): { client: Client; queries: string[] } {
    const queries: string[] = [];
    const client = { query: async (sql: string) => queries.push(sql) } as unknown as Client;
    return { client, queries };
  }

  /** A CopyData chunk as the library sees it: XLogData header + payload; returns the payload view. */
  function xlogData(start: bigint, payload: Buffer): Buffer {
    const header = Buffer.alloc(25);
    header[0] = 0x77;
    header.writeBigUInt64BE(start, 1);
    header.writeBigUInt64BE(start, 9);
    return Buffer.concat([header, payload]).subarray(25);
  }

  it("is named pgoutput and validates its options up front", () => {
    expect(new TributaryPgoutputPlugin(options).name).toBe("pgoutput");
    expect(
      codeOf(() => new TributaryPgoutputPlugin({ protoVersion: 1, publicationNames: [], streaming: true })),
    ).toBe("TRB_USAGE");
  });

  it("starts replication with the library's LSN string and resets the stream state", async () => {
    const plugin = new TributaryPgoutputPlugin(options);
    plugin.parse(xlogData(1n, Buffer.from([0x53, 0, 0, 0, 9, 1]))); // Stream Start
    expect(plugin.decoder.inStream).toBe(true);
    const { client, queries } = fakeClient();
    await plugin.start(client, "tributary_shop", "16/B374D848");
    expect(queries).toEqual([
      `START_REPLICATION SLOT "tributary_shop" LOGICAL 16/B374D848 (proto_version '2', publication_names '"pub"', streaming 'on')`,
    ]);
    expect(plugin.decoder.inStream).toBe(false);
    await plugin.start(client, "s", "0/00000000");
    expect(queries[1]).toContain("LOGICAL 0/0 (");
  });

  it("rejects a malformed start LSN", async () => {
    const { client } = fakeClient();
    await expect(new TributaryPgoutputPlugin(options).start(client, "s", "nope")).rejects.toMatchObject({
      code: "TRB_PG_LSN_INVALID",
    });
  });

  it("parses a payload into a message", () => {
    const commit = Buffer.concat([Buffer.from("C"), Buffer.alloc(1), Buffer.alloc(24)]);
    expect(new TributaryPgoutputPlugin(options).parse(xlogData(5n, commit))).toMatchObject({ tag: "commit" });
  });

  it("returns decode failures as values, naming the XLogData LSN it finds in front of the payload", () => {
    const plugin = new TributaryPgoutputPlugin(options);
    const failure = plugin.parse(xlogData(LSN, Buffer.from("Zzz")));
    expect(failure).toMatchObject({ tag: "decode-failure", error: { code: "TRB_PG_PGOUTPUT_UNKNOWN_TAG" } });
    expect(failure.tag === "decode-failure" && failure.error.message).toContain("at LSN 16/B374D848");
    const bare = plugin.parse(Buffer.from("Zzz"));
    expect(bare.tag === "decode-failure" && bare.error.message).toContain("at an unknown LSN");
    const truncated = plugin.parse(xlogData(LSN, Buffer.from("B12")));
    expect(truncated).toMatchObject({ tag: "decode-failure", error: { code: "TRB_PG_PGOUTPUT_MALFORMED" } });
  });

  it("finds the XLogData start only behind a real XLogData header", () => {
    expect(xlogDataStartOf(xlogData(LSN, Buffer.from("E")))).toBe(LSN);
    expect(xlogDataStartOf(Buffer.from("E"))).toBeUndefined();
    expect(xlogDataStartOf(Buffer.alloc(40).subarray(25))).toBeUndefined();
  });
});

describe("lsnForLibraryAcknowledge", () => {
  it.each([
    ["0/10", "0/F"],
    ["1/0", "0/FFFFFFFF"],
    ["16/B374D848", "16/B374D847"],
  ])("%s becomes %s, which the library sends as %s again", (lsn, argument) => {
    expect(lsnForLibraryAcknowledge(parseLsn(lsn))).toBe(argument);
  });

  it("refuses 0/0", () => {
    expect(codeOf(() => lsnForLibraryAcknowledge(toLsn(0n)))).toBe("TRB_USAGE");
  });
});

describe("RelationCache", () => {
  const relation = (oid: number, name: string): RelationMessage => ({
    tag: "relation",
    xid: undefined,
    relationOid: oid,
    schema: "public",
    name,
    replicaIdentity: "d",
    columns: [],
  });

  it("keeps the latest relation and type per OID and reports what it replaced", () => {
    const cache = new RelationCache();
    expect(cache.setRelation(relation(1, "a"))).toBeUndefined();
    expect(cache.setRelation(relation(1, "a2"))).toMatchObject({ name: "a" });
    cache.setRelation(relation(2, "b"));
    cache.setType({ tag: "type", xid: undefined, typeOid: 9, schema: "public", name: "mood" });
    expect(cache.getRelation(1)?.name).toBe("a2");
    expect(cache.getType(9)?.name).toBe("mood");
    expect(cache.relationCount).toBe(2);
    cache.clear();
    expect(cache.getRelation(1)).toBeUndefined();
    expect(cache.getType(9)).toBeUndefined();
  });
});
