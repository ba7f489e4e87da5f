import { releaseSource } from "@tributary/source-postgres";
import { loadSourceConfig } from "../connector-config.js";

/** `tributary release --config FILE [--force]`: drops what the source created and says what. */
export async function runRelease(file: string | undefined, force: boolean): Promise<void> {
  const { config } = loadSourceConfig(file);
  const report = await releaseSource(config, { force });
  for (const line of report.lines) process.stdout.write(`${line}\n`);
}
