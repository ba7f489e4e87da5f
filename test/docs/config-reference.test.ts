import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldRows, inputJsonSchema, renderConfigReference } from "../../scripts/config-reference/render.js";

const committed = fileURLToPath(new URL("../../docs/config-reference.md", import.meta.url));

describe("config reference (docs/config-reference.md)", () => {
  it("is what npm run docs:config generates from the zod schemas now", () => {
    const onDisk = readFileSync(committed, "utf8");
    if (onDisk !== renderConfigReference()) {
      expect.fail(
        "docs/config-reference.md is out of date with the config schemas: run `npm run docs:config`",
      );
    }
  });

  it("lists nested field paths with type, requirement, default, allowed values and description", () => {
    const schema = z.object({
      name: z
        .string()
        .regex(/^[a-z|]+$/)
        .describe("The name"),
      port: z.number().int().min(1).max(65535).default(5432).describe("Port"),
      mode: z.enum(["a", "b"]).default("a").describe("Mode"),
      nested: z
        .object({ items: z.array(z.string()).min(1).default(["x"]).describe("Items") })
        .prefault({})
        .describe("Group"),
      renames: z.record(z.string(), z.string()).optional().describe("Map"),
      perTable: z
        .record(z.string(), z.object({ keep: z.boolean().default(true).describe("Keep") }))
        .default({})
        .describe("Per table"),
      version: z
        .union([z.literal("auto"), z.literal(1)])
        .default("auto")
        .describe("Version"),
    });
    expect(fieldRows(inputJsonSchema(schema))).toEqual([
      {
        path: "name",
        type: "string",
        required: true,
        defaultValue: "",
        allowed: "matches `^[a-z|]+$`",
        description: "The name",
      },
      {
        path: "port",
        type: "integer",
        required: false,
        defaultValue: "`5432`",
        allowed: "1 to 65535",
        description: "Port",
      },
      {
        path: "mode",
        type: "string",
        required: false,
        defaultValue: "`a`",
        allowed: "`a`, `b`",
        description: "Mode",
      },
      {
        path: "nested",
        type: "object",
        required: false,
        defaultValue: "(its fields' defaults)",
        allowed: "",
        description: "Group",
      },
      {
        path: "nested.items",
        type: "list of string",
        required: false,
        defaultValue: '`["x"]`',
        allowed: "at least 1 item(s)",
        description: "Items",
      },
      {
        path: "renames",
        type: "map of string to string",
        required: false,
        defaultValue: "",
        allowed: "",
        description: "Map",
      },
      {
        path: "perTable",
        type: "map of string to object",
        required: false,
        defaultValue: "`{}`",
        allowed: "",
        description: "Per table",
      },
      {
        path: "perTable.<key>.keep",
        type: "boolean",
        required: false,
        defaultValue: "`true`",
        allowed: "",
        description: "Keep",
      },
      {
        path: "version",
        type: "string or number",
        required: false,
        defaultValue: "`auto`",
        allowed: "`auto`, `1`",
        description: "Version",
      },
    ]);
  });

  it("escapes the table separator inside cells", () => {
    expect(renderConfigReference()).toContain("(kB\\|MB\\|GB)");
  });
});
