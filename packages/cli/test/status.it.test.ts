/**
 * `tributary status --config` (the compiled CLI) on the local stack: for a running source, its
 * slot (held, LSNs, WAL retained) and publication; for a stopped sink with changes waiting in
 * Kafka, the lag per partition from the target's tributary_offsets and the group's commits;
 * a clear error and exit 1 for an invalid config and for each unreachable server.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteTopicsOf, quietLogger, uniqueName } from "../../../test/support/kafka.js";
import {
  closeSourceAndTarget,
  dropReplicationOrigin,
  openSourceAndTarget,
  type ScratchDatabase,
  until,
} from "../../../test/support/pipeline.js";
import { writeConfigFile } from "../../../test/support/source-process.js";
import { PostgresSinkConnector, postgresSinkConfigSchema } from "../../sink-postgres/src/index.js";
import {
  type Running,
  sinkSettings,
  sourceSettings,
  startSource,
} from "../../sink-postgres/test/support/connectors.js";
import { postgresSourceConfigSchema } from "../../source-postgres/src/index.js";

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const run = promisify(execFile);

interface StatusRun {
  code: number;
  stdout: string;
  stderr: string;
}

const configFiles: { path: string; remove(): void }[] = [];

async function status(config: Record<string, unknown>, ...args: string[]): Promise<StatusRun> {
  const file = writeConfigFile(config);
  configFiles.push(file);
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, "status", "--config", file.path, ...args], {
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TRIBUTARY_"))),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let sourceDb: ScratchDatabase;
let targetDb: ScratchDatabase;
let source: pg.Client;
let target: pg.Client;
let prefix: string;
let group: string;
let sourceConfig: Record<string, unknown>;
let sinkConfig: Record<string, unknown>;
let sourceRun: Running | undefined;

beforeAll(async () => {
  ({ sourceDb, targetDb, source, target } = await openSourceAndTarget("tributary_status"));
  prefix = uniqueName("status");
  group = uniqueName("status_replica");
  await source.query(`
    CREATE SCHEMA shop;
    CREATE TABLE shop.items (id int PRIMARY KEY, label text NOT NULL);
    INSERT INTO shop.items SELECT g, 'item ' || g FROM generate_series(1, 20) g;
  `);
  sourceConfig = sourceSettings(sourceDb.name, prefix);
  sinkConfig = sinkSettings(group, prefix, targetDb.name, {
    topics: { names: [tableTopic(prefix, "shop", "items")] },
    batch: { maxWaitMs: 20 },
  });
  sourceRun = startSource(postgresSourceConfigSchema.parse(sourceConfig));
});

afterAll(async () => {
  await sourceRun?.stop();
  if (prefix) await dropReplicationOrigin(target, prefix);
  await closeSourceAndTarget({ sourceDb, targetDb, source, target });
  for (const file of configFiles) file.remove();
  await deleteTopicsOf(prefix);
});

describe("tributary status", () => {
  it("shows a source's slot, the WAL it retains and its publication's tables", async () => {
    await until("the source to hold its slot", async () => {
      const { rows } = await source.query(
        "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active",
        [`tributary_${prefix}`],
      );
      return rows.length === 1;
    });
    const json = await status(sourceConfig, "--json");
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      kind: string;
      slot: Record<string, unknown>;
      currentLsn: string;
      publication: { exists: boolean; tables: string[] };
    };
    expect(report.kind).toBe("source");
    expect(report.slot).toMatchObject({ name: `tributary_${prefix}`, exists: true, active: true });
    expect(report.slot.restartLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.slot.confirmedLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.slot.retainedBytes).toBeGreaterThanOrEqual(0);
    expect(report.publication.exists).toBe(true);
    expect(report.publication.tables).toContain("shop.items");

    const text = await status(sourceConfig);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`slot tributary_${prefix}: active, pid `);
    expect(text.stdout).toMatch(/WAL retained for the slot: \d/);
    expect(text.stdout).toMatch(/^ {2}shop\.items$/m);
  });

  it("shows a stopped sink's lag per partition: changes in Kafka the target does not hold yet", async () => {
    const topic = tableTopic(prefix, "shop", "items");
    const controller = new AbortController();
    const sink = new PostgresSinkConnector(postgresSinkConfigSchema.parse(sinkConfig), quietLogger).run(
      controller.signal,
    );
    await until("the sink to apply the snapshot", async () => {
      const { rows } = await target
        .query("SELECT count(*)::int AS n FROM shop.items")
        .catch(() => ({ rows: [] }));
      return (rows[0] as { n?: number } | undefined)?.n === 20;
    });
    controller.abort();
    await sink;

    const before = JSON.parse((await status(sinkConfig, "--json")).stdout) as {
      partitions: {
        topic: string;
        endOffset: number;
        recordedOffset: number;
        committedOffset: number;
        lag: number;
      }[];
    };
    expect(before.partitions).toEqual([
      expect.objectContaining({
        topic,
        partition: 0,
        lag: 0,
        recordedOffset: before.partitions[0]?.endOffset,
      }),
    ]);
    const applied = before.partitions[0]?.recordedOffset ?? -1;
    expect(before.partitions[0]?.committedOffset).toBe(applied);

    await source.query("INSERT INTO shop.items SELECT g, 'late ' || g FROM generate_series(21, 27) g");
    let report: Record<string, unknown> = {};
    await until("the 7 new rows to reach Kafka", async () => {
      const result = await status(sinkConfig, "--json");
      report = JSON.parse(result.stdout) as Record<string, unknown>;
      return report.totalLag === 7;
    });
    expect(report).toMatchObject({
      kind: "sink",
      name: group,
      partitions: [{ topic, partition: 0, endOffset: applied + 7, recordedOffset: applied, lag: 7 }],
    });
    expect(report.lastAppliedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const text = await status(sinkConfig);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^topic\s+partition\s+end\s+target\s+committed\s+lag$/m);
    expect(text.stdout).toMatch(
      new RegExp(
        `^${topic.replaceAll(".", "\\.")}\\s+0\\s+${applied + 7}\\s+${applied}\\s+${applied}\\s+7$`,
        "m",
      ),
    );
    expect(text.stdout).toContain("total lag: 7 record(s)");
  });

  it("fails with exit 1 and a coded message for an invalid config or an unreachable server", async () => {
    const invalid = await status({ ...sinkConfig, target: { port: "five" } });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("[TRB_CFG_INVALID]");
    expect(invalid.stderr).toContain("target.port");

    const noSource = await status({ ...sourceConfig, postgres: { port: 1, database: "x" } });
    expect(noSource.code).toBe(1);
    expect(noSource.stderr).toContain("[TRB_PG_UNREACHABLE] cannot reach PostgreSQL at 127.0.0.1:1");

    const noTarget = await status({ ...sinkConfig, target: { port: 1, database: "x" } });
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toContain("[TRB_SINK_TARGET_UNREACHABLE]");

    const noKafka = await status({ ...sinkConfig, kafka: { brokers: ["127.0.0.1:1"] } });
    expect(noKafka.code).toBe(1);
    expect(noKafka.stderr).toContain("[TRB_KAFKA_UNREACHABLE] cannot connect to Kafka at 127.0.0.1:1");
  });
});
