import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import kafkajs from "kafkajs";
import mysql from "mysql2/promise";
import pg from "pg";
import { describe, expect, it } from "vitest";

// The local stack (test/stack/stack.sh, DESIGN.md section 8) really has the settings the
// connectors rely on. Every service must be reachable: a connection error fails the test.

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs;
const root = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

/** node-postgres passes `replication` through to the server; its types do not declare it. */
type ReplicationConfig = pg.ClientConfig & { replication: "database" | "true" };

function pgConfig(port: number): pg.ClientConfig {
  return { host: "127.0.0.1", port, user: "postgres", database: "postgres", connectionTimeoutMillis: 5_000 };
}

async function withPg<T>(config: pg.ClientConfig, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(6).toString("hex")}`;

describe("stack.sh status", () => {
  it("exits 0 with every service up", async () => {
    const { stdout } = await run("bash", ["test/stack/stack.sh", "status"], { cwd: root });
    for (const service of ["kafka", "postgres", "postgres-peer", "mariadb"]) {
      expect(stdout).toMatch(new RegExp(`^${service}\\s+up `, "m"));
    }
  });
});

for (const cluster of [
  { name: "main", port: 5432 },
  { name: "peer", port: 5433 },
]) {
  describe(`PostgreSQL ${cluster.name} on 127.0.0.1:${cluster.port}`, () => {
    it("has logical decoding, enough slots and senders, and commit timestamps", async () => {
      await withPg(pgConfig(cluster.port), async (client) => {
        const show = async (name: string): Promise<string> =>
          (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? "";
        expect(await show("wal_level")).toBe("logical");
        expect(Number(await show("max_replication_slots"))).toBeGreaterThanOrEqual(20);
        expect(Number(await show("max_wal_senders"))).toBeGreaterThanOrEqual(20);
        expect(await show("track_commit_timestamp")).toBe("on");
      });
    });

    it("creates and drops a pgoutput slot over a logical replication connection", async () => {
      const slot = uniqueName("t");
      const config: ReplicationConfig = { ...pgConfig(cluster.port), replication: "database" };
      try {
        await withPg(config, async (client) => {
          // IDENTIFY_SYSTEM is a replication command: it only works on a replication connection.
          const system = await client.query<{ systemid: string; xlogpos: string }>("IDENTIFY_SYSTEM");
          expect(system.rows[0]?.xlogpos).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
          const created = await client.query<{ slot_name: string; lsn: string }>(
            `SELECT * FROM pg_create_logical_replication_slot('${slot}', 'pgoutput')`,
          );
          expect(created.rows[0]?.slot_name).toBe(slot);
          await client.query(`DROP_REPLICATION_SLOT ${slot}`);
        });
      } finally {
        // Leave no slot behind even when an assertion failed half-way (it would pin WAL).
        await withPg(pgConfig(cluster.port), (client) =>
          client.query(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
            [slot],
          ),
        );
      }
      await withPg(pgConfig(cluster.port), async (client) => {
        const left = await client.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [slot]);
        expect(left.rowCount).toBe(0);
      });
    });

    it("accepts physical replication connections from 127.0.0.1", async () => {
      const config: ReplicationConfig = { ...pgConfig(cluster.port), replication: "true" };
      await withPg(config, async (client) => {
        const system = await client.query<{ systemid: string }>("IDENTIFY_SYSTEM");
        expect(system.rows[0]?.systemid).toMatch(/^\d+$/);
      });
    });
  });
}

describe("MariaDB on 127.0.0.1:3306", () => {
  it("writes a full row-based binlog with strict GTIDs, and root logs in without a password", async () => {
    const connection = await mysql.createConnection({
      host: "127.0.0.1",
      port: 3306,
      user: "root",
      password: "",
      connectTimeout: 5_000,
    });
    try {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        `SELECT @@log_bin AS log_bin, @@binlog_format AS binlog_format, @@binlog_row_image AS row_image,
           @@server_id AS server_id, @@log_slave_updates AS log_slave_updates,
           @@gtid_strict_mode AS gtid_strict_mode, @@binlog_expire_logs_seconds AS expire_seconds,
           @@max_allowed_packet AS max_allowed_packet`,
      );
      expect(rows[0]).toEqual({
        log_bin: 1,
        binlog_format: "ROW",
        row_image: "FULL",
        server_id: 1,
        log_slave_updates: 1,
        gtid_strict_mode: 1,
        expire_seconds: 604800,
        max_allowed_packet: 67108864,
      });
      const [logs] = await connection.query<mysql.RowDataPacket[]>("SHOW BINARY LOGS");
      expect(logs.length).toBeGreaterThan(0);
    } finally {
      await connection.end();
    }
  });
});

describe("Kafka on 127.0.0.1:9092", () => {
  const kafka = new Kafka({
    clientId: "tributary-stack-test",
    brokers: ["127.0.0.1:9092"],
    connectionTimeout: 5_000,
    retry: { retries: 2 },
    logLevel: logLevel.NOTHING,
  });

  it("is one KRaft node with 64 MiB limits and no topic auto-creation", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toEqual([expect.objectContaining({ host: "127.0.0.1", port: 9092 })]);
      const broker = cluster.brokers[0]!;
      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(broker.nodeId) }],
        includeSynonyms: false,
      });
      const entries = described.resources[0]?.configEntries ?? [];
      const config = Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue]));
      expect(config).toMatchObject({
        "message.max.bytes": "67108864",
        "replica.fetch.max.bytes": "67108864",
        "fetch.max.bytes": "67108864",
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "num.partitions": "1",
      });
      expect(Number(config["socket.request.max.bytes"])).toBeGreaterThan(67108864);
    } finally {
      await admin.disconnect();
    }
  });

  it("accepts a record far above Kafka's 1 MiB default", async () => {
    const topic = uniqueName("stack-test");
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      const [ack] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: "big", value: Buffer.alloc(8 * 1024 * 1024, 7) }],
      });
      expect(ack?.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
