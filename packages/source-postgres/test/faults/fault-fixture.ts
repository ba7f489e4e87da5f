import { createServer } from "node:net";
import { type Envelope, internalTopic, KafkaTopicAdmin, tableTopic } from "@tributary/core";
import pg from "pg";
import { deleteTopics, quietLogger, testKafka, uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, SOURCE_PORT } from "../../../../test/support/postgres.js";
import { RecordCollector, type RecordedEvent } from "../../../../test/support/RecordCollector.js";
import { CliProcess } from "../../../../test/support/source-process.js";

export type { RecordedEvent };

type Json = Record<string, unknown>;

/** `base` with `overrides` merged in, nested objects field by field. */
export function merge(base: Json, overrides: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current as Json, value as Json) : value;
  }
  return out;
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export interface SlotRow {
  active: boolean;
  activePid: number | null;
  confirmedFlushLsn: bigint | null;
}

/** `X/Y` → bigint. */
export function lsnValue(text: string): bigint {
  const [high, low] = text.split("/");
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** A TCP port on 127.0.0.1 that nothing listens on (taken from the OS, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * One fault test's world: a scratch database, a unique connector name (also the topic prefix),
 * the CLI processes of that connector. Disposing it kills the
 * processes, drops the database (slots first) and deletes every topic of the prefix.
 */
export class FaultWorld implements AsyncDisposable {
  readonly processes: CliProcess[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];

  private constructor(
    readonly name: string,
    readonly database: string,
    readonly sql: pg.Client,
  ) {}

  static async create(label: string): Promise<FaultWorld> {
    const name = uniqueName(label);
    const admin = await connectPg();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } finally {
      await admin.end();
    }
    const sql = await connectPg(name);
    sql.on("error", () => undefined);
    return new FaultWorld(name, name, sql);
  }

  get slotName(): string {
    return `tributary_${this.name}`;
  }

  topic(table: string, schema = "public"): string {
    return tableTopic(this.name, schema, table);
  }

  /** The connector's config as a user writes it; `overrides` are merged in. */
  config(overrides: Json = {}): Json {
    return merge(
      {
        connector: "postgres-source",
        name: this.name,
        postgres: { host: "127.0.0.1", port: SOURCE_PORT, user: "postgres", database: this.database },
        kafka: { brokers: testKafka.brokers },
        tables: { include: ["public.*"] },
        heartbeat: { intervalMs: 500 },
        streaming: { flushIntervalMs: 20 },
        http: { enabled: false },
        log: { level: "info" },
      },
      overrides,
    );
  }

  /** Starts `tributary source` with `config(overrides)`; killed when the world is disposed. */
  startSource(overrides: Json = {}): CliProcess {
    const child = CliProcess.start("source", this.config(overrides));
    this.processes.push(child);
    return child;
  }

  /** Runs something at disposal, before the database is dropped (roles, extra clients). */
  onDispose(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  async slot(): Promise<SlotRow | undefined> {
    const { rows } = await this.sql.query<{ active: boolean; pid: number | null; confirmed: string | null }>(
      `SELECT active, active_pid AS pid, confirmed_flush_lsn::text AS confirmed
         FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slotName],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      active: row.active,
      activePid: row.pid,
      confirmedFlushLsn: row.confirmed === null ? null : lsnValue(row.confirmed),
    };
  }

  /**
   * Waits until no process holds the slot. A restart right after `kill -9` can still find the
   * old walsender holding it for a moment, and the source then waits for it with retries (see
   * "a second instance" in connection-loss.it.test.ts); the crash tests wait, to test one thing
   * at a time.
   */
  async waitUntilSlotReleased(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.slot())?.active) {
      if (Date.now() > deadline) throw new Error(`slot ${this.slotName} still active after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  async currentLsn(): Promise<bigint> {
    const { rows } = await this.sql.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
    return lsnValue(rows[0]?.lsn ?? "0/0");
  }

  /**
   * Waits until the slot confirmed `lsn` (default: the WAL written so far). The source confirms
   * only what Kafka acknowledged, so afterwards every change before `lsn` is in Kafka. Fails at
   * once when `source` (the connector expected to confirm it) exits.
   */
  async waitUntilConfirmed(
    options: { lsn?: bigint; timeoutMs?: number; source?: CliProcess } = {},
  ): Promise<void> {
    const { timeoutMs = 60_000, source } = options;
    const target = options.lsn ?? (await this.currentLsn());
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const confirmed = (await this.slot())?.confirmedFlushLsn ?? null;
      if (confirmed !== null && confirmed >= target) return;
      const exit = source?.exitStatus;
      if (exit) {
        throw new Error(`the source exited (code ${exit.code}) before confirming ${target}${source.tail()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the slot confirmed ${confirmed} but not ${target} within ${timeoutMs} ms${source?.tail() ?? ""}`,
        );
      }
      await sleep(100);
    }
  }

  /** Topics of this connector's prefix that exist now. */
  async topics(): Promise<string[]> {
    const admin = new KafkaTopicAdmin(testKafka, "test-faults", quietLogger);
    try {
      return (await admin.listTopics()).filter((topic) => topic.startsWith(`${this.name}.`));
    } finally {
      await admin.close();
    }
  }

  /** Every event of `topics` up to their current end, decoded. */
  readAll(topics: string[], timeoutMs = 60_000): Promise<RecordedEvent[]> {
    return RecordCollector.readToEnd(this.name, topics, timeoutMs);
  }

  /** The source's latest record on `<prefix>._offsets`, as JSON. */
  async savedState(): Promise<Record<string, unknown> | undefined> {
    const records = await RecordCollector.readToEnd(this.name, [internalTopic(this.name, "offsets")]);
    const latest = records
      .filter((record) => record.rawKey?.toString() === `postgres-source/${this.name}`)
      .at(-1);
    return latest?.rawValue ? (JSON.parse(latest.rawValue.toString()) as Record<string, unknown>) : undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.processes.map((child) => child[Symbol.asyncDispose]()));
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
    await this.sql.end().catch(() => undefined);
    const admin = await connectPg();
    try {
      // A killed connector's walsender may hold the slot a moment longer: end it, then drop.
      const deadline = Date.now() + 20_000;
      for (;;) {
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [this.database],
        );
        const { rows } = await admin.query<{ slot_name: string; active: boolean }>(
          "SELECT slot_name, active FROM pg_replication_slots WHERE database = $1",
          [this.database],
        );
        for (const row of rows.filter((r) => !r.active)) {
          await admin.query("SELECT pg_drop_replication_slot($1)", [row.slot_name]).catch(() => undefined);
        }
        if (rows.every((r) => !r.active) || Date.now() > deadline) break;
        await sleep(100);
      }
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(this.database)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    await deleteTopics(await this.topics());
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const envelopeOf = (event: RecordedEvent): Envelope | null => event.value as Envelope | null;
