import { TributaryError } from "@tributary/core";
import type { PostgresSourceConfig } from "./config.js";
import type { SlotInfo } from "./slot.js";
import type { SourceState } from "./state/SourceStateStore.js";

export type StartPlan =
  /** Take a snapshot with a new slot (dropping a leftover one from an unfinished snapshot). */
  | { action: "snapshot"; dropSlot: boolean; reason: string }
  /** Stream from the existing slot. */
  | { action: "stream" }
  /** `snapshot.mode: never`: create a slot without a snapshot, then stream. */
  | { action: "create-slot" };

/**
 * What a starting source does, from its slot, its remembered state and the snapshot mode.
 * Never streams silently past lost changes: a slot that is gone, invalidated or re-created
 * after this connector used it is an error unless `snapshot.mode` is `when_needed`
 * (`initial_only` takes a new snapshot on every run).
 */
export function planStart(
  mode: PostgresSourceConfig["snapshot"]["mode"],
  slotName: string,
  slot: SlotInfo | undefined,
  state: SourceState | undefined,
): StartPlan {
  if (slot?.active) {
    throw new TributaryError(
      "TRB_PG_SLOT_ACTIVE",
      `replication slot ${slotName} is in use by process ${slot.activePid}; is another instance of this connector running?`,
      { retriable: true },
    );
  }
  const snapshotDone = state?.snapshot === "done";
  if (mode === "never") {
    // No snapshot to fall back on, but a slot that vanished after streaming still lost changes.
    if (!slot) {
      if (state?.confirmedLsn !== null && state?.confirmedLsn !== undefined) throw missingSlot(slotName);
      return { action: "create-slot" };
    }
    const problem = slotProblem(slot, slotName, state);
    if (problem) throw problem;
    return { action: "stream" };
  }
  // initial_only never streams and drops its slot when done: each run is a new snapshot.
  if (mode === "initial_only") {
    const reason = snapshotDone
      ? "snapshot.mode is initial_only: every run reads the tables again"
      : "no snapshot was taken yet";
    return { action: "snapshot", dropSlot: slot !== undefined, reason };
  }
  if (!snapshotDone) {
    const reason = slot ? "the previous snapshot did not finish" : "no snapshot was taken yet";
    return { action: "snapshot", dropSlot: slot !== undefined, reason };
  }
  const problem = slot ? slotProblem(slot, slotName, state) : missingSlot(slotName);
  if (!problem) return { action: "stream" };
  if (mode === "when_needed")
    return { action: "snapshot", dropSlot: slot !== undefined, reason: problem.reason };
  throw problem;
}

function missingSlot(name: string): TributaryError {
  return new TributaryError(
    "TRB_PG_SLOT_MISSING",
    `replication slot ${name} is gone although this connector streamed from it before, so changes made since ` +
      "are lost. Run `tributary release --config …` and start again to take a new snapshot, or set " +
      "snapshot.mode: when_needed to do that automatically",
  );
}

function slotProblem(
  slot: SlotInfo,
  name: string,
  state: SourceState | undefined,
): TributaryError | undefined {
  if (slot.walStatus === "lost") {
    return new TributaryError(
      "TRB_PG_SLOT_LOST",
      `replication slot ${name} was invalidated by the server (the WAL it needed was removed; see ` +
        "max_slot_wal_keep_size), so changes are lost. Run `tributary release --config …` and start again to " +
        "take a new snapshot, or set snapshot.mode: when_needed",
    );
  }
  const confirmed = slot.confirmedFlushLsn;
  if (confirmed === null) return undefined;
  // The source records an LSN before it confirms it, so its own slot is never ahead of that
  // record, and never behind what it recorded as confirmed: a new slot starts at the end of WAL.
  const recorded = state?.confirmedLsn ?? null;
  const limit = state?.confirmLimit ?? null;
  const behind = recorded !== null && confirmed < recorded;
  const ahead = limit !== null && confirmed > limit;
  if (!behind && !ahead) return undefined;
  const known = ahead ? `confirmed at most ${limit}` : `confirmed ${recorded}`;
  return new TributaryError(
    "TRB_PG_SLOT_RECREATED",
    `replication slot ${name} starts at ${confirmed} but this connector had ${known}: the slot was ` +
      "dropped and created again (or moved) while the connector was not using it, so the changes in between " +
      "are lost. Run `tributary release --config …` and start again to take a new snapshot, or set " +
      "snapshot.mode: when_needed to do that automatically",
  );
}
