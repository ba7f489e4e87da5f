/**
 * What a demo run leaves for the user to explore — its slot, topics, consumer group, the
 * replication origin on the target and the two databases — and how the next run (or
 * `--clean-up`) removes it. The run's names are kept in `<workdir>/run.json`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import kafkajs from "kafkajs";
import { type DemoRun, sinkName } from "./demo-configs.js";
import { connect, dropDatabase } from "./sample-database.js";

export type RunState = Pick<DemoRun, "name" | "database" | "sourcePort" | "targetPort" | "brokers">;

const stateFile = (workdir: string) => join(workdir, "run.json");

export function saveRunState(workdir: string, state: RunState): void {
  writeFileSync(stateFile(workdir), `${JSON.stringify(state, null, 2)}\n`);
}

export function loadRunState(workdir: string): RunState | undefined {
  const file = stateFile(workdir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RunState;
  } catch {
    return undefined;
  }
}

/**
 * Removes what a run created in Kafka and on the target server: its topics, consumer group and
 * replication origin; with `databases`, also both databases (and with them the slot, the
 * publication and the helper tables).
 */
export async function cleanUpRun(state: RunState, options: { databases: boolean }): Promise<void> {
  const admin = new kafkajs.Kafka({
    brokers: state.brokers,
    clientId: "tributary-demo",
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${state.name}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    await admin.deleteGroups([sinkName(state)]).catch(() => undefined); // absent when the sink never ran
  } finally {
    await admin.disconnect();
  }
  if (options.databases) {
    await dropDatabase(state.sourcePort, state.database);
    await dropDatabase(state.targetPort, state.database);
  }
  const target = await connect(state.targetPort, "postgres");
  try {
    await target.query(
      "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = $1",
      [`tributary_${state.name}`],
    );
  } finally {
    await target.end();
  }
}
