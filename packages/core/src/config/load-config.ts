import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { TributaryError } from "../errors/TributaryError.js";
import { applyOverrides, ENV_PREFIX, type EnvOverride, readEnvOverrides } from "./env-overrides.js";

export interface LoadConfigOptions {
  /** YAML or JSON file; optional when the environment supplies everything. */
  file?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Reads a connector's config from a file plus `TRIBUTARY_…` environment overrides and validates
 * it, before any connection is opened. Every problem is reported at once, each naming the
 * field, the value found (secrets hidden) and what was expected.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions = {}): z.output<S> {
  const raw = options.file === undefined ? {} : readConfigFile(options.file);
  const { overrides, problems } = readEnvOverrides(schema, options.env ?? process.env);
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p.variable}: ${p.message}`);
    throw new TributaryError(
      "TRB_CFG_INVALID",
      `invalid environment override:\n${lines.join("\n")}\n` +
        `Environment overrides are ${ENV_PREFIX}<FIELD>[__<FIELD>…], e.g. ${ENV_PREFIX}KAFKA__BROKERS=127.0.0.1:9092`,
    );
  }
  applyOverrides(raw, overrides);
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `  - ${describeIssue(issue, raw, overrides, options.file)}`,
  );
  throw new TributaryError("TRB_CFG_INVALID", `invalid configuration:\n${lines.join("\n")}`, {
    details: { file: options.file },
  });
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new TributaryError("TRB_CFG_FILE", `cannot read config file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const isJson = extname(file).toLowerCase() === ".json";
  if (isJson) {
    try {
      return asObject(JSON.parse(text) as unknown, file);
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      throw new TributaryError(
        "TRB_CFG_FILE",
        `config file ${file} is not valid JSON: ${(error as Error).message}`,
      );
    }
  }
  const document = parseDocument(text, { prettyErrors: true });
  const firstError = document.errors[0];
  if (firstError) {
    throw new TributaryError("TRB_CFG_FILE", `config file ${file} is not valid YAML: ${firstError.message}`);
  }
  return asObject(document.toJS() as unknown, file);
}

function asObject(value: unknown, file: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TributaryError(
      "TRB_CFG_FILE",
      `config file ${file} must hold a mapping of fields, not ${typeName(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

const SECRET_FIELD = /pass(word)?|secret|token|credential/i;

function describeIssue(
  issue: z.core.$ZodIssue,
  raw: Record<string, unknown>,
  overrides: EnvOverride[],
  file: string | undefined,
): string {
  const path = issue.path.map(String);
  const field = path.length === 0 ? "(top level)" : path.join(".");
  const found = valueAt(raw, path);
  const secret = path.some((segment) => SECRET_FIELD.test(segment));
  const shown = found === undefined ? "missing" : secret ? "(hidden)" : `${JSON.stringify(found)}`;
  const override = overrides.find((o) => o.path.join(".") === path.join("."));
  const origin = override
    ? ` (from ${override.variable})`
    : file && found !== undefined
      ? ` (in ${file})`
      : "";
  return `${field}: ${issue.message}; found ${shown}${origin}`;
}

function valueAt(root: unknown, path: string[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? "a list" : `a ${typeof value}`;
}
