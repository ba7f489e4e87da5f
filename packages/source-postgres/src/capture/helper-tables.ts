/** The helper tables the source reads specially and never publishes as table events. */
export type HelperTableKind = "heartbeat" | "ddl" | "origin_marker";

export const HELPER_TABLES: Readonly<Record<HelperTableKind, string>> = {
  heartbeat: "tributary_heartbeat",
  ddl: "tributary_ddl",
  origin_marker: "tributary_origin_marker",
};

export function helperTableKind(
  helperSchema: string,
  schema: string,
  table: string,
): HelperTableKind | undefined {
  if (schema !== helperSchema) return undefined;
  for (const [kind, name] of Object.entries(HELPER_TABLES) as [HelperTableKind, string][]) {
    if (name === table) return kind;
  }
  return undefined;
}
