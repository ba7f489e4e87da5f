import { internalTopic, tableTopic } from "@tributary/core";
import { ConnectorProcess } from "./connector-process.js";
import { measureGrowth, openAdmin, topicRecords } from "./kafka-offsets.js";
import { connect, dropDatabase, freshDatabase, run } from "./postgres.js";
import { loadRows, writeTransactions } from "./workload.js";

export interface SourceBenchResult {
  snapshot: {
    rows: number;
    seconds: number;
    rowsPerSec: number;
    mbPerSec: number;
    rowBytes: number;
    cpuSeconds: number;
    rowsPerCpuSec: number;
  };
  streaming: { events: number; seconds: number; eventsPerSec: number; cpuSeconds: number };
  decodeBaseline: { events: number; seconds: number; eventsPerSec: number };
  rssMb: number;
}

const DATABASE = "tributary_bench_source";

/**
 * The PostgreSQL source alone, as its own process: a snapshot of `rows` rows into Kafka, then
 * the catch-up rate over a backlog of `transactions` 10-row transactions written while it was
 * stopped, beside the raw logical-decoding rate (pg_recvlogical, test_decoding) of that WAL.
 */
export async function benchSource(rows: number, transactions: number): Promise<SourceBenchResult> {
  await freshDatabase(DATABASE);
  const sql = await connect(DATABASE);
  const admin = openAdmin();
  const prefix = `bench_${Date.now()}`;
  const topic = tableTopic(prefix, "bench", "rows");
  const config = {
    connector: "postgres-source",
    name: prefix,
    postgres: { host: "127.0.0.1", port: 5432, user: "postgres", database: DATABASE },
    kafka: { brokers: ["127.0.0.1:9092"] },
    tables: { include: ["bench.*"] },
    topics: { tombstones: false },
    snapshot: { workers: 2, chunkRows: 100_000 },
    heartbeat: { intervalMs: 1_000 },
    http: { enabled: false },
    log: { level: "info" },
  };
  try {
    process.stderr.write(`bench: loading ${rows} rows\n`);
    const { rowBytes } = await loadRows(sql, rows);

    process.stderr.write("bench: source snapshot\n");
    let source = new ConnectorProcess("source", config);
    const done = await source.waitFor("the snapshot", (line) => line.msg === "snapshot done");
    const snapshotStats = source.stats();
    const seconds = Number(done.seconds);
    await source.waitFor("streaming", (line) => line.msg === "streaming");
    await source.stop();
    let rssMb = source.stats().peakRssMb;

    await sql.query("SELECT pg_create_logical_replication_slot('bench_decode', 'test_decoding')");
    process.stderr.write(
      `bench: writing ${transactions} transactions of 10 rows while the source is stopped\n`,
    );
    const before = await topicRecords(admin, topic);
    await writeTransactions(DATABASE, transactions, rows);
    const { rows: end } = await sql.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn");

    process.stderr.write("bench: source catch-up\n");
    source = new ConnectorProcess("source", config);
    const growth = await measureGrowth(admin, topic, before);
    const streamingStats = source.stats();
    await source.stop();
    rssMb = Math.max(rssMb, source.stats().peakRssMb);

    process.stderr.write("bench: decode baseline (pg_recvlogical, test_decoding)\n");
    const decodeStarted = process.hrtime.bigint();
    await run("pg_recvlogical", [
      "-h",
      "127.0.0.1",
      "-U",
      "postgres",
      "-d",
      DATABASE,
      "-S",
      "bench_decode",
      "--start",
      "-E",
      end[0]?.lsn ?? "0/0",
      "-f",
      "/dev/null",
    ]);
    const decodeSeconds = Number(process.hrtime.bigint() - decodeStarted) / 1e9;

    return {
      snapshot: {
        rows,
        seconds,
        rowsPerSec: rows / seconds,
        mbPerSec: (rows * rowBytes) / seconds / 1e6,
        rowBytes,
        cpuSeconds: snapshotStats.cpuSeconds,
        rowsPerCpuSec: rows / snapshotStats.cpuSeconds,
      },
      streaming: {
        events: growth.records,
        seconds: growth.seconds,
        eventsPerSec: growth.records / growth.seconds,
        cpuSeconds: streamingStats.cpuSeconds,
      },
      decodeBaseline: {
        events: growth.records,
        seconds: decodeSeconds,
        eventsPerSec: growth.records / decodeSeconds,
      },
      rssMb,
    };
  } finally {
    await sql
      .query(
        "SELECT pg_drop_replication_slot('bench_decode') WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'bench_decode')",
      )
      .catch(() => undefined);
    await sql.end();
    await dropDatabase(DATABASE).catch(() => undefined);
    const kafkaAdmin = (await import("kafkajs")).default;
    const raw = new kafkaAdmin.Kafka({
      brokers: ["127.0.0.1:9092"],
      logLevel: kafkaAdmin.logLevel.NOTHING,
    }).admin();
    await raw.connect();
    const existing = new Set(await raw.listTopics());
    const ours = [
      topic,
      ...["schemas", "offsets", "schema_changes"].map((kind) => internalTopic(prefix, kind as "schemas")),
    ];
    await raw.deleteTopics({ topics: ours.filter((t) => existing.has(t)) }).catch(() => undefined);
    await raw.disconnect();
    await admin.close();
  }
}
