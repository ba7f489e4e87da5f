/**
 * Kafka records → the events a batch applies: decoded, passed through the table filters, with
 * bad records (unreadable, or a row filter that fails on them) handled by `errors.tolerance`:
 *
 * - none: the records before the first bad one are returned with `stop`, the coded error the
 *   caller throws after applying them — nothing past the bad record is applied or recorded;
 * - all: bad records go to the dead-letter topic (acknowledged before this resolves) and are
 *   replaced by placeholders without a value, whose offsets the batch records like any other.
 *
 * A record that could not be read for a passing reason (the schema store out of reach) is no
 * bad record: that error is thrown as it is, and the batch is retried.
 */
import {
  type IncomingRecord,
  isRetriable,
  isTributaryError,
  type Logger,
  TributaryError,
} from "@tributary/core";
import type { BadRecord, DeadLetterQueue } from "../dead-letter/DeadLetterQueue.js";
import { type EventFilter, sourceTableOf } from "../filters/EventFilter.js";
import { RowExpressionFailed } from "../filters/row-expression.js";
import type { SinkMetrics } from "../SinkMetrics.js";
import type { EventDecoder, SinkRecord } from "./EventDecoder.js";

export interface RecordIntakeOptions {
  decoder: Pick<EventDecoder, "decodeRecord"> & Partial<Pick<EventDecoder, "decodeKnownRecord">>;
  filter: EventFilter;
  /** Null with `errors.tolerance: none`. */
  deadLetters: DeadLetterQueue | null;
  /** Events of this origin are left to loop prevention, unfiltered. */
  ownOrigin: string;
  metrics: SinkMetrics;
  logger: Logger;
}

export interface Intake {
  /** In offset order, one per record up to the first bad one (none) or every record (all). */
  readonly records: SinkRecord[];
  /** The bad record the sink stops at (tolerance none), to throw once `records` are applied. */
  readonly stop: TributaryError | null;
}

export class RecordIntake {
  constructor(private readonly options: RecordIntakeOptions) {}

  /** Where bad records go with `errors.tolerance: all`; null with `none`. */
  get deadLetters(): DeadLetterQueue | null {
    return this.options.deadLetters;
  }

  async take(records: readonly IncomingRecord[]): Promise<Intake> {
    const { deadLetters } = this.options;
    const taken: SinkRecord[] = [];
    const bad: BadRecord[] = [];
    // An index loop: in this async function, for-of made an iterator result object per record.
    for (let index = 0; index < records.length; index++) {
      const record = records[index] as IncomingRecord;
      const decoded = this.decodeKnown(record) ?? (await this.decode(record));
      const result = decoded instanceof TributaryError ? decoded : this.filterOne(record, decoded);
      if (!(result instanceof TributaryError)) {
        taken.push(result);
        continue;
      }
      if (deadLetters === null) return { records: taken, stop: stopAt(result) };
      bad.push({ record, error: result });
      taken.push({ offset: record.offset, key: null, value: null, schema: null, writer: null });
    }
    await deadLetters?.send(bad);
    return { records: taken, stop: null };
  }

  /** The decoded record or the error that makes it a bad record; undefined when its schemas must be looked up. */
  private decodeKnown(record: IncomingRecord): SinkRecord | TributaryError | undefined {
    try {
      return this.options.decoder.decodeKnownRecord?.(record);
    } catch (error) {
      return badRecord(error);
    }
  }

  private async decode(record: IncomingRecord): Promise<SinkRecord | TributaryError> {
    try {
      return await this.options.decoder.decodeRecord(record);
    } catch (error) {
      return badRecord(error);
    }
  }

  /** The record to apply after the filters, or the error that makes it a bad record. */
  private filterOne(record: IncomingRecord, decoded: SinkRecord): SinkRecord | TributaryError {
    const { filter, ownOrigin, metrics } = this.options;
    const value = decoded.value;
    if (!filter.active || value === null || value.origin === ownOrigin) return decoded;
    try {
      const { record: filtered, outcome } = filter.apply(decoded);
      if (outcome !== "kept") {
        metrics.filtered.inc({
          table: sourceTableOf(value),
          op: value.op,
          result: outcome.replace("-", "_"),
        });
      }
      return filtered;
    } catch (error) {
      if (!(error instanceof RowExpressionFailed)) throw error;
      return new TributaryError(
        "TRB_SINK_FILTER",
        `the row filter of ${sourceTableOf(value)} failed on the ${value.op} event at offset ${record.offset} of ` +
          `${record.topic} partition ${record.partition}: ${error.reason}`,
        {
          details: {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset.toString(),
            table: sourceTableOf(value),
          },
        },
      );
    }
  }
}

/** A decode failure of the record itself, as a bad record; any other error (e.g. the schema store out of reach) is thrown. */
function badRecord(error: unknown): TributaryError {
  if (!isTributaryError(error, "TRB_SINK_DECODE") || isRetriable(error)) throw error;
  return error;
}

/** The error the sink stops with at a bad record, saying how to go on. */
function stopAt(error: TributaryError): TributaryError {
  return new TributaryError(
    error.code,
    `${error.reason}. The target and the consumer group hold the offset of this record; fix the cause (e.g. the ` +
      "row filter) and restart, or set errors.tolerance: all to send bad records to the dead-letter topic and go on",
    { cause: error, details: error.details },
  );
}
