import { describe, expect, it } from "vitest";
import { isBuiltinType, type ParsedSourceType, parseSourceType } from "../src/source-type.js";

describe("parseSourceType", () => {
  it.each<[string, ParsedSourceType]>([
    ["integer", { element: "integer", dimensions: 0, userType: null }],
    ["integer[]", { element: "integer", dimensions: 1, userType: null }],
    ["numeric(12,2)[][]", { element: "numeric(12,2)", dimensions: 2, userType: null }],
    ["character varying(20)", { element: "character varying(20)", dimensions: 0, userType: null }],
    [
      "timestamp(3) with time zone[]",
      { element: "timestamp(3) with time zone", dimensions: 1, userType: null },
    ],
    ["double precision", { element: "double precision", dimensions: 0, userType: null }],
    ['"char"', { element: '"char"', dimensions: 0, userType: null }],
    ['"bit"[]', { element: '"bit"', dimensions: 1, userType: null }],
    ["interval day to second(3)", { element: "interval day to second(3)", dimensions: 0, userType: null }],
    [
      "public.mood",
      { element: "public.mood", dimensions: 0, userType: { schema: "public", name: "mood", modifier: "" } },
    ],
    [
      "public.mood[]",
      { element: "public.mood", dimensions: 1, userType: { schema: "public", name: "mood", modifier: "" } },
    ],
    [
      'public."Mood"',
      { element: 'public."Mood"', dimensions: 0, userType: { schema: "public", name: "Mood", modifier: "" } },
    ],
    [
      '"my schema"."a""b"[]',
      {
        element: '"my schema"."a""b"',
        dimensions: 1,
        userType: { schema: "my schema", name: 'a"b', modifier: "" },
      },
    ],
    [
      "public.geometry(Point,4326)",
      {
        element: "public.geometry(Point,4326)",
        dimensions: 0,
        userType: { schema: "public", name: "geometry", modifier: "(Point,4326)" },
      },
    ],
    [
      "ext.citext",
      { element: "ext.citext", dimensions: 0, userType: { schema: "ext", name: "citext", modifier: "" } },
    ],
    [
      "schéma.týpe",
      { element: "schéma.týpe", dimensions: 0, userType: { schema: "schéma", name: "týpe", modifier: "" } },
    ],
  ])("%s", (text, parsed) => {
    expect(parseSourceType(text)).toEqual(parsed);
  });

  it.each([
    ["integer", true],
    ["numeric(12,2)", true],
    ["timestamp with time zone", true],
    ['"char"', true],
    ["public.mood", false],
    ["public.price[]", false],
  ])("isBuiltinType(%j) = %s", (text, builtin) => {
    expect(isBuiltinType(text)).toBe(builtin);
  });
});
