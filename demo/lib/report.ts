/** The demo's closing report (pure): the per-table comparison and the commands to explore further. */
import { isEqual, type TableComparison } from "./compare.js";
import type { DemoRun } from "./demo-configs.js";

function verdict(table: TableComparison): string {
  if (table.targetMissing) return "MISSING on the target";
  if (isEqual(table)) return "equal";
  const parts = [
    table.missing > 0 ? `${table.missing} missing` : "",
    table.extra > 0 ? `${table.extra} extra` : "",
    table.different > 0 ? `${table.different} different` : "",
  ].filter((part) => part !== "");
  return `DIFFERS: ${parts.join(", ")}${table.examples.length > 0 ? ` (e.g. ${table.examples.join("; ")})` : ""}`;
}

export function comparisonTable(tables: readonly TableComparison[]): string {
  const rows = [
    ["table", "source rows", "target rows", "result"],
    ...tables.map((table) => [
      table.table,
      String(table.sourceRows),
      String(table.targetRows),
      verdict(table),
    ]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows
    .map((row) =>
      [
        (row[0] ?? "").padEnd(widths[0] ?? 0),
        (row[1] ?? "").padStart(widths[1] ?? 0),
        (row[2] ?? "").padStart(widths[2] ?? 0),
        row[3] ?? "",
      ].join("  "),
    )
    .join("\n");
}

export function exploreCommands(input: {
  run: Pick<DemoRun, "name" | "database" | "targetPort">;
  sinkName: string;
  files: { sourceConfig: string; sinkConfig: string; sourceLog: string; sinkLog: string };
  tables: readonly string[];
}): string {
  const { run, files } = input;
  const topic = `${run.name}.shop.${input.tables.includes("orders") ? "orders" : (input.tables[0] ?? "")}`;
  return [
    "Explore further:",
    `  npx tributary tail ${topic} --from-beginning --max 5    # the change events, decoded`,
    `  npx tributary status --config ${files.sourceConfig}    # the slot, WAL retained, the publication`,
    `  npx tributary status --config ${files.sinkConfig}      # consumer group ${input.sinkName}: lag per partition`,
    `  npx tributary source --config ${files.sourceConfig}    # run them again yourself (two terminals)`,
    `  npx tributary sink   --config ${files.sinkConfig}`,
    `  psql -h 127.0.0.1 -p ${run.targetPort} -U postgres ${run.database}    # the replica`,
    `  logs: ${files.sourceLog}, ${files.sinkLog}`,
    `  clean up: npx tributary release --config ${files.sourceConfig}   (the slot keeps WAL until released; the next npm run demo releases it too)`,
  ].join("\n");
}
