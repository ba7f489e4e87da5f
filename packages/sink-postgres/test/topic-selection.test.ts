import { describe, expect, it } from "vitest";
import { isInternalTopic, selectTopics } from "../src/topic-selection.js";

const EXISTING = [
  "shop.public.orders",
  "shop.public.lines",
  "shop._schemas",
  "shop._offsets",
  "shop._heartbeat",
  "shop._schema_changes",
  "shop.other.things",
  "eu.shop.public.orders",
  "__consumer_offsets",
];

describe("selectTopics", () => {
  it("takes the existing topics a pattern matches, never an internal one", () => {
    expect(selectTopics(EXISTING, { pattern: "^shop\\..*" })).toEqual({
      selected: ["shop.other.things", "shop.public.lines", "shop.public.orders"],
      missing: [],
    });
    expect(selectTopics(EXISTING, { pattern: "orders$" }).selected).toEqual([
      "eu.shop.public.orders",
      "shop.public.orders",
    ]);
    expect(selectTopics(EXISTING, { pattern: ".*" }).selected).not.toContain("__consumer_offsets");
  });

  it("takes named topics, reporting the ones missing", () => {
    expect(
      selectTopics(EXISTING, { names: ["shop.public.orders", "shop.public.gone", "shop.public.orders"] }),
    ).toEqual({
      selected: ["shop.public.orders"],
      missing: ["shop.public.gone"],
    });
  });

  it.each([
    ["shop._schemas", true],
    ["a.b._dlq", true],
    ["__consumer_offsets", true],
    ["shop.public._private", true],
    ["shop.public.orders", false],
    ["shop.public.my_table", false],
  ])("%s is internal: %s", (topic, internal) => {
    expect(isInternalTopic(topic)).toBe(internal);
  });
});
