import { isTributaryError, type TributaryError } from "@tributary/core";
import { describe, expect, it } from "vitest";
import {
  type Lsn,
  PG_EPOCH_OFFSET_MICROS,
  PgoutputDecoder,
  type PgoutputProtocolVersion,
  parseLsn,
  type TupleValue,
  unixMicrosToMs,
} from "../../src/replication/index.js";

/** Builds pgoutput payloads byte by byte, the way the server writes them. */
class Wire {
  private readonly parts: Buffer[] = [];

  constructor(tag: string) {
    this.char(tag);
  }

  char(c: string): this {
    return this.u8(c.charCodeAt(0));
  }

  u8(value: number): this {
    this.parts.push(Buffer.from([value]));
    return this;
  }

  i16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    this.parts.push(b);
    return this;
  }

  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.parts.push(b);
    return this;
  }

  i32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.parts.push(b);
    return this;
  }

  u64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    this.parts.push(b);
    return this;
  }

  i64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.parts.push(b);
    return this;
  }

  str(value: string): this {
    this.parts.push(Buffer.from(value, "utf8"), Buffer.from([0]));
    return this;
  }

  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  /** TupleData: null, "u" (unchanged), a string (text) or a Buffer (binary). */
  tuple(values: ReadonlyArray<null | "u" | string | Buffer>): this {
    this.i16(values.length);
    for (const value of values) {
      if (value === null) this.char("n");
      else if (value === "u") this.char("u");
      else if (typeof value === "string") {
        const bytes = Buffer.from(value, "utf8");
        this.char("t").i32(bytes.length).raw(bytes);
      } else this.char("b").i32(value.length).raw(value);
    }
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const LSN_A = parseLsn("16/B374D848");
const LSN_B = parseLsn("16/B374D900");
const LSN_C = parseLsn("16/B374D9F0");
/** 2024-05-06T07:08:09.123456Z in µs since 2000-01-01. */
const PG_TIME = 1714979289123456n - PG_EPOCH_OFFSET_MICROS;
const UNIX_TIME = 1714979289123456n;
const UNIX_MS = 1714979289123;
const XID = 7_654_321;
const SUBXID = 7_654_330;
const REL = 16_385;

const text = (t: string): TupleValue => ({ kind: "text", text: t });
const NULL: TupleValue = { kind: "null" };
const UNCHANGED: TupleValue = { kind: "unchanged" };

/** Every data message, with `streamXid` inserted where protocol 2 puts it inside a stream. */
function dataMessages(streamXid: number | undefined) {
  const x = (w: Wire): Wire => (streamXid === undefined ? w : w.u32(streamXid));
  return {
    relation: x(new Wire("R"))
      .u32(REL)
      .str("public")
      .str("orders")
      .char("d")
      .i16(3)
      .u8(1)
      .str("id")
      .u32(20)
      .i32(-1)
      .u8(0)
      .str("amount")
      .u32(1700)
      .i32((12 << 16) + 2 + 4)
      .u8(0)
      .str("note ✓")
      .u32(25)
      .i32(-1)
      .build(),
    type: x(new Wire("Y")).u32(16_400).str("public").str("mood").build(),
    insert: x(new Wire("I"))
      .u32(REL)
      .char("N")
      .tuple(["42", null, "héllo ✓", Buffer.from([0, 1, 0xff])])
      .build(),
    updateNoOld: x(new Wire("U")).u32(REL).char("N").tuple(["42", "u", "x"]).build(),
    updateKey: x(new Wire("U"))
      .u32(REL)
      .char("K")
      .tuple(["41", null, null])
      .char("N")
      .tuple(["42", "1.50", "u"])
      .build(),
    updateFull: x(new Wire("U"))
      .u32(REL)
      .char("O")
      .tuple(["42", "1.00", "old"])
      .char("N")
      .tuple(["42", "2.00", "new"])
      .build(),
    deleteKey: x(new Wire("D")).u32(REL).char("K").tuple(["42", null, null]).build(),
    deleteFull: x(new Wire("D")).u32(REL).char("O").tuple(["42", "2.00", "u"]).build(),
    truncate: x(new Wire("T"))
      .i32(2)
      .u8(3)
      .u32(REL)
      .u32(REL + 1)
      .build(),
    message: x(new Wire("M")).u8(1).u64(LSN_B).str("tributary").i32(2).raw(Buffer.from("hi")).build(),
  };
}

function decodeAll(decoder: PgoutputDecoder, buffers: readonly Buffer[]) {
  return buffers.map((b) => decoder.decode(b));
}

function thrown(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (error) {
    if (isTributaryError(error)) return error;
    throw error;
  }
  throw new Error("expected a TributaryError, nothing was thrown");
}

describe.each([1, 2] as const)("protocol version %i, outside a stream", (protoVersion) => {
  const decoder = () => new PgoutputDecoder({ protoVersion });

  it("decodes Begin with the commit time moved to the Unix epoch", () => {
    const buf = new Wire("B").u64(LSN_A).i64(PG_TIME).u32(XID).build();
    expect(decoder().decode(buf)).toEqual({
      tag: "begin",
      finalLsn: LSN_A,
      commitTimeMicros: UNIX_TIME,
      commitTimeMs: UNIX_MS,
      xid: XID,
    });
  });

  it("decodes Commit", () => {
    const buf = new Wire("C").u8(0).u64(LSN_A).u64(LSN_B).i64(PG_TIME).build();
    expect(decoder().decode(buf)).toEqual({
      tag: "commit",
      flags: 0,
      commitLsn: LSN_A,
      endLsn: LSN_B,
      commitTimeMicros: UNIX_TIME,
      commitTimeMs: UNIX_MS,
    });
  });

  it("decodes Origin, with and without an origin LSN", () => {
    expect(decoder().decode(new Wire("O").u64(LSN_C).str("tributary_dc1").build())).toEqual({
      tag: "origin",
      originLsn: LSN_C,
      originName: "tributary_dc1",
    });
    expect(decoder().decode(new Wire("O").u64(0n).str("zürich").build())).toEqual({
      tag: "origin",
      originLsn: 0n,
      originName: "zürich",
    });
  });

  it("decodes Relation with key flags, type OIDs and typmods", () => {
    expect(decoder().decode(dataMessages(undefined).relation)).toEqual({
      tag: "relation",
      xid: undefined,
      relationOid: REL,
      schema: "public",
      name: "orders",
      replicaIdentity: "d",
      columns: [
        { flags: 1, isKey: true, name: "id", typeOid: 20, typeMod: -1 },
        { flags: 0, isKey: false, name: "amount", typeOid: 1700, typeMod: (12 << 16) + 6 },
        { flags: 0, isKey: false, name: "note ✓", typeOid: 25, typeMod: -1 },
      ],
    });
  });

  it.each(["d", "n", "f", "i"])("keeps replica identity %s; an empty schema means pg_catalog", (identity) => {
    const buf = new Wire("R").u32(1).str("").str("t").char(identity).i16(0).build();
    expect(decoder().decode(buf)).toMatchObject({ schema: "", replicaIdentity: identity, columns: [] });
  });

  it("decodes Type", () => {
    expect(decoder().decode(dataMessages(undefined).type)).toEqual({
      tag: "type",
      xid: undefined,
      typeOid: 16_400,
      schema: "public",
      name: "mood",
    });
  });

  it("decodes Insert with every tuple kind kept raw", () => {
    expect(decoder().decode(dataMessages(undefined).insert)).toEqual({
      tag: "insert",
      xid: undefined,
      relationOid: REL,
      newTuple: [text("42"), NULL, text("héllo ✓"), { kind: "binary", bytes: Buffer.from([0, 1, 0xff]) }],
    });
  });

  it("decodes Update without old tuple, with key (K) and with full old row (O)", () => {
    const m = dataMessages(undefined);
    expect(decoder().decode(m.updateNoOld)).toEqual({
      tag: "update",
      xid: undefined,
      relationOid: REL,
      oldTuple: undefined,
      newTuple: [text("42"), UNCHANGED, text("x")],
    });
    expect(decoder().decode(m.updateKey)).toEqual({
      tag: "update",
      xid: undefined,
      relationOid: REL,
      oldTuple: { kind: "key", values: [text("41"), NULL, NULL] },
      newTuple: [text("42"), text("1.50"), UNCHANGED],
    });
    expect(decoder().decode(m.updateFull)).toMatchObject({
      oldTuple: { kind: "full", values: [text("42"), text("1.00"), text("old")] },
      newTuple: [text("42"), text("2.00"), text("new")],
    });
  });

  it("decodes Delete with key (K) and full old row (O)", () => {
    const m = dataMessages(undefined);
    expect(decoder().decode(m.deleteKey)).toEqual({
      tag: "delete",
      xid: undefined,
      relationOid: REL,
      oldTuple: { kind: "key", values: [text("42"), NULL, NULL] },
    });
    expect(decoder().decode(m.deleteFull)).toMatchObject({
      oldTuple: { kind: "full", values: [text("42"), text("2.00"), UNCHANGED] },
    });
  });

  it.each([
    [0, false, false],
    [1, true, false],
    [2, false, true],
    [3, true, true],
  ])("decodes Truncate with option bits %i", (bits, cascade, restartIdentity) => {
    const buf = new Wire("T")
      .i32(2)
      .u8(bits)
      .u32(REL)
      .u32(REL + 1)
      .build();
    expect(decoder().decode(buf)).toEqual({
      tag: "truncate",
      xid: undefined,
      options: bits,
      cascade,
      restartIdentity,
      relationOids: [REL, REL + 1],
    });
  });

  it("decodes transactional and non-transactional logical messages", () => {
    expect(decoder().decode(dataMessages(undefined).message)).toEqual({
      tag: "message",
      xid: undefined,
      flags: 1,
      transactional: true,
      messageLsn: LSN_B,
      prefix: "tributary",
      content: Buffer.from("hi"),
    });
    const empty = new Wire("M").u8(0).u64(LSN_C).str("").i32(0).build();
    expect(decoder().decode(empty)).toMatchObject({
      transactional: false,
      prefix: "",
      content: Buffer.alloc(0),
    });
  });

  it("keeps empty text apart from null and unchanged", () => {
    const buf = new Wire("I").u32(REL).char("N").tuple(["", null, "u"]).build();
    expect(decoder().decode(buf)).toMatchObject({ newTuple: [text(""), NULL, UNCHANGED] });
  });

  it("decodes a tuple of zero columns and a wide one", () => {
    const wide = Array.from({ length: 1600 }, (_, i) => String(i));
    expect(decoder().decode(new Wire("I").u32(REL).char("N").tuple([]).build())).toMatchObject({
      newTuple: [],
    });
    const decoded = decoder().decode(new Wire("I").u32(REL).char("N").tuple(wide).build());
    expect(decoded).toMatchObject({ newTuple: wide.map(text) });
  });

  it("hands out copies of binary values and message contents, not views of the receive buffer", () => {
    const insert = dataMessages(undefined).insert;
    const message = dataMessages(undefined).message;
    const row = decoder().decode(insert);
    const msg = decoder().decode(message);
    insert.fill(0);
    message.fill(0);
    expect(row).toMatchObject({
      newTuple: [text("42"), NULL, text("héllo ✓"), { bytes: Buffer.from([0, 1, 0xff]) }],
    });
    expect(msg).toMatchObject({ content: Buffer.from("hi") });
  });

  it("decodes a payload that is a view into a larger buffer", () => {
    const insert = dataMessages(undefined).insert;
    const big = Buffer.concat([Buffer.alloc(25, 0x77), insert, Buffer.from("garbage")]);
    const view = big.subarray(25, 25 + insert.length);
    expect(decoder().decode(view)).toEqual(decoder().decode(insert));
  });
});

describe("protocol version 2 streaming", () => {
  const start = (xid: number, first: boolean) =>
    new Wire("S")
      .u32(xid)
      .u8(first ? 1 : 0)
      .build();
  const stop = new Wire("E").build();

  it("decodes Stream Start, data messages with the xid, Stream Stop, Stream Commit", () => {
    const decoder = new PgoutputDecoder({ protoVersion: 2 });
    const m = dataMessages(SUBXID);
    expect(decoder.decode(start(XID, true))).toEqual({ tag: "stream-start", xid: XID, firstSegment: true });
    expect(decoder.inStream).toBe(true);
    const inside = decodeAll(decoder, Object.values(m));
    for (const message of inside) expect(message).toHaveProperty("xid", SUBXID);
    expect(inside.map((message) => message.tag)).toEqual([
      "relation",
      "type",
      "insert",
      "update",
      "update",
      "update",
      "delete",
      "delete",
      "truncate",
      "message",
    ]);
    expect(inside[2]).toEqual({
      tag: "insert",
      xid: SUBXID,
      relationOid: REL,
      newTuple: [text("42"), NULL, text("héllo ✓"), { kind: "binary", bytes: Buffer.from([0, 1, 0xff]) }],
    });
    expect(inside[4]).toMatchObject({
      oldTuple: { kind: "key" },
      newTuple: [text("42"), text("1.50"), UNCHANGED],
    });
    expect(decoder.decode(stop)).toEqual({ tag: "stream-stop" });
    expect(decoder.inStream).toBe(false);

    // A later block of the same transaction, then the commit outside any block.
    expect(decoder.decode(start(XID, false))).toEqual({ tag: "stream-start", xid: XID, firstSegment: false });
    expect(decoder.decode(m.insert)).toMatchObject({ tag: "insert", xid: SUBXID });
    decoder.decode(stop);
    const commit = new Wire("c").u32(XID).u8(0).u64(LSN_A).u64(LSN_B).i64(PG_TIME).build();
    expect(decoder.decode(commit)).toEqual({
      tag: "stream-commit",
      xid: XID,
      flags: 0,
      commitLsn: LSN_A,
      endLsn: LSN_B,
      commitTimeMicros: UNIX_TIME,
      commitTimeMs: UNIX_MS,
    });
    // Outside the stream the same bytes without xid decode as a normal transaction's rows.
    expect(decoder.decode(dataMessages(undefined).insert)).toMatchObject({ tag: "insert", xid: undefined });
  });

  it("decodes Stream Abort of a transaction and of a subtransaction", () => {
    const decoder = new PgoutputDecoder({ protoVersion: 2 });
    expect(decoder.decode(new Wire("A").u32(XID).u32(XID).build())).toEqual({
      tag: "stream-abort",
      xid: XID,
      subxid: XID,
      abortLsn: undefined,
      abortTimeMicros: undefined,
    });
    expect(decoder.decode(new Wire("A").u32(XID).u32(SUBXID).build())).toMatchObject({ subxid: SUBXID });
  });

  it("decodes the protocol 4 abort LSN and time when streaming is parallel, and their absence otherwise", () => {
    const decoder = new PgoutputDecoder({ protoVersion: 4 });
    expect(decoder.decode(new Wire("A").u32(XID).u32(SUBXID).u64(LSN_C).i64(PG_TIME).build())).toEqual({
      tag: "stream-abort",
      xid: XID,
      subxid: SUBXID,
      abortLsn: LSN_C,
      abortTimeMicros: UNIX_TIME,
    });
    expect(decoder.decode(new Wire("A").u32(XID).u32(SUBXID).build())).toMatchObject({ abortLsn: undefined });
    // Protocol 2 never has the fields: extra bytes are an error, not an abort LSN.
    const v2 = new PgoutputDecoder({ protoVersion: 2 });
    const extra = new Wire("A").u32(XID).u32(SUBXID).u64(LSN_C).i64(PG_TIME).build();
    expect(thrown(() => v2.decode(extra)).code).toBe("TRB_PG_PGOUTPUT_MALFORMED");
  });

  it("refuses Stream Stop outside a stream and Stream Start inside one, without changing state", () => {
    const decoder = new PgoutputDecoder({ protoVersion: 2 });
    expect(thrown(() => decoder.decode(stop)).reason).toContain("Stream Stop outside a stream block");
    decoder.decode(start(XID, true));
    expect(thrown(() => decoder.decode(start(XID, false))).code).toBe("TRB_PG_PGOUTPUT_MALFORMED");
    expect(decoder.inStream).toBe(true);
    // A truncated row inside the stream leaves the stream state alone.
    expect(() => decoder.decode(dataMessages(XID).insert.subarray(0, 10))).toThrow();
    expect(decoder.inStream).toBe(true);
  });

  it("reset() starts over outside any stream (new connection)", () => {
    const decoder = new PgoutputDecoder({ protoVersion: 2 });
    decoder.decode(start(XID, true));
    decoder.reset();
    expect(decoder.inStream).toBe(false);
    expect(decoder.decode(dataMessages(undefined).insert)).toMatchObject({ xid: undefined });
  });
});

describe("protocol version 3 two-phase messages", () => {
  const decoder = new PgoutputDecoder({ protoVersion: 3 });

  it("decodes Begin Prepare, Prepare, Stream Prepare, Commit Prepared and Rollback Prepared", () => {
    expect(
      decoder.decode(new Wire("b").u64(LSN_A).u64(LSN_B).i64(PG_TIME).u32(XID).str("gid-1").build()),
    ).toEqual({
      tag: "begin-prepare",
      prepareLsn: LSN_A,
      endLsn: LSN_B,
      prepareTimeMicros: UNIX_TIME,
      xid: XID,
      gid: "gid-1",
    });
    for (const [tag, name] of [
      ["P", "prepare"],
      ["p", "stream-prepare"],
    ] as const) {
      expect(
        decoder.decode(new Wire(tag).u8(0).u64(LSN_A).u64(LSN_B).i64(PG_TIME).u32(XID).str("g").build()),
      ).toEqual({
        tag: name,
        flags: 0,
        prepareLsn: LSN_A,
        endLsn: LSN_B,
        prepareTimeMicros: UNIX_TIME,
        xid: XID,
        gid: "g",
      });
    }
    expect(
      decoder.decode(new Wire("K").u8(0).u64(LSN_B).u64(LSN_C).i64(PG_TIME).u32(XID).str("g").build()),
    ).toEqual({
      tag: "commit-prepared",
      flags: 0,
      commitLsn: LSN_B,
      endLsn: LSN_C,
      commitTimeMicros: UNIX_TIME,
      xid: XID,
      gid: "g",
    });
    const rollback = new Wire("r")
      .u8(0)
      .u64(LSN_B)
      .u64(LSN_C)
      .i64(PG_TIME)
      .i64(PG_TIME + 5n)
      .u32(XID)
      .str("g");
    expect(decoder.decode(rollback.build())).toEqual({
      tag: "rollback-prepared",
      flags: 0,
      prepareEndLsn: LSN_B,
      rollbackEndLsn: LSN_C,
      prepareTimeMicros: UNIX_TIME,
      rollbackTimeMicros: UNIX_TIME + 5n,
      xid: XID,
      gid: "g",
    });
  });
});

describe("errors", () => {
  const at: Lsn = parseLsn("16/B374D848");

  it("names an unknown tag and the LSN", () => {
    const error = thrown(() => new PgoutputDecoder({ protoVersion: 2 }).decode(Buffer.from("Zabc"), at));
    expect(error.code).toBe("TRB_PG_PGOUTPUT_UNKNOWN_TAG");
    expect(error.retriable).toBe(false);
    expect(error.message).toContain("'Z' (0x5a)");
    expect(error.message).toContain("16/B374D848");
    expect(error.details).toMatchObject({ tag: "Z", lsn: "16/B374D848", protoVersion: 2 });
    const unprintable = thrown(() => new PgoutputDecoder({ protoVersion: 1 }).decode(Buffer.from([0x01])));
    expect(unprintable.message).toContain("(0x01) at an unknown LSN");
  });

  it.each([
    [1, "S", 2],
    [1, "E", 2],
    [1, "c", 2],
    [1, "A", 2],
    [2, "b", 3],
    [2, "P", 3],
    [2, "K", 3],
    [2, "r", 3],
    [2, "p", 3],
  ] as const)("protocol %i refuses '%s', which needs protocol %i", (protoVersion, tag, needed) => {
    const error = thrown(() => new PgoutputDecoder({ protoVersion }).decode(Buffer.from(tag), at));
    expect(error.code).toBe("TRB_PG_PGOUTPUT_UNKNOWN_TAG");
    expect(error.message).toContain(`needs protocol version ${needed}`);
    expect(error.message).toContain("16/B374D848");
  });

  const fixtures: Array<[string, PgoutputProtocolVersion, boolean, Buffer]> = [
    ["begin", 1, false, new Wire("B").u64(LSN_A).i64(PG_TIME).u32(XID).build()],
    ["commit", 1, false, new Wire("C").u8(0).u64(LSN_A).u64(LSN_B).i64(PG_TIME).build()],
    ["origin", 1, false, new Wire("O").u64(LSN_C).str("x").build()],
    ...Object.entries(dataMessages(undefined)).map(
      ([name, buf]): [string, PgoutputProtocolVersion, boolean, Buffer] => [name, 1, false, buf],
    ),
    ...Object.entries(dataMessages(XID)).map(
      ([name, buf]): [string, PgoutputProtocolVersion, boolean, Buffer] => [`streamed ${name}`, 2, true, buf],
    ),
    ["stream start", 2, false, new Wire("S").u32(XID).u8(1).build()],
    ["stream commit", 2, false, new Wire("c").u32(XID).u8(0).u64(LSN_A).u64(LSN_B).i64(PG_TIME).build()],
    ["stream abort", 2, false, new Wire("A").u32(XID).u32(XID).build()],
    ["begin prepare", 3, false, new Wire("b").u64(LSN_A).u64(LSN_B).i64(PG_TIME).u32(XID).str("g").build()],
    [
      "rollback prepared",
      3,
      false,
      new Wire("r").u8(0).u64(1n).u64(2n).i64(3n).i64(4n).u32(XID).str("g").build(),
    ],
  ];

  it.each(fixtures)(
    "%s: every truncation is a malformed-message error, never a wrong value",
    (_, v, inStream, buf) => {
      for (let length = 0; length < buf.length; length++) {
        const decoder = new PgoutputDecoder({ protoVersion: v });
        if (inStream) decoder.decode(new Wire("S").u32(XID).u8(1).build());
        const error = thrown(() => decoder.decode(buf.subarray(0, length), at));
        expect(error.code, `length ${length}`).toBe("TRB_PG_PGOUTPUT_MALFORMED");
        if (length > 0) expect(error.message).toContain("16/B374D848");
      }
    },
  );

  it.each(fixtures)("%s: trailing bytes are a malformed-message error", (_, v, inStream, buf) => {
    const decoder = new PgoutputDecoder({ protoVersion: v });
    if (inStream) decoder.decode(new Wire("S").u32(XID).u8(1).build());
    const error = thrown(() => decoder.decode(Buffer.concat([buf, Buffer.from([0])]), at));
    expect(error.code).toBe("TRB_PG_PGOUTPUT_MALFORMED");
    expect(error.message).toContain("1 unexpected bytes after the message");
  });

  it.each([
    [
      "a tuple kind that is none of n, u, t, b",
      new Wire("I").u32(REL).char("N").i16(1).char("x").build(),
      "'x'",
    ],
    ["an insert without N", new Wire("I").u32(REL).char("K").tuple(["1"]).build(), "new-tuple marker N"],
    ["an update with marker X", new Wire("U").u32(REL).char("X").tuple(["1"]).build(), "none of K, O, N"],
    [
      "an update whose old tuple is not followed by N",
      new Wire("U").u32(REL).char("K").tuple(["1"]).char("K").build(),
      "marker N",
    ],
    ["a delete with marker N", new Wire("D").u32(REL).char("N").tuple(["1"]).build(), "neither K nor O"],
    [
      "a negative text length",
      new Wire("I").u32(REL).char("N").i16(1).char("t").i32(-5).build(),
      "claims -5 bytes",
    ],
    [
      "a text length beyond the end",
      new Wire("I").u32(REL).char("N").i16(1).char("t").i32(9).raw(Buffer.from("abc")).build(),
      "claims 9 bytes but 3 remain",
    ],
    ["a negative column count", new Wire("I").u32(REL).char("N").i16(-1).build(), "negative column count"],
    [
      "an unknown replica identity",
      new Wire("R").u32(1).str("s").str("t").char("x").i16(0).build(),
      "replica identity 'x'",
    ],
    [
      "a string without terminator",
      new Wire("O").u64(1n).raw(Buffer.from("abc")).build(),
      "no terminating zero byte",
    ],
    ["a negative message length", new Wire("M").u8(0).u64(1n).str("p").i32(-1).build(), "claims -1 bytes"],
  ])("refuses %s", (_, buf, expected) => {
    const error = thrown(() => new PgoutputDecoder({ protoVersion: 2 }).decode(buf, at));
    expect(error.code).toBe("TRB_PG_PGOUTPUT_MALFORMED");
    expect(error.message).toContain(expected);
    expect(error.message).toContain("16/B374D848");
  });
});

describe("time conversion", () => {
  it.each([
    [0n, 946_684_800_000],
    [-PG_EPOCH_OFFSET_MICROS, 0],
    [-PG_EPOCH_OFFSET_MICROS - 1n, -1],
    [999n, 946_684_800_000],
  ])("PostgreSQL µs %s is Unix ms %s", (pg, ms) => {
    const decoded = new PgoutputDecoder({ protoVersion: 1 }).decode(
      new Wire("B").u64(1n).i64(pg).u32(1).build(),
    );
    expect(decoded).toMatchObject({ commitTimeMicros: pg + PG_EPOCH_OFFSET_MICROS, commitTimeMs: ms });
    expect(unixMicrosToMs(pg + PG_EPOCH_OFFSET_MICROS)).toBe(ms);
  });
});
