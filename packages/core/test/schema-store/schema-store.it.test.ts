import { afterAll, describe, expect, it } from "vitest";
import { insertEnvelope, ordersTable } from "../../../../test/support/events.js";
import { deleteTopics, quietLogger, testKafka, uniqueName } from "../../../../test/support/kafka.js";
import {
  buildTableSchemas,
  encode,
  type Fingerprint,
  internalTopic,
  KafkaEventPublisher,
  KafkaEventSubscriber,
  KafkaTopicAdmin,
  SchemaStore,
  TributaryError,
} from "../../src/index.js";

const topics: string[] = [];
const admin = new KafkaTopicAdmin(testKafka, "test", quietLogger);
const publisher = new KafkaEventPublisher(testKafka, "test", quietLogger);
const stores: SchemaStore[] = [];

afterAll(async () => {
  for (const store of stores) await store.close();
  await publisher.close();
  await admin.close();
  await deleteTopics(topics);
});

function openStore(topic: string, writable: boolean): SchemaStore {
  const store = new SchemaStore({
    topic,
    admin,
    ...(writable ? { publisher } : {}),
    createSubscriber: () => new KafkaEventSubscriber(testKafka, "test", quietLogger),
    logger: quietLogger,
  });
  stores.push(store);
  return store;
}

describe("SchemaStore", () => {
  it("registers a writer schema in a compacted topic that a fresh reader decodes from", async () => {
    const topic = internalTopic(uniqueName("it_store"), "schemas");
    topics.push(topic);
    const writer = openStore(topic, true);
    const schemas = buildTableSchemas(ordersTable);
    const valueSchema = await writer.register(schemas.value);
    expect(await writer.register(schemas.value)).toBe(valueSchema);
    const message = encode(valueSchema, insertEnvelope(7));

    const reader = openStore(topic, false);
    expect(await reader.decode(message)).toEqual(insertEnvelope(7));
    expect((await admin.endOffsets(topic)).get(0)).toBe(1n);

    const kafkajsAdmin = (await import("kafkajs")).default;
    const raw = new kafkajsAdmin.Kafka({
      brokers: testKafka.brokers,
      logLevel: kafkajsAdmin.logLevel.NOTHING,
    }).admin();
    await raw.connect();
    const described = await raw.describeConfigs({
      resources: [
        { type: kafkajsAdmin.ConfigResourceTypes.TOPIC, name: topic, configNames: ["cleanup.policy"] },
      ],
      includeSynonyms: false,
    });
    await raw.disconnect();
    expect(described.resources[0]?.configEntries[0]?.configValue).toBe("compact");
  });

  it("sees schemas registered after the reader started", async () => {
    const topic = internalTopic(uniqueName("it_store"), "schemas");
    topics.push(topic);
    const writer = openStore(topic, true);
    const reader = openStore(topic, false);
    const first = await writer.register(buildTableSchemas(ordersTable).value);
    await reader.lookup(first.fingerprint);
    const widened = {
      ...ordersTable,
      columns: [
        ...ordersTable.columns,
        { name: "note", type: { kind: "string" as const }, nullable: true, sourceType: "text" },
      ],
    };
    const second = await writer.register(buildTableSchemas(widened).value);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect((await reader.lookup(second.fingerprint)).schema).toEqual(second.schema);
  });

  it("names an unknown fingerprint as a coded, permanent error", async () => {
    const topic = internalTopic(uniqueName("it_store"), "schemas");
    topics.push(topic);
    await openStore(topic, true).register(buildTableSchemas(ordersTable).value);
    const error = await openStore(topic, false)
      .lookup("00112233445566ff" as Fingerprint)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe("TRB_SCHEMA_UNKNOWN");
    expect((error as TributaryError).retriable).toBe(false);
    expect((error as TributaryError).message).toContain(
      `no writer schema with fingerprint 00112233445566ff in ${topic}`,
    );
  });
});
