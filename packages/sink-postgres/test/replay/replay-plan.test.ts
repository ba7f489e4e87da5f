import { describe, expect, it } from "vitest";
import {
  describeReplayPlan,
  type PartitionFacts,
  planReplay,
  type ReplayFacts,
} from "../../src/replay/replay-plan.js";

const partition = (overrides: Partial<PartitionFacts> = {}): PartitionFacts => ({
  topic: "shop.public.orders",
  partition: 0,
  low: 0n,
  high: 100n,
  atTime: null,
  recorded: 100n,
  ...overrides,
});

const facts = (overrides: Partial<ReplayFacts> = {}): ReplayFacts => ({
  sink: "replica",
  fromTimeMs: null,
  autoCreate: true,
  partitions: [partition(), partition({ topic: "shop.public.log", recorded: null, high: 7n })],
  tables: [
    { name: '"public"."orders"', exists: true, keyless: false },
    { name: '"public"."log"', exists: false, keyless: true },
  ],
  ...overrides,
});

describe("planReplay: rebuild", () => {
  it("truncates the existing tables, leaves missing ones to autoCreate and starts every partition at its start", () => {
    const plan = planReplay(facts());
    expect(plan).toEqual({
      mode: "rebuild",
      truncate: ['"public"."orders"'],
      create: ['"public"."log"'],
      partitions: [
        { topic: "shop.public.orders", partition: 0, from: 0n, to: 100n },
        { topic: "shop.public.log", partition: 0, from: 0n, to: 7n },
      ],
      problems: [],
      warnings: [],
    });
  });

  it("warns when retention already removed a partition's first events", () => {
    const plan = planReplay(facts({ partitions: [partition({ low: 40n })] }));
    expect(plan.partitions[0]).toMatchObject({ from: 40n, to: 100n });
    expect(plan.warnings).toEqual([
      expect.stringContaining("shop.public.orders[0] no longer hold their first events"),
    ]);
  });

  it("cannot replay into a missing table without autoCreate", () => {
    expect(planReplay(facts({ autoCreate: false })).problems).toEqual([
      'target table(s) "public"."log" do not exist and autoCreate is false; create them, or set autoCreate: true',
    ]);
  });
});

describe("planReplay: from a time", () => {
  const at = Date.parse("2024-05-01T12:00:00Z");

  it("truncates nothing and starts at the time's offset, never after what the target recorded", () => {
    const plan = planReplay(
      facts({
        fromTimeMs: at,
        partitions: [
          partition({ atTime: 60n, recorded: 100n }),
          partition({ partition: 1, atTime: 60n, recorded: 20n }),
          partition({ partition: 2, atTime: 60n, recorded: null }),
        ],
      }),
    );
    expect(plan.mode).toBe("from-time");
    expect(plan.truncate).toEqual([]);
    expect(plan.partitions.map((p) => p.from)).toEqual([60n, 20n, 60n]);
  });

  it("warns that a table without a key gets re-applied inserts twice", () => {
    expect(planReplay(facts({ fromTimeMs: at })).warnings).toEqual([
      expect.stringContaining(
        '"public"."log" have no key: inserts applied again from the time add duplicate rows',
      ),
    ]);
  });
});

describe("describeReplayPlan", () => {
  it("names the tables, the offsets and what happens to them", () => {
    const f = facts();
    expect(describeReplayPlan(planReplay(f), f)).toEqual([
      "Replay of sink replica: rebuild the target from the start of its topics.",
      'Truncate (keeps each table\'s definition, indexes and grants): "public"."orders"',
      'Create when their first event arrives (autoCreate): "public"."log"',
      "Delete the sink's rows in tributary_offsets and reset consumer group replica to the start:",
      "  shop.public.orders[0]: offsets 0 to 100 (100 events)",
      "  shop.public.log[0]: offsets 0 to 7 (7 events)",
    ]);
  });
});
