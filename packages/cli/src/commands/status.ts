import { loadAnyConfig } from "../connector-config.js";
import { type ConnectorStatus, formatStatus, statusJson } from "../status/format-status.js";
import { readSinkStatus } from "../status/sink-status.js";
import { readSourceStatus } from "../status/source-status.js";

/**
 * `tributary status --config FILE [--json]`: a source's slot and publication, or a sink's lag
 * per topic partition. Fails (exit 1) on an invalid config or an unreachable server.
 */
export async function runStatus(file: string | undefined, json: boolean): Promise<void> {
  const loaded = loadAnyConfig(file);
  const status: ConnectorStatus =
    loaded.kind === "source" ? await readSourceStatus(loaded.config) : await readSinkStatus(loaded.config);
  process.stdout.write(json ? `${JSON.stringify(statusJson(status), null, 2)}\n` : formatStatus(status));
}
