/**
 * The config reference (docs/config-reference.md), generated from the connectors' zod schemas
 * through zod's JSON-schema export: one table per connector, one row per field path, with its
 * type, default, allowed values and description.
 */
import { postgresSinkConfigSchema } from "@tributary/sink-postgres";
import { postgresSourceConfigSchema } from "@tributary/source-postgres";
import { z } from "zod";

/** The subset of JSON Schema that zod's export produces for our config schemas. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
}

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  defaultValue: string;
  allowed: string;
  description: string;
}

export interface ConfigSection {
  title: string;
  intro: string;
  schema: z.ZodType;
}

export const CONFIG_SECTIONS: readonly ConfigSection[] = [
  {
    title: "PostgreSQL source (`connector: postgres-source`)",
    intro:
      "Run with `tributary source --config FILE`; annotated example: [`examples/source.yaml`](../examples/source.yaml).",
    schema: postgresSourceConfigSchema,
  },
  {
    title: "PostgreSQL-family sinks (`connector: postgres-sink`, `polardb-sink`, `analyticdb-sink`)",
    intro:
      "Run with `tributary sink --config FILE`; annotated example: [`examples/sink.yaml`](../examples/sink.yaml).",
    schema: postgresSinkConfigSchema,
  },
];

/** JSON Schema of a config's input (what a file may say), transforms and refinements left out. */
export function inputJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function typeOf(schema: JsonSchema): string {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return [...new Set(options.map(typeOf))].join(" or ");
  if (schema.const !== undefined) return typeof schema.const === "number" ? "number" : "string";
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : (schema.type ?? "any");
  if (type === "array") return `list of ${schema.items ? typeOf(schema.items) : "any"}`;
  if (type === "object" && !schema.properties && typeof schema.additionalProperties === "object") {
    return `map of string to ${typeOf(schema.additionalProperties)}`;
  }
  return type;
}

function code(value: unknown): string {
  return `\`${typeof value === "string" && value !== "" ? value : JSON.stringify(value)}\``;
}

function allowedOf(schema: JsonSchema): string {
  const options = schema.anyOf ?? schema.oneOf;
  if (options)
    return options
      .map(allowedOf)
      .filter((text) => text !== "")
      .join(", ");
  if (schema.const !== undefined) return code(schema.const);
  if (schema.enum) return schema.enum.map(code).join(", ");
  const parts: string[] = [];
  const low =
    schema.minimum ?? (schema.exclusiveMinimum === undefined ? undefined : `> ${schema.exclusiveMinimum}`);
  const high = schema.maximum !== undefined && schema.maximum < MAX_SAFE ? schema.maximum : undefined;
  if (low !== undefined && high !== undefined) parts.push(`${low} to ${high}`);
  else if (typeof low === "string") parts.push(low);
  else if (low !== undefined) parts.push(`≥ ${low}`);
  else if (high !== undefined) parts.push(`≤ ${high}`);
  if (schema.minLength !== undefined && schema.minLength > 1)
    parts.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.minItems !== undefined && schema.minItems > 0) parts.push(`at least ${schema.minItems} item(s)`);
  if (schema.pattern !== undefined) parts.push(`matches ${code(schema.pattern)}`);
  if (schema.type === "array" && schema.items) {
    const items = allowedOf(schema.items);
    if (items !== "") parts.push(`each ${items}`);
  }
  return parts.join("; ");
}

function defaultOf(schema: JsonSchema): string {
  if (schema.default === undefined) return "";
  const isEmptyObject =
    typeof schema.default === "object" && schema.default !== null && Object.keys(schema.default).length === 0;
  return isEmptyObject && !Array.isArray(schema.default) && schema.properties
    ? "(its fields' defaults)"
    : code(schema.default);
}

/** Every field path of an object schema, depth first, parents before their fields. */
export function fieldRows(schema: JsonSchema, prefix = ""): FieldRow[] {
  const rows: FieldRow[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = prefix === "" ? name : `${prefix}.${name}`;
    rows.push({
      path,
      type: typeOf(field),
      required: required.has(name),
      defaultValue: defaultOf(field),
      allowed: allowedOf(field),
      description: field.description ?? "",
    });
    if (field.properties) rows.push(...fieldRows(field, path));
    // A map whose values are objects: their fields, under a placeholder key.
    const values = field.additionalProperties;
    if (!field.properties && typeof values === "object" && values.properties) {
      rows.push(...fieldRows(values, `${path}.<key>`));
    }
  }
  return rows;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function markdownTable(rows: readonly FieldRow[]): string {
  const lines = [
    "| field | type | required | default | allowed values | description |",
    "|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    lines.push(
      `| \`${row.path}\` | ${cell(row.type)} | ${row.required ? "yes" : ""} | ${cell(row.defaultValue)} | ` +
        `${cell(row.allowed)} | ${cell(row.description)} |`,
    );
  }
  return lines.join("\n");
}

export function renderConfigReference(sections: readonly ConfigSection[] = CONFIG_SECTIONS): string {
  const parts = [
    "# Configuration reference",
    "",
    "<!-- Generated by `npm run docs:config` from the connectors' zod schemas; do not edit by hand. -->",
    "",
    "One YAML or JSON file per connector. Every field can also be set from the environment:",
    "`TRIBUTARY_` and the field path, segments joined by a double underscore",
    "(`kafka.brokers` → `TRIBUTARY_KAFKA__BROKERS=a:9092,b:9092`). A field is required only where",
    'the table says so; an object field with a default of "(its fields\' defaults)" may be left out.',
    "",
  ];
  for (const section of sections) {
    parts.push(
      `## ${section.title}`,
      "",
      section.intro,
      "",
      markdownTable(fieldRows(inputJsonSchema(section.schema))),
      "",
    );
  }
  return parts.join("\n");
}
