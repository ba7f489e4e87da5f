/**
 * A decoded row → the `row` a row filter sees: a map from SOURCE column name (as in the source
 * database, before any mapping) to a CEL value, by the column's Avro type:
 *
 * | column type                         | in the expression                                             |
 * |-------------------------------------|---------------------------------------------------------------|
 * | null (any type)                     | `null` (`row.note == null`; `row.amount > 1` on null fails)   |
 * | boolean                             | bool                                                          |
 * | int, long (all integer widths)      | int                                                           |
 * | float, double                       | double                                                        |
 * | decimal / numeric                   | double (NaN, ±Infinity included; beyond ~15 digits rounded)   |
 * | text, enum, json, uuid, interval, … | string (the source's text form)                               |
 * | bytea / BLOB                        | bytes (`row.photo == b'\x00'`, `size(row.photo)`)             |
 * | timestamp, timestamptz, datetime    | timestamp, to the millisecond; timestamp without time zone as UTC; ±infinity as the CEL limits 0001-01-01 / 9999-12-31 |
 * | date                                | string `YYYY-MM-DD` (`row.ship_date >= '2024-03-01'`; `infinity`, `-infinity`, `… BC` as PostgreSQL writes them) |
 * | time                                | string `HH:MM:SS[.ffffff]`                                    |
 * | arrays                              | list of the above                                             |
 */
import type {
  AvroRecordSchema,
  AvroSchema,
  ColumnType,
  ColumnValue,
  Row,
  WriterSchema,
} from "@tributary/core";
import { columnNameOf } from "@tributary/core";
import { avroColumnType } from "../avro-column-type.js";
import {
  formatDate,
  formatTime,
  TIMESTAMP_NEGATIVE_INFINITY,
  TIMESTAMP_POSITIVE_INFINITY,
} from "../datetime-format.js";
import { rowRecord } from "../table-model.js";

export type CelValue = null | boolean | bigint | number | string | Buffer | Date | CelValue[];
export type CelRow = Record<string, CelValue>;

/** CEL's own timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
const CEL_MIN_MS = -62_135_596_800_000;
const CEL_MAX_MS = 253_402_300_799_999;

type Convert = (value: ColumnValue) => CelValue;

interface FieldView {
  readonly field: string;
  readonly column: string;
  readonly convert: Convert;
}

const views = new WeakMap<WriterSchema, readonly FieldView[]>();

/** The `row` of `image` written under `writer`; a field missing from the image reads null. */
export function celRow(writer: WriterSchema, image: Row): CelRow {
  let fields = views.get(writer);
  if (fields === undefined) {
    fields = fieldViews(rowRecord(writer.schema as AvroRecordSchema, "the writer schema"));
    views.set(writer, fields);
  }
  const row: CelRow = {};
  for (const { field, column, convert } of fields) {
    const value = image[field];
    row[column] = value === null || value === undefined ? null : convert(value);
  }
  return row;
}

function fieldViews(record: AvroRecordSchema): FieldView[] {
  return record.fields.map((field) => ({
    field: field.name,
    column: columnNameOf(field),
    convert: converter(avroColumnType(field.type as AvroSchema, `field ${field.name}`).type),
  }));
}

function converter(type: ColumnType): Convert {
  switch (type.kind) {
    case "int":
      return (value) => BigInt(value as number);
    case "decimal":
      return (value) => Number(value as string);
    case "date":
      return (value) => formatDate(value as number);
    case "time-micros":
      return (value) => formatTime(value as bigint);
    case "timestamp-micros":
    case "local-timestamp-micros":
      return (value) => timestamp(value as bigint);
    case "array": {
      const item = converter(type.items);
      return (value) => (value as ColumnValue[]).map((element) => (element === null ? null : item(element)));
    }
    default:
      // boolean, long (already a bigint), float, double, string, uuid, bytes: as they are.
      return (value) => value as CelValue;
  }
}

function timestamp(micros: bigint): Date {
  if (micros === TIMESTAMP_POSITIVE_INFINITY) return new Date(CEL_MAX_MS);
  if (micros === TIMESTAMP_NEGATIVE_INFINITY) return new Date(CEL_MIN_MS);
  const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
  return new Date(Math.min(CEL_MAX_MS, Math.max(CEL_MIN_MS, ms)));
}
