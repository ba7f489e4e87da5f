import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { fieldsOf, kindOf, recordValueOf } from "./schema-walk.js";

export const ENV_PREFIX = "TRIBUTARY_";
/** Variables with the prefix that are not config fields. */
const RESERVED = new Set(["TRIBUTARY_CONFIG"]);

export interface EnvOverride {
  variable: string;
  path: string[];
  value: unknown;
}

export interface EnvOverrideProblem {
  variable: string;
  message: string;
}

function normalize(name: string): string {
  return name.replaceAll("_", "").toLowerCase();
}

/**
 * Turns `TRIBUTARY_KAFKA__BROKERS=a:9092,b:9092` into the path `kafka.brokers` and a value of
 * the type that field expects. Segments are separated by a double underscore and matched to
 * the schema's own field names ignoring case and single underscores (`TOPIC_PREFIX` →
 * `topicPrefix`). Values are read as YAML scalars or flow collections; a list field also takes
 * a comma-separated string.
 */
export function readEnvOverrides(
  schema: z.core.$ZodType,
  env: Record<string, string | undefined>,
): { overrides: EnvOverride[]; problems: EnvOverrideProblem[] } {
  const overrides: EnvOverride[] = [];
  const problems: EnvOverrideProblem[] = [];
  const variables = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !RESERVED.has(name))
    .sort();
  for (const variable of variables) {
    const raw = env[variable] ?? "";
    const segments = variable.slice(ENV_PREFIX.length).split("__");
    let current: z.core.$ZodType | undefined = schema;
    const path: string[] = [];
    let problem: string | undefined;
    for (const segment of segments) {
      const fields: Map<string, z.core.$ZodType> = current ? fieldsOf(current) : new Map();
      const match = [...fields.keys()].find((name) => normalize(name) === normalize(segment));
      if (match !== undefined) {
        path.push(match);
        current = fields.get(match);
        continue;
      }
      const mapValue = current ? recordValueOf(current) : undefined;
      if (mapValue !== undefined) {
        path.push(segment.toLowerCase());
        current = mapValue;
        continue;
      }
      const where = path.length === 0 ? "the top level" : `'${path.join(".")}'`;
      const known = [...fields.keys()].sort().join(", ");
      problem = `no field matches '${segment}' at ${where}${known ? `; fields there: ${known}` : ""}`;
      break;
    }
    if (problem !== undefined) {
      problems.push({ variable, message: problem });
      continue;
    }
    try {
      overrides.push({ variable, path, value: parseValue(raw, current ? kindOf(current) : "unknown") });
    } catch (error) {
      problems.push({ variable, message: `cannot read '${raw}': ${(error as Error).message}` });
    }
  }
  return { overrides, problems };
}

function parseValue(raw: string, kind: string): unknown {
  const trimmed = raw.trim();
  if (kind === "string" || kind === "enum" || kind === "literal") return raw;
  if (kind === "array" && !trimmed.startsWith("[")) {
    return trimmed === "" ? [] : trimmed.split(",").map((item) => parseYaml(item.trim()) as unknown);
  }
  return parseYaml(raw) as unknown;
}

export function applyOverrides(target: Record<string, unknown>, overrides: EnvOverride[]): void {
  for (const { path, value } of overrides) {
    let node: Record<string, unknown> = target;
    path.slice(0, -1).forEach((segment) => {
      const next = node[segment];
      if (next === null || typeof next !== "object" || Array.isArray(next)) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    });
    const last = path.at(-1);
    if (last !== undefined) node[last] = value;
  }
}
