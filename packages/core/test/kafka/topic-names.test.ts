import { describe, expect, it } from "vitest";
import { internalTopic, splitIntoRequests, tableTopic, topicPrefixOf } from "../../src/index.js";

describe("topic names", () => {
  it.each([
    ["shop", "public", "orders", "shop.public.orders"],
    ["dc1.shop", "sales", "order lines", "dc1.shop.sales.order_lines"],
    ["shop", "app", "Zähler", "shop.app.Z_hler"],
  ])("%s / %s.%s → %s", (prefix, namespace, table, topic) => {
    expect(tableTopic(prefix, namespace, table)).toBe(topic);
  });

  it("names internal topics", () => {
    expect(internalTopic("shop", "schemas")).toBe("shop._schemas");
    expect(internalTopic("shop", "schema_changes")).toBe("shop._schema_changes");
  });

  it.each([
    ["shop.public.orders", "shop"],
    ["dc1.shop.public.orders", "dc1.shop"],
    ["shop._schema_changes", "shop"],
    ["dc1.shop._heartbeat", "dc1.shop"],
  ])("prefix of %s is %s", (topic, prefix) => {
    expect(topicPrefixOf(topic)).toBe(prefix);
  });

  it("refuses topics without a prefix", () => {
    expect(() => topicPrefixOf("orders")).toThrow(/cannot tell the topic prefix/);
    expect(() => tableTopic("p", "s", "t".repeat(300))).toThrow(/exceeds Kafka's 249/);
  });
});

describe("splitIntoRequests", () => {
  const record = (bytes: number) => ({ topic: "t", key: null, value: Buffer.alloc(bytes) });
  it("keeps order and respects byte and count limits, sending an oversized record alone", () => {
    const records = [record(400), record(400), record(400), record(5000), record(10), record(10), record(10)];
    const requests = splitIntoRequests(records, 1000, 2);
    expect(requests.map((r) => r.map((x) => x.value?.length))).toEqual([
      [400, 400],
      [400],
      [5000],
      [10, 10],
      [10],
    ]);
    expect(requests.flat()).toEqual(records);
  });
});
