/**
 * Row filters: CEL expressions (Common Expression Language, https://cel.dev) evaluated by
 * @marcbachmann/cel-js, an interpreter (no `eval`, no `new Function`) of a language with no
 * loops, no side effects and no access to anything but the variables given:
 *
 * - `row`: the row image (a map from source column name to value, see cel-row.ts);
 * - `op`: the operation, `c` insert, `u` update, `d` delete, `r` snapshot read.
 *
 * An expression is parsed and type-checked once, at startup; it must give a bool.
 */
import { Environment, type ParseResult } from "@marcbachmann/cel-js";
import type { CelRow } from "./cel-row.js";

const environment = new Environment({
  unlistedVariablesAreDyn: false,
  limits: {
    maxAstNodes: 2_000,
    maxDepth: 64,
    maxListElements: 1_000,
    maxMapEntries: 1_000,
    maxCallArguments: 32,
  },
})
  .registerVariable("row", "map", { description: "The row image: source column name → value" })
  .registerVariable("op", "string", { description: "c insert, u update, d delete, r snapshot read" });

export interface RowExpression {
  readonly text: string;
  /** True when the row passes; throws RowExpressionFailed when the expression cannot be evaluated on it. */
  matches(row: CelRow, op: string): boolean;
}

/** An expression that does not parse or type-check; `reason` says where and why. */
export class RowExpressionInvalid extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The expression failed on one row (a type mismatch, a missing column, a result that is not a bool). */
export class RowExpressionFailed extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Parses and type-checks `text`; throws RowExpressionInvalid. */
export function compileRowExpression(text: string): RowExpression {
  let parsed: ParseResult;
  try {
    parsed = environment.parse(text);
  } catch (error) {
    throw new RowExpressionInvalid(`does not parse: ${(error as Error).message}`);
  }
  const checked = parsed.check();
  if (!checked.valid) {
    throw new RowExpressionInvalid(
      `does not type-check: ${checked.error?.message ?? "unknown error"} (the variables are row and op)`,
    );
  }
  if (checked.type !== "bool" && checked.type !== "dyn") {
    throw new RowExpressionInvalid(
      `gives a value of type ${checked.type}, expected a bool (true keeps the row)`,
    );
  }
  return {
    text,
    matches(row, op) {
      let result: unknown;
      try {
        result = parsed({ row, op });
      } catch (error) {
        // The first line names the failure; the rest is a picture of the expression.
        throw new RowExpressionFailed((error as Error).message.split("\n")[0] ?? String(error));
      }
      if (typeof result !== "boolean") {
        throw new RowExpressionFailed(`the expression gave ${describe(result)} instead of a bool`);
      }
      return result;
    },
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return "bytes";
  if (value instanceof Date) return "a timestamp";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "bigint":
      return "an int";
    case "number":
      return "a double";
    default:
      return `a ${typeof value}`;
  }
}
