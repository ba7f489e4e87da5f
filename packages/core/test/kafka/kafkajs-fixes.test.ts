import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { groupMessagesPerPartition } from "../../src/kafka/kafkajs-fixes.js";

describe("kafkajs grouping fix", () => {
  it("groups messages per partition keeping their order", () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ id: i }));
    const grouped = groupMessagesPerPartition({
      topic: "t",
      partitionMetadata: [{}, {}, {}],
      messages,
      partitioner: ({ message }) => message.id % 3,
    });
    expect(grouped).toEqual({
      0: [{ id: 0 }, { id: 3 }, { id: 6 }, { id: 9 }],
      1: [{ id: 1 }, { id: 4 }, { id: 7 }],
      2: [{ id: 2 }, { id: 5 }, { id: 8 }],
    });
    expect(
      groupMessagesPerPartition({ topic: "t", partitionMetadata: [], messages, partitioner: () => 0 }),
    ).toEqual({});
  });

  it("is the module kafkajs's producer loads", () => {
    const require = createRequire(import.meta.url);
    const loaded = require(require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js")) as unknown;
    expect(loaded).toBe(groupMessagesPerPartition);
  });
});
