import { describe, expect, it } from "vitest";
import { formatBytes, formatStatus, statusJson, textTable } from "../src/status/format-status.js";
import { partitionLags, type SinkStatus } from "../src/status/sink-status.js";
import type { SourceStatus } from "../src/status/source-status.js";

describe("status: sink lag per partition", () => {
  const ranges = new Map([
    [
      "shop.public.orders",
      new Map([
        [1, { low: 0n, high: 40n }],
        [0, { low: 0n, high: 100n }],
      ]),
    ],
    ["shop.public.users", new Map([[0, { low: 5n, high: 9n }]])],
  ]);

  it("is the end offset minus the offset the target recorded, or minus the earliest offset when none is", () => {
    const lags = partitionLags(
      ranges,
      [
        { topic: "shop.public.orders", partition: 0, nextOffset: 97n },
        { topic: "shop.public.orders", partition: 1, nextOffset: 40n },
      ],
      new Map([["shop.public.orders", new Map([[0, 95n]])]]),
    );
    expect(lags).toEqual([
      {
        topic: "shop.public.orders",
        partition: 0,
        endOffset: 100n,
        recordedOffset: 97n,
        committedOffset: 95n,
        lag: 3n,
      },
      {
        topic: "shop.public.orders",
        partition: 1,
        endOffset: 40n,
        recordedOffset: 40n,
        committedOffset: null,
        lag: 0n,
      },
      {
        topic: "shop.public.users",
        partition: 0,
        endOffset: 9n,
        recordedOffset: null,
        committedOffset: null,
        lag: 4n,
      },
    ]);
  });

  it("is never negative when a topic was re-created with lower offsets than the target recorded", () => {
    const lags = partitionLags(
      ranges,
      [{ topic: "shop.public.users", partition: 0, nextOffset: 50n }],
      new Map(),
    );
    expect(lags.find((row) => row.topic === "shop.public.users")?.lag).toBe(0n);
  });
});

describe("status: output", () => {
  const sink: SinkStatus = {
    kind: "sink",
    connector: "postgres-sink",
    name: "replica",
    target: "127.0.0.1:5433/shop",
    lastAppliedAt: "2025-01-01T00:00:00.000Z",
    partitions: [
      {
        topic: "shop.public.orders",
        partition: 0,
        endOffset: 100n,
        recordedOffset: 97n,
        committedOffset: null,
        lag: 3n,
      },
    ],
    totalLag: 3n,
    missingTopics: ["shop.public.gone"],
  };
  const source: SourceStatus = {
    kind: "source",
    connector: "postgres-source",
    name: "shop",
    server: "127.0.0.1:5432/shop",
    currentLsn: "0/3000000",
    slot: {
      name: "tributary_shop",
      exists: true,
      active: false,
      activePid: null,
      walStatus: "reserved",
      restartLsn: "0/1000000",
      confirmedLsn: "0/2000000",
      retainedBytes: 33554432n,
      unconfirmedBytes: 16777216n,
    },
    publication: { name: "tributary_shop", exists: true, allTables: false, tables: ["public.orders"] },
  };

  it("prints a sink's partitions as a table with the total lag and the time since the last apply", () => {
    expect(formatStatus(sink, new Date("2025-01-01T00:00:05Z"))).toBe(
      [
        "sink replica (postgres-sink) into 127.0.0.1:5433/shop",
        "last applied batch: 2025-01-01T00:00:00.000Z (5 s ago)",
        "topic               partition  end  target  committed  lag",
        "shop.public.orders  0          100  97      -          3",
        "total lag: 3 record(s) (end offset − offset recorded in the target)",
        "missing topics: shop.public.gone",
        "",
      ].join("\n"),
    );
  });

  it("prints a source's slot with the WAL it retains, and its publication", () => {
    const text = formatStatus(source);
    expect(text).toContain("slot tributary_shop: inactive (no connector holds it), wal_status reserved");
    expect(text).toMatch(/^ {2}restart\s+0\/1000000\s+32\.0 MiB$/m);
    expect(text).toContain("WAL retained for the slot: 32.0 MiB");
    expect(text).toContain("publication tributary_shop: 1 table(s)\n  public.orders\n");
    expect(formatStatus({ ...source, slot: { ...source.slot, exists: false } })).toContain(
      "slot tributary_shop: absent",
    );
  });

  it("gives JSON with exact numbers", () => {
    expect(statusJson(sink)).toMatchObject({
      totalLag: 3,
      partitions: [{ endOffset: 100, committedOffset: null }],
    });
  });

  it("formats bytes and aligns columns", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5n * 1024n ** 3n)).toBe("5.0 GiB");
    expect(
      textTable([
        ["a", "bb"],
        ["ccc", "d"],
      ]),
    ).toBe("a    bb\nccc  d");
  });
});
