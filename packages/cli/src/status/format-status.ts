/** `tributary status` output (pure): a short human-readable report, or one JSON document. */
import { type JsonValue, toJsonValue } from "@tributary/core";
import type { SinkStatus } from "./sink-status.js";
import type { SourceStatus } from "./source-status.js";

export type ConnectorStatus = SourceStatus | SinkStatus;

export function statusJson(status: ConnectorStatus): JsonValue {
  return toJsonValue(status);
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: bigint | number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Number(bytes);
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Left-aligned columns separated by two spaces; the first row is the header. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function formatStatus(status: ConnectorStatus, now: Date = new Date()): string {
  return status.kind === "source" ? formatSourceStatus(status) : formatSinkStatus(status, now);
}

function formatSourceStatus(status: SourceStatus): string {
  const { slot, publication } = status;
  const lines = [`source ${status.name} (${status.connector}) at ${status.server}`];
  if (!slot.exists) {
    lines.push(`slot ${slot.name}: absent (the source has not started yet, or was released)`);
  } else {
    const holder = slot.active ? `active, pid ${slot.activePid ?? "?"}` : "inactive (no connector holds it)";
    lines.push(
      `slot ${slot.name}: ${holder}${slot.walStatus ? `, wal_status ${slot.walStatus}` : ""}`,
      textTable([
        ["", "LSN", "behind current"],
        [
          "restart",
          slot.restartLsn ?? "-",
          slot.retainedBytes === null ? "-" : formatBytes(slot.retainedBytes),
        ],
        [
          "confirmed",
          slot.confirmedLsn ?? "-",
          slot.unconfirmedBytes === null ? "-" : formatBytes(slot.unconfirmedBytes),
        ],
        ["current", status.currentLsn ?? "- (standby)", ""],
      ])
        .split("\n")
        .map((line) => `  ${line}`)
        .join("\n"),
      `  WAL retained for the slot: ${slot.retainedBytes === null ? "unknown" : formatBytes(slot.retainedBytes)}`,
    );
  }
  if (!publication.exists) {
    lines.push(`publication ${publication.name}: absent`);
  } else {
    const scope = publication.allTables ? "FOR ALL TABLES, " : "";
    lines.push(`publication ${publication.name}: ${scope}${publication.tables.length} table(s)`);
    for (const table of publication.tables) lines.push(`  ${table}`);
  }
  return `${lines.join("\n")}\n`;
}

function formatSinkStatus(status: SinkStatus, now: Date): string {
  const lines = [`sink ${status.name} (${status.connector}) into ${status.target}`];
  if (status.lastAppliedAt === null) {
    lines.push("last applied batch: none recorded in the target yet");
  } else {
    const ago = Math.max(0, Math.round((now.getTime() - Date.parse(status.lastAppliedAt)) / 1000));
    lines.push(`last applied batch: ${status.lastAppliedAt} (${ago} s ago)`);
  }
  if (status.partitions.length === 0) {
    lines.push("no topic selected yet (none exists that topics.names/pattern matches)");
  } else {
    const offset = (value: bigint | null) => (value === null ? "-" : value.toString());
    lines.push(
      textTable([
        ["topic", "partition", "end", "target", "committed", "lag"],
        ...status.partitions.map((row) => [
          row.topic,
          String(row.partition),
          row.endOffset.toString(),
          offset(row.recordedOffset),
          offset(row.committedOffset),
          row.lag.toString(),
        ]),
      ]),
      `total lag: ${status.totalLag} record(s) (end offset − offset recorded in the target)`,
    );
  }
  if (status.missingTopics.length > 0) lines.push(`missing topics: ${status.missingTopics.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
