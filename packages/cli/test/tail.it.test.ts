import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { insertEnvelope, ordersTable } from "../../../test/support/events.js";
import { kafkaTestFixture, quietLogger, testKafka, uniqueName } from "../../../test/support/kafka.js";
import {
  buildTableSchemas,
  encode,
  internalTopic,
  KafkaEventSubscriber,
  type OutgoingRecord,
  SchemaStore,
  tableTopic,
  toJsonValue,
} from "../../core/src/index.js";

/** The compiled CLI, run as its own process: it knows nothing but the topic it is given. */
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

const { admin, publisher, topics } = kafkaTestFixture();

interface Run {
  code: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

function startTail(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [bin, "tail", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<Run>((resolve) => {
    child.on("close", (code) => {
      const lines = stdout
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, lines, stderr });
    });
  });
  return { child, done };
}

/** A table topic with `count` inserts and one tombstone, written through the schema store. */
async function writeOrders(
  count: number,
): Promise<{ topic: string; records: OutgoingRecord[]; store: SchemaStore }> {
  const prefix = uniqueName("it_tail");
  const topic = tableTopic(prefix, "public", "orders");
  const schemasTopic = internalTopic(prefix, "schemas");
  topics.push(topic, schemasTopic);
  await admin.ensureTopics([{ topic, partitions: 1 }]);
  const store = new SchemaStore({
    topic: schemasTopic,
    admin,
    publisher,
    createSubscriber: () => new KafkaEventSubscriber(testKafka, "test", quietLogger),
    logger: quietLogger,
  });
  const schemas = buildTableSchemas(ordersTable);
  if (!schemas.key) throw new Error("orders has a key");
  const keySchema = await store.register(schemas.key);
  const valueSchema = await store.register(schemas.value);
  const records: OutgoingRecord[] = Array.from({ length: count }, (_, i) => ({
    topic,
    key: encode(keySchema, { id: BigInt(i) }),
    value: encode(valueSchema, insertEnvelope(i)),
  }));
  records.push({ topic, key: encode(keySchema, { id: 0n }), value: null });
  await publisher.publish(records);
  return { topic, records, store };
}

describe("tributary tail", () => {
  it("decodes every event of a topic in a second process, from the topic alone", async () => {
    const { topic, store } = await writeOrders(25);
    await store.close();
    const { done } = startTail([topic, "--from-beginning", "--idle-exit", "3"]);
    const run = await done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(26);
    run.lines.slice(0, 25).forEach((line, i) => {
      expect(line).toEqual({
        topic,
        partition: 0,
        offset: i,
        key: { id: i },
        value: toJsonValue(insertEnvelope(i)),
      });
    });
    expect(run.lines[25]).toEqual({ topic, partition: 0, offset: 25, key: { id: 0 }, value: null });
  });

  it("stops after --max events", async () => {
    const { topic, store } = await writeOrders(10);
    await store.close();
    const run = await startTail([topic, "--from-beginning", "--max", "4"]).done;
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line.offset)).toEqual([0, 1, 2, 3]);
  });

  // Regression: a container's overrides of the connector's own fields (TRIBUTARY_POSTGRES__HOST)
  // made tail refuse its config; it reads only the kafka section, and its overrides.
  it("tail-refused-connector-overrides: reads the kafka section of a connector's config, with its overrides", async () => {
    const { topic, store } = await writeOrders(3);
    await store.close();
    const config = fileURLToPath(new URL("../../../examples/source.yaml", import.meta.url));
    const run = await startTail([topic, "--from-beginning", "--max", "4", "--config", config], {
      TRIBUTARY_POSTGRES__HOST: "postgres",
      TRIBUTARY_KAFKA__BROKERS: testKafka.brokers.join(","),
    }).done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line.offset)).toEqual([0, 1, 2, 3]);
  });

  it("without --from-beginning prints only events written after it started", async () => {
    const { topic, records, store } = await writeOrders(5);
    const tail = startTail([topic, "--max", "2", "--idle-exit", "60"]);
    // Wait for the consumer to join before writing the new events.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await publisher.publish(records.slice(1, 3));
    const run = await tail.done;
    await store.close();
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line.offset)).toEqual([6, 7]);
  });

  it("fails with a coded error on a topic that does not exist", async () => {
    const run = await startTail(["nope.public.missing", "--from-beginning"]).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "[TRB_TOPIC_MISSING] topic 'nope.public.missing' does not exist at 127.0.0.1:9092",
    );
  });

  it("fails naming partition and offset when a message's schema is unknown", async () => {
    const { topic, store } = await writeOrders(2);
    await store.close();
    const alien = Buffer.concat([
      Buffer.from([0xc3, 0x01]),
      Buffer.from("0011223344556677", "hex"),
      Buffer.from([2]),
    ]);
    await publisher.publish([{ topic, key: null, value: alien }]);
    const run = await startTail([topic, "--from-beginning", "--idle-exit", "10"]).done;
    expect(run.code).toBe(1);
    expect(run.lines).toHaveLength(3);
    expect(run.stderr).toContain(
      `[TRB_SCHEMA_UNKNOWN] cannot decode the value at ${topic} partition 0 offset 3`,
    );
  });
});
