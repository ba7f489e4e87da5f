import { parseArgs } from "node:util";

/**
 * The `--name N` options of a benchmark script, each a positive integer with a default; on any
 * other value, prints `usage` and exits 2.
 */
export function countOptions<Name extends string>(
  defaults: Record<Name, number>,
  usage: string,
): Record<Name, number> {
  const names = Object.keys(defaults) as Name[];
  const { values } = parseArgs({
    options: Object.fromEntries(
      names.map((name) => [name, { type: "string", default: String(defaults[name]) }]),
    ),
  });
  const counts = Object.fromEntries(names.map((name) => [name, Number(values[name])])) as Record<
    Name,
    number
  >;
  if (!names.every((name) => Number.isInteger(counts[name]) && counts[name] > 0)) {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(2);
  }
  return counts;
}
