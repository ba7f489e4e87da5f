/**
 * Applies a partition's batches exactly once (DESIGN.md section 3). The target is the truth:
 * each transaction applies a run of the partition's events and records, in the same
 * transaction, the offset after them in `tributary_offsets`; Kafka offsets are committed only
 * afterwards, for monitoring and as a hint. When partitions are assigned the sink seeks each to
 * the offset its target recorded, and skips any record before it.
 *
 * The offset is recorded only if it is still the one this instance last saw: after a
 * rebalance another instance may have applied the partition meanwhile, and then this
 * transaction rolls back and the partition moves to the offset the target holds.
 */
import {
  detachedRecord,
  type EventSubscriber,
  type IncomingRecord,
  isRetriable,
  isTributaryError,
  type Logger,
  type RecordBatch,
  type TopicPartition,
  TributaryError,
} from "@tributary/core";
import { type ApplyAction, planApply } from "../apply-plan.js";
import { reduceBatch } from "../batch-reduction.js";
import type { PostgresSinkConfig } from "../config.js";
import type { CheckedRun, ConflictCount, ConflictDetector } from "../conflicts/ConflictDetector.js";
import { splitAtSchemaChanges } from "../ddl/split-at-schema-changes.js";
import type { SinkMetrics } from "../SinkMetrics.js";
import { staleColumnTypes } from "../sql/avro-copy-binary.js";
import type { Dialect } from "../sql/dialect.js";
import type { TableModel } from "../table-model.js";
import { selectOffsets, upsertOffset } from "../target/helper-sql.js";
import type { OriginMarking, ReplayedPosition } from "../target/OriginMarking.js";
import type { TargetConnection } from "../target/TargetConnection.js";
import type { TargetTables } from "../target/TargetTables.js";
import type { SinkRecord } from "./EventDecoder.js";
import { offsetGap } from "./offset-gap.js";
import type { Intake, RecordIntake } from "./RecordIntake.js";
import { planSnapshotCopy } from "./snapshot-copy.js";
import { groupBefore, groupWithout, rejectedRecordError, targetRejection } from "./target-rejection.js";
import { cutTransactions } from "./transaction-cuts.js";
import { groupByOrigin, type SchemaRun, splitBySchema, type TransactionGroup } from "./transaction-groups.js";

export interface BatchApplierOptions {
  config: Pick<
    PostgresSinkConfig,
    "name" | "origin" | "helperSchema" | "batch" | "consumer" | "allowOffsetGaps"
  >;
  connection: TargetConnection;
  /** Decodes, filters and sorts out bad records. */
  intake: RecordIntake;
  tables: TargetTables;
  marking: OriginMarking;
  dialect: Dialect;
  /** Set when `conflicts.detect` is on. */
  conflicts?: ConflictDetector | undefined;
  /** `fail` stops it when a transaction left running after its batch resolved fails. */
  subscriber: Pick<EventSubscriber, "seek" | "commit" | "fail">;
  metrics: SinkMetrics;
  logger: Logger;
  /** Once aborted, a batch stops after the transaction in progress. */
  signal: AbortSignal;
  /** Runs before each transaction with its runs' records (`ddl: apply` applies the schema changes they follow). */
  beforeTransaction?: (runs: readonly (readonly SinkRecord[])[]) => Promise<void>;
}

/** The recorded offset moved under this instance: thrown inside the transaction to roll it back. */
class OffsetMoved extends Error {}

/** Ends the transaction that probed records one by one: thrown to roll it back. */
class ProbeDone extends Error {}

/** The statements that set, release and roll back to the savepoint `name`. */
function savepoint(name: string) {
  return {
    set: { text: `SAVEPOINT ${name}`, values: [] },
    release: { text: `RELEASE SAVEPOINT ${name}`, values: [] },
    rollback: { text: `ROLLBACK TO SAVEPOINT ${name}`, values: [] },
  } as const;
}

/** Around each record applied alone while looking for the records the target rejects. */
const PROBE = savepoint("tributary_probe");
/** Around a direct copy of snapshot rows (see `runAction`). */
const DIRECT_COPY = savepoint("tributary_direct_copy");

/** A group rejected again after its rejected records were set aside is isolated again, this often at most. */
const MAX_REJECTION_ROUNDS = 3;

const positionKey = (topic: string, partition: number) => `${topic}:${partition}`;

export class BatchApplier {
  /**
   * Per assigned partition: the next offset the target recorded (null: none yet), or will have
   * recorded once the transaction in progress commits.
   */
  private positions = new Map<string, bigint | null>();
  /** Moves on when partitions are assigned or repositioned: chunks decoded before do not apply. */
  private epoch = 0;
  /** The transaction in progress while `apply` decodes the next chunk; never rejects. */
  private tail: Promise<void> = Promise.resolve();
  /** The first failure of a transaction started by `apply` (which throws it). */
  private failure: { error: unknown } | undefined;
  /** Kafka offset commits, one after the other; never rejects. */
  private kafkaCommits: Promise<void> = Promise.resolve();
  /** Per table whose last direct copy of snapshot rows failed: runs since (see `directCopyDue`). */
  private readonly directCopyFailures = new Map<string, number>();
  /** Runs planned while the transaction before them ran, by their first record (see `planAhead`). */
  private readonly plannedAhead = new WeakMap<SinkRecord, PlannedAhead>();
  /** `apply` calls and flushes of held records, one at a time; never rejects. */
  private applying: Promise<void> = Promise.resolve();
  /** The last records of a partition's batch, held back to go with its next batch (see `cutTransactions`). */
  private held: HeldRecords | undefined;

  constructor(private readonly options: BatchApplierOptions) {}

  /** `onAssigned`: every assigned partition starts at the offset its target recorded (0 when none). */
  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    // Held records are fetched again from the recorded offsets.
    this.takeHeld();
    await this.applying;
    await this.settled();
    const recorded = await this.recordedOffsets();
    this.positions = new Map();
    this.epoch++;
    for (const { topic, partition } of partitions) {
      const position = recorded.get(positionKey(topic, partition)) ?? null;
      this.positions.set(positionKey(topic, partition), position);
      this.options.subscriber.seek({ topic, partition, offset: position ?? 0n });
    }
    this.options.logger.info(
      { partitions: partitions.map(({ topic, partition }) => `${topic}:${partition}`) },
      "partitions assigned; each resumes at the offset recorded in the target",
    );
  }

  /**
   * `onBatch`: applies the batch's records the target does not hold yet, committing the Kafka
   * offset after each chunk's transaction. A chunk's records are decoded and planned while the
   * transaction of the chunk before runs (one transaction at a time; after a failed one nothing
   * more is applied); the batch resolves once its last transaction committed. The Kafka commits
   * run after the target's without holding up the next transaction. Records short of a full
   * transaction while more wait in the partition are held for its next batch; another
   * partition's batch, or `batch.maxWaitMs` without one, applies them.
   */
  apply(batch: RecordBatch): Promise<void> {
    const applied = this.applying.then(() => this.applyBatch(batch));
    this.applying = applied.catch(() => undefined);
    return applied;
  }

  private async applyBatch(batch: RecordBatch): Promise<void> {
    const { topic, partition } = batch;
    const key = positionKey(topic, partition);
    // Held records of an earlier epoch are fetched again from the recorded offset.
    const held = this.takeHeld();
    const current = held?.epoch === this.epoch ? held : undefined;
    if (current !== undefined && current.key !== key)
      await this.applyRecords(current.topic, current.partition, current.records);
    const before = current?.key === key ? current.records : [];
    const fetched =
      before.length === 0 ? batch.records : after(batch.records, (before.at(-1) as IncomingRecord).offset);
    const moreWaiting = (batch.records.at(-1)?.offset ?? -1n) + 1n < batch.highWatermark;
    await this.applyRecords(
      topic,
      partition,
      before.length === 0 ? fetched : [...before, ...fetched],
      moreWaiting,
    );
  }

  /** The partition's records in transactions; the last few held back when `moreWaiting` (see `apply`). */
  private async applyRecords(
    topic: string,
    partition: number,
    incoming: readonly IncomingRecord[],
    moreWaiting = false,
  ): Promise<void> {
    const key = positionKey(topic, partition);
    if (!this.positions.has(key)) {
      await this.settled();
      this.positions.set(key, (await this.recordedOffsets()).get(key) ?? null);
    }
    const epoch = this.epoch;
    // The position the target holds once the transactions started so far commit.
    const position = this.positions.get(key) ?? null;
    const records = position === null ? incoming : after(incoming, position - 1n);
    const first = records[0];
    if (first === undefined) return;
    if (position !== null && first.offset > position) {
      const gap = offsetGap(topic, partition, position, first.offset);
      if (!this.options.config.allowOffsetGaps) throw gap;
      this.options.logger.warn(
        { ...gap.details },
        "allowOffsetGaps: applying on after a gap in the partition",
      );
    }
    const { config } = this.options;
    const { transactions, held } = cutTransactions(
      records,
      { maxEvents: config.batch.maxEvents, maxBytes: config.consumer.fetchMaxBytes },
      moreWaiting,
    );
    for (const chunk of transactions) {
      if (this.options.signal.aborted) break;
      const intake = await this.options.intake.take(chunk);
      const groups = groupByOrigin(intake.records, this.options.config.origin);
      this.planAhead(groups);
      // One transaction at a time: the one before must have committed (throws when it failed).
      await this.settled();
      // The transaction before found the offset moved and repositioned the partition.
      if (this.epoch !== epoch) return;
      const expected = this.positions.get(key) ?? null;
      this.tail = this.applyIntake(topic, partition, chunk, intake, groups, expected).catch(
        (error: unknown) => this.fail(error),
      );
      if (intake.stop !== null) {
        await this.settled();
        return;
      }
      this.positions.set(key, (chunk.at(-1) as IncomingRecord).offset + 1n);
    }
    // A batch ends with its last transaction. Left running while the next batch was decoded, a
    // copy of snapshot rows kept two batches' records alive, and the garbage collector's copying
    // of them cost more than the overlap won: measured on 1,000,000 rows, the sink alone used
    // 6.0-6.7 CPU s against 6.1-7.4 (peak RSS 219-235 against 240-253 MB), and end to end it was
    // faster in 4 of 5 runs.
    await this.settled();
    // The wait for the next batch starts only now: a transaction may take longer than maxWaitMs.
    if (held.length > 0 && !this.options.signal.aborted)
      this.hold({ key, topic, partition, epoch, records: held.map(detachedRecord) });
  }

  /**
   * Waits for the transaction and the Kafka commits still running (the subscriber leaves the
   * group only afterwards). Held records are dropped: the next start fetches them again.
   */
  async drain(): Promise<void> {
    this.takeHeld();
    await this.applying;
    await this.tail;
    await this.kafkaCommits;
  }

  /** Keeps `held` for the partition's next batch, or applies it after `batch.maxWaitMs` without one. */
  private hold(held: Omit<HeldRecords, "timer">): void {
    const timer = setTimeout(() => {
      if (this.held?.timer !== timer || this.failure !== undefined) return;
      const flushed = this.applying.then(async () => {
        const records = this.takeHeld();
        if (records !== undefined && records.epoch === this.epoch)
          await this.applyRecords(records.topic, records.partition, records.records);
      });
      this.applying = flushed.catch((error: unknown) => this.fail(error));
    }, this.options.config.batch.maxWaitMs);
    this.held = { ...held, timer };
  }

  /** The held records, no longer held. */
  private takeHeld(): HeldRecords | undefined {
    const held = this.held;
    if (held !== undefined) clearTimeout(held.timer);
    this.held = undefined;
    return held;
  }

  /** The transaction in progress has ended; throws when a transaction failed. */
  private async settled(): Promise<void> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure.error;
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = { error };
    this.options.subscriber.fail(error);
  }

  /**
   * Plans the run of a chunk that will be one transaction of one run (the common case) while the
   * transaction before it runs, when its table's model is known already and nothing planned
   * depends on the target's rows (no conflict detection): planning is pure, so `applyRun` gives
   * the same actions from it as it would plan itself.
   */
  private planAhead(groups: readonly TransactionGroup<SinkRecord>[]): void {
    const { tables, conflicts } = this.options;
    if (conflicts !== undefined) return;
    const group = groups[0];
    if (groups.length !== 1 || group === undefined || group.origin === null) return;
    const runs = splitBySchema(group.records);
    const run = runs[0];
    if (runs.length !== 1 || run === undefined) return;
    const first = run.records[0] as SinkRecord;
    const model = first.writer === null ? undefined : tables.prepared(first.writer);
    if (model === undefined) return;
    const directCopy = isSnapshotRun(run.records) && this.directCopyDueNext(`${model.schema}.${model.table}`);
    const planned = this.plan(run, model, 0, directCopy);
    this.plannedAhead.set(first, {
      last: run.records.at(-1) as SinkRecord,
      count: run.records.length,
      model,
      directCopy,
      ...planned,
    });
  }

  /** The actions that apply `run` (the records the conflict policy kept, when it checked them). */
  private plan(
    run: SchemaRun<SinkRecord>,
    model: TableModel,
    index: number,
    directCopy: boolean,
    checked?: CheckedRun<SinkRecord>,
  ): { actions: readonly ApplyAction[]; fromAvro: boolean } {
    const { config, dialect } = this.options;
    const plan = {
      copyThreshold: config.batch.copyThreshold,
      stagingPrefix: `tributary_stage_${index}`,
      directCopy,
    };
    const fromAvro = directCopy ? planSnapshotCopy(run.records, model, dialect, plan) : undefined;
    if (fromAvro !== undefined) return { actions: fromAvro, fromAvro: true };
    return {
      actions: planApply(reduceBatch(checked?.records ?? run.records, model.keyFields), model, dialect, plan),
      fromAvro: false,
    };
  }

  /** The actions `planAhead` planned for `run`, if it planned this very run with `model` and `directCopy`. */
  private takePlannedAhead(
    run: SchemaRun<SinkRecord>,
    model: TableModel,
    directCopy: boolean,
  ): { actions: readonly ApplyAction[]; fromAvro: boolean } | undefined {
    const first = run.records[0];
    if (first === undefined) return undefined;
    const planned = this.plannedAhead.get(first);
    if (planned === undefined) return undefined;
    this.plannedAhead.delete(first);
    const same =
      planned.count === run.records.length &&
      planned.last === run.records.at(-1) &&
      planned.model === model &&
      planned.directCopy === directCopy;
    return same ? planned : undefined;
  }

  /**
   * A chunk's transactions, in order, starting at `expected`, then the Kafka commit (not awaited);
   * throws the bad record's error it stops at.
   */
  private async applyIntake(
    topic: string,
    partition: number,
    chunk: readonly IncomingRecord[],
    intake: Intake,
    groups: readonly TransactionGroup<SinkRecord>[],
    expected: bigint | null,
  ): Promise<void> {
    const key = positionKey(topic, partition);
    let position = expected;
    let stop = intake.stop;
    applying: for (const whole of groups) {
      // ddl: apply — a schema change between two runs is applied between their transactions.
      const transactions = this.options.beforeTransaction ? splitAtSchemaChanges(whole) : [whole];
      for (const group of transactions) {
        const outcome = await this.applyTolerating(topic, partition, group, position, chunk);
        if (outcome.moved) {
          await this.reposition(topic, partition);
          return;
        }
        position = outcome.nextOffset;
        if (outcome.stop !== null) {
          stop = outcome.stop;
          break applying;
        }
      }
    }
    if (position !== null && position !== expected) this.commitKafka(topic, partition, position);
    if (stop !== null) {
      this.positions.set(key, position);
      await this.kafkaCommits;
      throw stop;
    }
  }

  /**
   * Applies the group; when the target rejects a value, finds the records it rejects and treats
   * them as bad records: with `errors.tolerance: none` the records before the first are applied
   * and the sink stops at it; with `all` they go to the dead-letter topic and the rest is applied.
   */
  private async applyTolerating(
    topic: string,
    partition: number,
    group: TransactionGroup<SinkRecord>,
    expected: bigint | null,
    /** The fetched records of the group (and maybe others), in offset order. */
    incoming: readonly IncomingRecord[],
  ): Promise<{ moved: boolean; nextOffset: bigint; stop: TributaryError | null }> {
    const deadLetters = this.options.intake.deadLetters;
    let current = group;
    for (let round = 1; ; round++) {
      try {
        const applied = await this.applyGroup(topic, partition, current, expected);
        return { moved: !applied, nextOffset: current.nextOffset, stop: null };
      } catch (error) {
        if (targetRejection(error) === null || round > MAX_REJECTION_ROUNDS) throw error;
        const rejected = await this.findRejected(topic, partition, current, deadLetters === null);
        if (rejected.length === 0) throw error;
        // Only here (rarely) are the fetched records looked up by offset.
        const byOffset = new Map(incoming.map((record) => [record.offset, record]));
        const named = rejected.map(({ index, rejection }) => {
          const event = current.records[index] as SinkRecord;
          const record = byOffset.get(event.offset) as IncomingRecord;
          return {
            index,
            record,
            error: rejectedRecordError(record, event, rejection, deadLetters === null),
          };
        });
        const first = named[0] as (typeof named)[number];
        if (deadLetters === null) {
          const before = groupBefore(current, first.index);
          const applied =
            before.records.length === 0 || (await this.applyGroup(topic, partition, before, expected));
          return { moved: !applied, nextOffset: before.nextOffset, stop: first.error };
        }
        await deadLetters.send(named.map(({ record, error: reason }) => ({ record, error: reason })));
        current = groupWithout(current, new Set(named.map(({ index }) => index)));
      }
    }
  }

  /**
   * The records of a group the target rejects when applied one by one in order, each in a
   * savepoint (the first only, when `firstOnly`); everything is rolled back afterwards.
   */
  private async findRejected(
    topic: string,
    partition: number,
    group: TransactionGroup<SinkRecord>,
    firstOnly: boolean,
  ): Promise<{ index: number; rejection: NonNullable<ReturnType<typeof targetRejection>> }[]> {
    const { connection } = this.options;
    const models = new Map<string, TableModel>();
    for (const run of splitBySchema(group.records)) {
      if (!models.has(run.schema)) models.set(run.schema, await this.prepare(run, group.origin));
    }
    const rejected: { index: number; rejection: NonNullable<ReturnType<typeof targetRejection>> }[] = [];
    const probe = async () => {
      for (const [index, record] of group.records.entries()) {
        if (record.schema === null) continue;
        await connection.query(PROBE.set);
        try {
          await this.applyRun(
            { schema: record.schema, records: [record] },
            models.get(record.schema) as TableModel,
            0,
            topic,
            partition,
          );
          await connection.query(PROBE.release);
        } catch (error) {
          const rejection = targetRejection(error);
          if (rejection === null) throw error;
          rejected.push({ index, rejection });
          if (firstOnly) break;
          await connection.query(PROBE.rollback);
        }
      }
      throw new ProbeDone();
    };
    await connection.transaction(probe).catch((error: unknown) => {
      if (!(error instanceof ProbeDone)) throw error;
    });
    if (rejected.length > 0) {
      this.options.logger.warn(
        { topic, partition, offsets: rejected.map(({ index }) => group.records[index]?.offset.toString()) },
        "the target rejected records of a batch; isolated them one by one",
      );
    }
    return rejected;
  }

  /** One transaction: marker, the group's runs, its offset. False when the recorded offset moved. */
  private async applyGroup(
    topic: string,
    partition: number,
    group: TransactionGroup<SinkRecord>,
    expected: bigint | null,
  ): Promise<boolean> {
    const { connection, marking, metrics, config } = this.options;
    const runs = splitBySchema(group.records);
    await this.options.beforeTransaction?.(runs.map((run) => run.records));
    // DDL first, each in its own committed transaction: the data transaction needs it in place.
    const models: TableModel[] = [];
    for (const run of runs) models.push(await this.prepare(run, group.origin));
    const marker = await marking.prepare(group.origin, replayedPosition(group.records));
    const started = process.hrtime.bigint();
    const conflicts: ConflictCount[][] = [];
    try {
      await connection.transaction(async () => {
        if (marker !== null) connection.sendAhead(marker);
        for (const [index, run] of runs.entries()) {
          conflicts[index] = await this.applyRun(run, models[index] as TableModel, index, topic, partition);
        }
        const recorded = await connection.query(
          upsertOffset(config.helperSchema, config.name, topic, partition, group.nextOffset, expected),
        );
        if (recorded.rowCount === 0) throw new OffsetMoved();
      });
    } catch (error) {
      if (error instanceof OffsetMoved) return false;
      throw error;
    }
    metrics.applySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    metrics.transactions.inc();
    if (group.dropped > 0) metrics.droppedByOrigin.inc({ origin: config.origin }, group.dropped);
    let lastCommitMs: bigint | null = null;
    for (const [index, run] of runs.entries()) {
      const model = models[index] as TableModel;
      const table = `${model.schema}.${model.table}`;
      for (const { kind, resolution } of conflicts[index] ?? [])
        metrics.conflicts.inc({ table, kind, resolution });
      // Counted per op for the whole run: one counter update per op, not per event.
      const perOp = new Map<string, number>();
      for (const record of run.records) {
        const value = record.value;
        if (value === null) continue;
        perOp.set(value.op, (perOp.get(value.op) ?? 0) + 1);
        const commitMs = value.source.commitTsMs;
        if (commitMs !== null && (lastCommitMs === null || commitMs > lastCommitMs)) lastCommitMs = commitMs;
      }
      for (const [op, count] of perOp) metrics.events.inc({ table, op }, count);
    }
    if (lastCommitMs !== null) metrics.commitToApplyMs.set(Date.now() - Number(lastCommitMs));
    return true;
  }

  private async prepare(run: SchemaRun<SinkRecord>, origin: string | null): Promise<TableModel> {
    const first = run.records[0] as SinkRecord;
    return this.options.tables.prepare(
      first.writer as NonNullable<SinkRecord["writer"]>,
      first.value?.source.connector ?? "postgres",
      origin,
    );
  }

  private async applyRun(
    run: SchemaRun<SinkRecord>,
    model: TableModel,
    index: number,
    topic: string,
    partition: number,
  ): Promise<ConflictCount[]> {
    const { connection, conflicts } = this.options;
    let checked: CheckedRun<SinkRecord> | undefined;
    if (conflicts !== undefined) {
      // The events to apply are those the conflict policy keeps (TRB_SINK_CONFLICT stops here with `fail`).
      try {
        checked = await conflicts.check(run.records, model, { topic, partition });
      } catch (error) {
        throw isTributaryError(error) ? error : applyFailure(error, model, topic, partition, run.records);
      }
    }
    const table = `${model.schema}.${model.table}`;
    const directCopy = checked === undefined && isSnapshotRun(run.records) && this.directCopyDue(table);
    const { actions, fromAvro } =
      (checked === undefined && index === 0 ? this.takePlannedAhead(run, model, directCopy) : undefined) ??
      this.plan(run, model, index, directCopy, checked);
    try {
      for (const action of actions) await this.runAction(action, table);
      if (checked?.record) await connection.query(checked.record);
    } catch (error) {
      throw applyFailure(error, model, topic, partition, run.records);
    }
    for (const action of fromAvro ? actions : []) {
      if (action.kind === "copy") this.options.metrics.rowsCopiedFromAvro.inc({ table }, action.rows);
    }
    return [...(checked?.conflicts ?? [])];
  }

  private async runAction(action: ApplyAction, table: string): Promise<void> {
    const { connection, metrics } = this.options;
    switch (action.kind) {
      case "statement":
        await connection.query(action.statement);
        return;
      case "copy":
        if (action.fallback === undefined) {
          await connection.copy(action.copy, action.data);
          metrics.copiedRows.inc({ table }, action.rows);
          return;
        }
        connection.sendAhead(DIRECT_COPY.set);
        try {
          await connection.copy(action.copy, action.data);
        } catch (error) {
          if (isTributaryError(error, "TRB_SINK_TARGET_UNREACHABLE")) throw error;
          // Mostly a key the table holds already: merge the same rows through a staging table.
          await connection.query(DIRECT_COPY.rollback);
          this.directCopyFailures.set(table, 1);
          this.options.logger.debug(
            { table, err: error },
            "copying snapshot rows straight into the table failed; merging them through a staging table",
          );
          for (const fallback of action.fallback) await this.runAction(fallback, table);
          return;
        }
        connection.sendAhead(DIRECT_COPY.release);
        this.directCopyFailures.delete(table);
        metrics.copiedRows.inc({ table }, action.rows);
        return;
    }
  }

  /**
   * Whether to copy a table's snapshot rows straight into it: yes, except after a failed try
   * (rows it held already), when only every DIRECT_COPY_RETRY_EVERY-th run tries again.
   */
  private directCopyDue(table: string): boolean {
    const due = this.directCopyDueNext(table);
    const failures = this.directCopyFailures.get(table);
    if (failures !== undefined) this.directCopyFailures.set(table, failures + 1);
    return due;
  }

  /** What `directCopyDue` says for the table's next run, without counting a run (for `planAhead`). */
  private directCopyDueNext(table: string): boolean {
    const failures = this.directCopyFailures.get(table);
    return failures === undefined || failures % DIRECT_COPY_RETRY_EVERY === 0;
  }

  /** Another instance applied the partition meanwhile: continue from what the target holds. */
  private async reposition(topic: string, partition: number): Promise<void> {
    const position = (await this.recordedOffsets()).get(positionKey(topic, partition)) ?? null;
    this.epoch++;
    this.positions.set(positionKey(topic, partition), position);
    this.options.subscriber.seek({ topic, partition, offset: position ?? 0n });
    this.options.logger.warn(
      { topic, partition, recorded: position?.toString() },
      "the target recorded another offset for the partition than this instance expected (another instance of the " +
        "sink applied it meanwhile); rolled back and continuing from the target's offset",
    );
  }

  private async recordedOffsets(): Promise<Map<string, bigint>> {
    const { rows } = await this.options.connection.query<{
      topic: string;
      partition: number;
      next_offset: string;
    }>(selectOffsets(this.options.config.helperSchema, this.options.config.name));
    return new Map(rows.map((row) => [positionKey(row.topic, row.partition), BigInt(row.next_offset)]));
  }

  /**
   * Commits the Kafka offset after the commits before it, without waiting: Kafka's offset only
   * follows the target's, so a failed commit (e.g. during a rebalance) loses nothing.
   */
  private commitKafka(topic: string, partition: number, offset: bigint): void {
    this.kafkaCommits = this.kafkaCommits.then(async () => {
      try {
        await this.options.subscriber.commit([{ topic, partition, offset }]);
      } catch (error) {
        this.options.logger.warn(
          { err: error, topic, partition, offset: offset.toString() },
          "could not commit the consumer group's offset; the target holds the position, so nothing is lost",
        );
      }
    });
  }
}

/**
 * A run's actions planned while the transaction before it ran: used for the run when it starts
 * with `first`, ends with `last`, has `count` records and is applied with `model`, as planned.
 */
interface PlannedAhead {
  readonly last: SinkRecord;
  readonly count: number;
  readonly model: TableModel;
  readonly directCopy: boolean;
  readonly actions: readonly ApplyAction[];
  /** Whether the actions copy snapshot rows straight from their Avro bytes. */
  readonly fromAvro: boolean;
}

/** The records past `offset` of a partition's `records` (in offset order): `records` itself when that is all of them. */
function after(records: readonly IncomingRecord[], offset: bigint): readonly IncomingRecord[] {
  let first = 0;
  while (first < records.length && (records[first] as IncomingRecord).offset <= offset) first++;
  return first === 0 ? records : records.slice(first);
}

/** Records of a partition held back from a batch to go with its next (see `cutTransactions`). */
interface HeldRecords {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  /** `BatchApplier.epoch` when they were held: after a seek they are fetched again. */
  readonly epoch: number;
  readonly records: readonly IncomingRecord[];
  readonly timer: NodeJS.Timeout;
}

/** After a failed direct copy into a table, only every this many runs of it try again. */
const DIRECT_COPY_RETRY_EVERY = 16;

/** Snapshot rows only (op `r`; tombstones and filtered placeholders aside). */
function isSnapshotRun(records: readonly SinkRecord[]): boolean {
  let rows = 0;
  for (const { value } of records) {
    if (value === null) continue;
    if (value.op !== "r") return false;
    rows++;
  }
  return rows > 0;
}

/** The last source position and commit time among a transaction's records. */
function replayedPosition(records: readonly SinkRecord[]): ReplayedPosition {
  let lsn: bigint | null = null;
  let commitTsMs: bigint | null = null;
  for (const { value } of records) {
    if (value === null) continue;
    const source = value.source;
    if (source.lsn !== null && (lsn === null || source.lsn > lsn)) lsn = source.lsn;
    if (source.commitTsMs !== null && (commitTsMs === null || source.commitTsMs > commitTsMs))
      commitTsMs = source.commitTsMs;
  }
  return { lsn, commitTsMs };
}

/** A failed statement, naming the table and the offsets it applied (never row values). */
function applyFailure(
  error: unknown,
  model: TableModel,
  topic: string,
  partition: number,
  records: readonly Pick<IncomingRecord, "offset">[],
): unknown {
  if (isTributaryError(error) && error.code === "TRB_SINK_TARGET_UNREACHABLE") return error;
  const first = records[0]?.offset;
  const last = records.at(-1)?.offset;
  const state = (error as { code?: unknown }).code;
  const reason = isTributaryError(error) ? error.reason : (error as Error).message;
  const stale = staleColumnTypes(error);
  return new TributaryError(
    "TRB_SINK_APPLY",
    `applying offsets ${first}-${last} of ${topic} partition ${partition} to ${model.schema}.${model.table} failed: ` +
      `${reason}${typeof state === "string" && !isTributaryError(error) ? ` (SQLSTATE ${state})` : ""}` +
      (stale
        ? "; the binary COPY data did not fit a column's type: the table's column types changed since the sink " +
          "read them, and the sink reads them again when it retries"
        : ""),
    {
      retriable: stale || isRetriable(error),
      cause: error,
      details: {
        topic,
        partition,
        table: `${model.schema}.${model.table}`,
        first: first?.toString(),
        last: last?.toString(),
      },
    },
  );
}
