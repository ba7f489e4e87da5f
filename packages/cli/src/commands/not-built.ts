import { TributaryError } from "@tributary/core";
import type { Command } from "commander";

/** The subcommands of DESIGN.md section 7 whose connectors have not landed yet. */
const PLANNED = [
  { name: "verify", summary: "compare source and target tables", arrivesWith: "the sink connectors" },
  {
    name: "sequences",
    summary: "copy sequence values to the target before cut-over",
    arrivesWith: "the sink connectors",
  },
] as const;

export function registerNotBuiltCommands(program: Command): void {
  for (const { name, summary, arrivesWith } of PLANNED) {
    program
      .command(name)
      .description(`${summary} (not built yet)`)
      .requiredOption("--config <file>", "connector config file (YAML or JSON)")
      .allowUnknownOption()
      .action(() => {
        throw new TributaryError(
          "TRB_NOT_IMPLEMENTED",
          `'tributary ${name}' is not built yet; it arrives with ${arrivesWith}`,
        );
      });
  }
}
