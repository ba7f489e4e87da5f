/**
 * `ddl: apply` (DESIGN.md section 5): applies the forward DDL a source publishes on
 * `<prefix>._schema_changes`, translated through the name mapping, in order with each table's
 * data although the two travel in different topics.
 *
 * Ordering: the schema-change topic has one partition in commit order; each change carries the
 * LSN of its statement, and a table's data before the statement has smaller LSNs, its data after
 * larger ones (ALTER TABLE holds an exclusive lock on the table). A change of table T is applied
 * - before the first data run of T whose writer schema this sink has not seen yet and whose
 *   LSN is past the change (`beforeRuns`, called by the batch applier before its transaction):
 *   the schema-change topic is first read to its end, so a column added and then written is
 *   in place before the write; or
 * - by a background pass (`drainIntervalMs`) once every partition of T's topic (and, for a
 *   rename, of its old name's topic) has been applied up to its end: for changes no data
 *   follows, such as DROP COLUMN or a rename with no write after it.
 * Each change runs in its own transaction on a connection of its own, which also moves the
 * table's row in `tributary_ddl_offsets`, so it is applied exactly once.
 */
import { randomUUID } from "node:crypto";
import {
  type EventSubscriber,
  type IncomingRecord,
  internalTopic,
  type Logger,
  sleep,
  type TopicAdmin,
  TributaryError,
  tableTopic,
  topicPrefixOf,
} from "@tributary/core";
import type { EventDecoder, SinkRecord } from "../apply/EventDecoder.js";
import type { PostgresSinkConfig } from "../config.js";
import { mapTableName } from "../name-mapping.js";
import type { SinkMetrics } from "../SinkMetrics.js";
import { qualifiedName, statement } from "../sql/sql-text.js";
import { selectOffsets } from "../target/helper-sql.js";
import type { OriginMarking } from "../target/OriginMarking.js";
import type { TargetConnection } from "../target/TargetConnection.js";
import { selectTopics } from "../topic-selection.js";
import {
  createDdlOffsetsTable,
  lockDdlOffset,
  recordDdlOffset,
  selectDdlOffsets,
} from "./ddl-offsets-sql.js";
import {
  ABSENT,
  type DdlPlan,
  renamedFrom,
  type SchemaChange,
  type TargetTableShape,
  translateSchemaChange,
} from "./ddl-translation.js";

export interface SchemaChangeApplierOptions {
  config: Pick<PostgresSinkConfig, "name" | "origin" | "helperSchema" | "topics" | "mapping" | "ddl">;
  /** A connection of its own: DDL runs between, never inside, the data transactions. */
  connection: TargetConnection;
  marking: OriginMarking;
  admin: TopicAdmin;
  decoder: EventDecoder;
  createSubscriber: () => EventSubscriber;
  metrics: SinkMetrics;
  logger: Logger;
  /** The topic prefixes whose schema changes to read. */
  prefixes: readonly string[];
}

interface PendingChange {
  readonly topic: string;
  readonly offset: bigint;
  /** `schema.table` (new name) in the source. */
  readonly sourceTable: string;
  readonly prefix: string;
  readonly lsn: bigint | null;
  readonly origin: string;
  readonly change: SchemaChange;
}

interface SchemaChangeValue {
  source: { connector: string; lsn: bigint | null };
  statement: string;
  schema: string | null;
  database: string;
  table: string;
  columns: SchemaChange["columns"];
  key: string[];
  origin: string;
}

const CATCH_UP_TIMEOUT_MS = 60_000;
/** A write and the schema change before it can be in one produce request: look once more after this. */
const SAME_REQUEST_GRACE_MS = 200;

export class SchemaChangeApplier {
  private readonly pending: PendingChange[] = [];
  /** Next offset read, per schema-change topic. */
  private readonly read = new Map<string, bigint>();
  /** Next offset applied, per `topic|schema.table`. */
  private applied = new Map<string, bigint>();
  private readonly seen = new Set<string>();
  private readonly readers = new Map<string, EventSubscriber>();
  private lock: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SchemaChangeApplierOptions) {}

  private get topics(): string[] {
    return this.options.prefixes.map((prefix) => internalTopic(prefix, "schema_changes"));
  }

  async start(): Promise<void> {
    const { connection, config } = this.options;
    await connection.query(createDdlOffsetsTable(config.helperSchema));
    const { rows } = await connection.query<{ topic: string; source_table: string; next_offset: string }>(
      selectDdlOffsets(config.helperSchema, config.name),
    );
    this.applied = new Map(rows.map((row) => [`${row.topic}|${row.source_table}`, BigInt(row.next_offset)]));
    await this.ensureReaders();
    const interval = config.ddl.drainIntervalMs;
    const drain = () => {
      this.timer = setTimeout(() => {
        this.exclusive(() => this.drain())
          .catch((error: unknown) => {
            this.failure ??= error;
          })
          .finally(() => {
            if (this.timer !== undefined) drain();
          });
      }, interval);
    };
    drain();
  }

  /** Starts reading each schema-change topic that exists (a source creates it when it starts streaming). */
  private async ensureReaders(): Promise<void> {
    const missing = this.topics.filter((topic) => !this.readers.has(topic));
    if (missing.length === 0) return;
    const existing = new Set(await this.options.admin.listTopics());
    for (const topic of missing) {
      if (!existing.has(topic)) continue;
      const subscriber = this.options.createSubscriber();
      this.readers.set(topic, subscriber);
      this.read.set(topic, 0n);
      // A throw-away group that never commits: the target's tributary_ddl_offsets says what is applied.
      await subscriber.start({
        groupId: `tributary-ddl-${this.options.config.name}-${randomUUID()}`,
        topics: [topic],
        fromBeginning: true,
        onBatch: async (batch) => this.receive(batch.records),
      });
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.lock.catch(() => undefined);
    await Promise.all(
      [...this.readers.values()].map((subscriber) => subscriber.stop().catch(() => undefined)),
    );
  }

  /** Called before the transaction of `runs` (records of one table topic partition): applies the schema changes they follow. */
  async beforeRuns(runs: readonly (readonly SinkRecord[])[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    for (const records of runs) {
      const first = records.find((record) => record.value !== null);
      if (first?.value == null || first.writer === null) continue;
      const { schema, table, lsn, connector } = first.value.source;
      if (connector !== "postgres" || schema === null) continue;
      const key = `${first.writer.fingerprint}`;
      if (this.seen.has(key)) continue;
      await this.exclusive(async () => {
        await this.catchUp();
        const before = (change: PendingChange) =>
          change.sourceTable === `${schema}.${table}` &&
          (lsn === null || change.lsn === null || change.lsn <= lsn);
        if (!this.pending.some(before)) {
          await sleep(SAME_REQUEST_GRACE_MS);
          await this.catchUp();
        }
        for (const change of this.pending.filter((c) => c.sourceTable === `${schema}.${table}`)) {
          if (lsn !== null && change.lsn !== null && change.lsn > lsn) break;
          await this.applyChange(change);
        }
      });
      this.seen.add(key);
    }
  }

  private receive(records: readonly IncomingRecord[]): Promise<void> {
    return this.options.decoder.decode(records).then((decoded) => {
      for (const [index, record] of decoded.entries()) {
        const incoming = records[index] as IncomingRecord;
        this.read.set(incoming.topic, record.offset + 1n);
        const value = record.value as unknown as SchemaChangeValue | null;
        if (value === null) continue;
        const prefix = topicPrefixOf(incoming.topic);
        const sourceTable = `${value.schema ?? value.database}.${value.table}`;
        if ((this.applied.get(`${incoming.topic}|${sourceTable}`) ?? 0n) > record.offset) continue;
        if (value.source.connector !== "postgres" || value.schema === null) {
          this.skipped(
            sourceTable,
            "other",
            `schema changes of a ${value.source.connector} source are not applied`,
          );
          continue;
        }
        if (!this.selects(tableTopic(prefix, value.schema, value.table))) continue;
        this.pending.push({
          topic: incoming.topic,
          offset: record.offset,
          sourceTable,
          prefix,
          lsn: value.source.lsn,
          origin: value.origin,
          change: {
            schema: value.schema,
            table: value.table,
            columns: value.columns,
            key: value.key,
            statement: value.statement,
          },
        });
      }
    });
  }

  /** Waits until every schema-change topic is read to the end it has now. */
  private async catchUp(): Promise<void> {
    await this.ensureReaders();
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    for (const topic of this.readers.keys()) {
      const end = (await this.options.admin.endOffsets(topic)).get(0) ?? 0n;
      while ((this.read.get(topic) ?? 0n) < end) {
        if (this.failure !== undefined) throw this.failure;
        if (Date.now() > deadline) {
          throw new TributaryError(
            "TRB_KAFKA",
            `could not read ${topic} up to offset ${end} within ${CATCH_UP_TIMEOUT_MS} ms`,
            { retriable: true },
          );
        }
        await sleep(20);
      }
    }
  }

  /** The background pass: changes whose tables' data is applied up to its end. */
  private async drain(): Promise<void> {
    await this.catchUp();
    if (this.pending.length === 0) return;
    const blocked = new Set<string>();
    for (const change of [...this.pending]) {
      if (blocked.has(change.sourceTable)) continue;
      const old = renamedFrom(change.change);
      const topics = [tableTopic(change.prefix, change.change.schema, change.change.table)];
      if (old !== undefined) topics.push(tableTopic(change.prefix, change.change.schema, old));
      if (await this.dataAppliedToEnd(topics)) await this.applyChange(change);
      else blocked.add(change.sourceTable);
    }
  }

  private async dataAppliedToEnd(topics: readonly string[]): Promise<boolean> {
    const { connection, config, admin } = this.options;
    const existing = new Set(await admin.listTopics());
    const { rows } = await connection.query<{ topic: string; partition: number; next_offset: string }>(
      selectOffsets(config.helperSchema, config.name),
    );
    const recorded = new Map(rows.map((row) => [`${row.topic}:${row.partition}`, BigInt(row.next_offset)]));
    for (const topic of topics) {
      if (!existing.has(topic)) continue;
      for (const [partition, end] of await admin.endOffsets(topic)) {
        if (end > 0n && (recorded.get(`${topic}:${partition}`) ?? 0n) < end) return false;
      }
    }
    return true;
  }

  private async applyChange(pending: PendingChange): Promise<void> {
    const { connection, config, marking, metrics, logger } = this.options;
    const index = this.pending.indexOf(pending);
    const { change } = pending;
    let plan: DdlPlan | undefined;
    const marker = await marking.prepare(pending.origin, { lsn: pending.lsn, commitTsMs: null });
    await connection.transaction(async () => {
      const [create, lock] = lockDdlOffset(
        config.helperSchema,
        config.name,
        pending.topic,
        pending.sourceTable,
      );
      await connection.query(create as ReturnType<typeof statement>);
      const { rows } = await connection.query<{ next_offset: string }>(lock as ReturnType<typeof statement>);
      if (BigInt(rows[0]?.next_offset ?? "0") > pending.offset) return;
      if (pending.origin !== config.origin) {
        if (marker !== null) await connection.query(marker);
        const target = await this.shapeOf(change.schema, change.table);
        const old = renamedFrom(change);
        const previous =
          old === undefined ? undefined : { table: old, shape: await this.shapeOf(change.schema, old) };
        plan = translateSchemaChange(
          change,
          target,
          { mapping: config.mapping, drops: config.ddl.drops },
          previous,
        );
        for (const ddl of plan.statements) await connection.query(ddl);
      }
      await connection.query(
        recordDdlOffset(
          config.helperSchema,
          config.name,
          pending.topic,
          pending.sourceTable,
          pending.offset + 1n,
        ),
      );
    });
    if (index >= 0) this.pending.splice(index, 1);
    this.applied.set(`${pending.topic}|${pending.sourceTable}`, pending.offset + 1n);
    if (plan === undefined) return;
    for (const step of plan.applied) metrics.ddl.inc({ table: step.subject, kind: step.kind });
    for (const step of plan.skipped) this.skipped(step.subject, step.kind, step.reason);
    if (plan.applied.length > 0) {
      logger.info(
        { table: pending.sourceTable, offset: pending.offset.toString(), applied: plan.applied },
        "applied a schema change of the source",
      );
    }
  }

  private skipped(subject: string, kind: string, reason: string): void {
    this.options.metrics.ddlSkipped.inc({ kind });
    // "other" is a statement that changed nothing the sink applies (an index, a constraint): not worth a warning.
    const level = kind === "other" ? "info" : "warn";
    this.options.logger[level]({ subject, kind, reason }, "schema change not applied");
  }

  private selects(topic: string): boolean {
    return selectTopics([topic], this.options.config.topics).selected.length > 0;
  }

  private async shapeOf(schema: string, table: string): Promise<TargetTableShape> {
    const name = mapTableName(this.options.config.mapping, schema, table);
    const { rows } = await this.options.connection.query<{
      name: string | null;
      type: string | null;
      present: boolean;
    }>(
      statement(
        "SELECT r.oid IS NOT NULL AS present, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type\n" +
          "FROM (SELECT pg_catalog.to_regclass($1) AS oid) AS r\n" +
          "LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped\n" +
          "ORDER BY a.attnum",
        [qualifiedName(name.schema, name.table)],
      ),
    );
    if (rows[0]?.present !== true) return ABSENT;
    const columns = new Map<string, string>();
    for (const row of rows) if (row.name !== null && row.type !== null) columns.set(row.name, row.type);
    return { exists: true, columns };
  }

  /** One DDL at a time: the batch applier and the background pass share the connection. */
  private exclusive<T>(body: () => Promise<T>): Promise<T> {
    const next = this.lock.then(body, body);
    this.lock = next.catch(() => undefined);
    return next;
  }
}
