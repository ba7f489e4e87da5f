import { type Logger, TributaryError } from "@tributary/core";
import pg from "pg";
import { type PostgresSourceConfig, replicationName } from "./config.js";
import { clientConfig } from "./connection.js";
import type { SourceMetrics } from "./SourceMetrics.js";
import { openKafka, type SessionResources, TableContext } from "./session-resources.js";
import {
  checkSourcePrerequisites,
  createTableSelector,
  describeConnectionError,
  ReplicationSetup,
  releaseSource,
} from "./setup/index.js";
import { createSlot, dropSlot, findSlot } from "./slot.js";
import { runSnapshot } from "./snapshot/run-snapshot.js";
import { planStart } from "./start-plan.js";
import { runStreaming } from "./streaming/run-streaming.js";
import { PgTypeCatalog } from "./types/PgTypeCatalog.js";

export type SourcePhase = "starting" | "snapshot" | "streaming" | "stopped";

export interface SessionOptions {
  config: PostgresSourceConfig;
  logger: Logger;
  metrics: SourceMetrics;
  signal: AbortSignal;
  onPhase: (phase: SourcePhase) => void;
}

/**
 * One run of the source with fresh connections: prerequisites, helper objects and publication,
 * the snapshot when one is due, then streaming until the signal aborts or something fails.
 */
export async function runSourceSession(options: SessionOptions): Promise<void> {
  const { config, logger } = options;
  const connect = async (applicationName: string): Promise<pg.Client> => {
    const client = new pg.Client(clientConfig(config.postgres, applicationName));
    client.on("error", (error) => logger.warn({ err: error }, "PostgreSQL connection error"));
    try {
      await client.connect();
    } catch (error) {
      throw describeConnectionError(error, config);
    }
    return client;
  };
  options.onPhase("starting");
  const admin = await connect("tributary-source");
  const kafka = openKafka(config, logger);
  try {
    await checkReady(admin, config, logger);
    const setup = new ReplicationSetup(admin, config, logger);
    await setup.ensure();
    const slotName = replicationName(config);
    const resources: SessionResources = {
      ...options,
      admin,
      kafka,
      slotName,
      connect,
      tables: new TableContext(config, createTableSelector(config.tables), new PgTypeCatalog(admin), kafka),
    };
    const state = await kafka.state.load();
    const plan = planStart(config.snapshot.mode, slotName, await findSlot(admin, slotName), state);
    let snapshot = state?.snapshot ?? "pending";
    let capture = state?.capture;
    if (plan.action === "snapshot") {
      logger.info({ reason: plan.reason }, "taking a snapshot");
      if (plan.dropSlot) await dropSlot(admin, slotName);
      options.onPhase("snapshot");
      capture = await runSnapshot(resources);
      snapshot = "done";
      if (config.snapshot.mode === "initial_only") {
        // Nothing will stream from here: leave the database as `tributary release` would.
        const report = await releaseSource(config);
        logger.info(
          { released: report.lines },
          "snapshot done; snapshot.mode is initial_only, so the connector released what it created and stops here",
        );
        return;
      }
    } else if (plan.action === "create-slot") {
      const created = await createSlot(admin, slotName);
      await kafka.state.save({
        slot: slotName,
        snapshot: "pending",
        snapshotLsn: null,
        confirmedLsn: null,
        confirmLimit: created,
      });
    }
    const slot = await findSlot(admin, slotName);
    if (!slot?.confirmedFlushLsn) {
      throw new TributaryError(
        "TRB_PG_SLOT_MISSING",
        `replication slot ${slotName} vanished while starting`,
        {
          retriable: true,
        },
      );
    }
    options.onPhase("streaming");
    // Publication refreshes run in their own transactions: keep them off the shared admin connection.
    const setupClient = await connect("tributary-setup");
    try {
      await runStreaming(
        resources,
        new ReplicationSetup(setupClient, config, logger),
        slot.confirmedFlushLsn,
        snapshot,
        capture,
      );
    } finally {
      await setupClient.end().catch(() => undefined);
    }
  } finally {
    await kafka.close().catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}

async function checkReady(admin: pg.Client, config: PostgresSourceConfig, logger: Logger): Promise<void> {
  const problems = await checkSourcePrerequisites(admin, config);
  for (const problem of problems) {
    if (problem.severity === "warning")
      logger.warn({ code: problem.code, fix: problem.fix }, problem.message);
  }
  const errors = problems.filter((problem) => problem.severity === "error");
  const slotInUse = errors.find((problem) => problem.code === "TRB_PG_SLOT_ACTIVE");
  if (slotInUse && errors.length === 1) {
    // Most often the previous instance's walsender, not yet gone after a crash or network loss.
    throw new TributaryError("TRB_PG_SLOT_ACTIVE", `${slotInUse.message}; ${slotInUse.fix}`, {
      retriable: true,
    });
  }
  if (errors.length > 0) {
    throw new TributaryError(
      "TRB_PG_PRECHECK",
      `the source database is not ready:\n${errors.map((p) => `  - ${p.message}; ${p.fix}`).join("\n")}`,
    );
  }
}
