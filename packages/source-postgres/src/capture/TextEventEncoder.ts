import {
  ARRAY_LOWER_BOUNDS_FIELD,
  type ArrayLowerBounds,
  AvroBinaryWriter,
  type AvroRecordSchema,
  type AvroSchema,
  collectArrayLowerBounds,
  type Envelope,
  type PartEncoder,
  partEncoder,
  recordPartEncoder,
  type SourceInfo,
  singleObjectHeader,
} from "@tributary/core";
import type { TupleData } from "../replication/pgoutput-messages.js";
import { BACKSLASH, isCopyNull, NEWLINE, TAB, unescapeField, utf8Text } from "../snapshot/copy-text.js";
import { explicitLowerBounds } from "../types/array-literal.js";
import type { CapturedTable } from "./CapturedTable.js";
import {
  type CopyFieldWriter,
  copyFieldWriter,
  type TextColumnWriter,
  textColumnWriter,
} from "./text-column-writers.js";

/** The key and value messages of one event. */
export interface EncodedEvent {
  key: Buffer | null;
  value: Buffer;
}

const NULL_BRANCH = 0;
const VALUE_BRANCH = 2;
const EMPTY_ARRAY = 0;
const BRACKET = 91; // [ : an array's text with explicit bounds starts with it
const SAFE_LONG = 2 ** 52;

/** One writer for every table: the snapshot encodes one row at a time, on one thread. */
const output = new AvroBinaryWriter();
const encoders = new WeakMap<CapturedTable, TextEventEncoder>();

/**
 * Encodes a table's snapshot events straight from the rows' text values into the key and value
 * messages `encode` would write for the envelope (DESIGN.md section 2), with no row object in
 * between. The key message is the key columns' field bytes of the value message, in key order,
 * behind the key schema's header: key and row fields share their Avro types.
 */
export class TextEventEncoder {
  private readonly columns: readonly (TextColumnWriter | null)[];
  private readonly copyColumns: readonly (CopyFieldWriter | null)[];
  /** Tuple positions of the key columns, in key order. */
  private readonly keyPositions: readonly number[];
  private readonly valueHeader: Readonly<Uint8Array>;
  private readonly keyHeader: Readonly<Uint8Array> | null;
  private readonly encodeSource: PartEncoder;
  private readonly encodeTransaction: PartEncoder;
  private readonly fieldStarts: Int32Array;
  private readonly fieldEnds: Int32Array;
  /** Field positions of the before image of a change (the after image's are `fieldStarts`/`fieldEnds`). */
  private readonly beforeStarts: Int32Array;
  private readonly beforeEnds: Int32Array;
  /** Tuple positions and fields of the array columns. */
  private readonly arrayPositions: readonly number[];
  private readonly arrayFields: readonly string[];
  /** Writes `array_lower_bounds`; null when the table has no array column, and so no such field. */
  private readonly encodeArrayBounds: PartEncoder | null;
  /** Where each field of the last COPY line starts. */
  private readonly copyStarts: Int32Array;
  private lastSource: SourceInfo | undefined;
  private lastOrigin: string | undefined;
  private lastMiddle: Buffer | undefined;

  private constructor(table: CapturedTable) {
    const fieldTypes = rowFieldTypes(table.valueSchema.schema);
    const columns = table.byPosition.map((column) => {
      if (column === null) return null;
      const fieldType = fieldTypes.get(column.field);
      if (fieldType === undefined) throw new Error(`the value schema has no field ${column.field}`);
      const general = partEncoder(table.valueSchema, ["after", column.field]);
      const text = textColumnWriter(column.parse, fieldType, general);
      return { text, copy: copyFieldWriter(text, column.parse, fieldType) };
    });
    this.columns = columns.map((column) => column?.text ?? null);
    this.copyColumns = columns.map((column) => column?.copy ?? null);
    this.keyPositions = table.keyFields.map((field) =>
      table.byPosition.findIndex((column) => column?.field === field),
    );
    if (this.keyPositions.includes(-1)) throw new Error("a key field is not among the row's fields");
    this.valueHeader = singleObjectHeader(table.valueSchema);
    this.keyHeader = table.keySchema === null ? null : singleObjectHeader(table.keySchema);
    this.encodeSource = recordPartEncoder(table.valueSchema, ["source"]);
    this.encodeTransaction = recordPartEncoder(table.valueSchema, ["transaction"]);
    this.fieldStarts = new Int32Array(table.byPosition.length);
    this.fieldEnds = new Int32Array(table.byPosition.length);
    this.beforeStarts = new Int32Array(table.byPosition.length);
    this.beforeEnds = new Int32Array(table.byPosition.length);
    this.arrayFields = table.arrayFields;
    this.arrayPositions = table.arrayFields.map((field) =>
      table.byPosition.findIndex((column) => column?.field === field),
    );
    this.encodeArrayBounds =
      table.arrayFields.length === 0 ? null : partEncoder(table.valueSchema, [ARRAY_LOWER_BOUNDS_FIELD]);
    this.copyStarts = new Int32Array(table.byPosition.length);
  }

  static of(table: CapturedTable): TextEventEncoder {
    let encoder = encoders.get(table);
    if (encoder === undefined) {
      encoder = new TextEventEncoder(table);
      encoders.set(table, encoder);
    }
    return encoder;
  }

  /**
   * The snapshot (`r`) event of a row of text values in column order (null for SQL NULL).
   * Throws on a value the general path would refuse; the caller encodes such a row the general
   * way again for the error that names the column.
   */
  snapshotEvent(
    values: readonly (string | null)[],
    source: SourceInfo,
    origin: string,
    tsMs: number,
  ): EncodedEvent {
    this.startSnapshotEvent();
    this.writeRow(values);
    const bounds = this.encodeArrayBounds && this.rowBounds((position) => withBounds(values[position]));
    return this.finishSnapshotEvent(source, origin, tsMs, bounds);
  }

  /**
   * The snapshot event of a row given as a line of COPY text (`COPY … TO STDOUT`) of the
   * table's columns in column order (any value for an excluded column). Throws as
   * `snapshotEvent` does, and on a line that does not hold one field per column.
   */
  snapshotEventFromCopy(line: Buffer, source: SourceInfo, origin: string, tsMs: number): EncodedEvent {
    this.startSnapshotEvent();
    this.writeCopyRow(line);
    const bounds =
      this.encodeArrayBounds && this.rowBounds((position) => this.copyTextWithBounds(line, position));
    return this.finishSnapshotEvent(source, origin, tsMs, bounds);
  }

  /**
   * The event of a streamed change whose row images are pgoutput tuples: `before` is written
   * from `oldTuple` and `after` from `newTuple` (each where the envelope has that image), every
   * other field from the envelope. The key comes from the image `toRecords` takes it from.
   * Throws on a value the general path would refuse, or on tuples that do not match the
   * envelope; the caller then encodes the envelope itself.
   */
  changeEvent(
    envelope: Envelope,
    oldTuple: TupleData | undefined,
    newTuple: TupleData | undefined,
  ): EncodedEvent {
    output.reset();
    output.writeRaw(this.valueHeader);
    const hasBefore = envelope.before !== null;
    const hasAfter = envelope.after !== null;
    if (hasBefore) {
      if (oldTuple === undefined)
        throw new RangeError("the envelope has a before image but the change no old tuple");
      output.writeByte(VALUE_BRANCH);
      this.writeTuple(oldTuple, this.beforeStarts, this.beforeEnds);
    } else {
      output.writeByte(NULL_BRANCH);
    }
    if (hasAfter) {
      if (newTuple === undefined)
        throw new RangeError("the envelope has an after image but the change no new tuple");
      output.writeByte(VALUE_BRANCH);
      this.writeTuple(newTuple, this.fieldStarts, this.fieldEnds);
    } else {
      output.writeByte(NULL_BRANCH);
    }
    const unchanged = envelope.unchanged;
    if (unchanged.length > 0) {
      output.writeLong(unchanged.length);
      for (const field of unchanged) output.writeString(field);
    }
    output.writeByte(EMPTY_ARRAY);
    output.writeString(envelope.op);
    this.encodeSource(envelope.source, output);
    output.writeString(envelope.origin);
    const tsMs = Number(envelope.ts_ms);
    if (tsMs > SAFE_LONG || tsMs < -SAFE_LONG) throw new RangeError("ts_ms out of the exact range");
    output.writeLong(tsMs);
    this.encodeTransaction(envelope.transaction, output);
    if (this.encodeArrayBounds !== null) {
      this.writeArrayBounds(collectArrayLowerBounds(envelope.before, envelope.after, this.arrayFields));
    }
    const valueEnd = output.position;
    let key = false;
    if (hasAfter && envelope.op !== "d") key = this.writeKey(this.fieldStarts, this.fieldEnds);
    else if (hasBefore) key = this.writeKey(this.beforeStarts, this.beforeEnds);
    return { key: key ? output.copy(valueEnd) : null, value: output.copy(0, valueEnd) };
  }

  private writeTuple(tuple: TupleData, starts: Int32Array, ends: Int32Array): void {
    const columns = this.columns;
    for (let i = 0; i < columns.length; i++) {
      const writer = columns[i];
      if (writer === null || writer === undefined) continue;
      starts[i] = output.position;
      const value = tuple[i];
      if (value === undefined || value.kind === "null" || value.kind === "unchanged") {
        output.writeByte(NULL_BRANCH);
      } else if (value.kind === "text") {
        writer(value.text, output);
      } else {
        throw new RangeError("a binary tuple value");
      }
      ends[i] = output.position;
    }
  }

  private startSnapshotEvent(): void {
    output.reset();
    output.writeRaw(this.valueHeader);
    output.writeByte(NULL_BRANCH); // before
    output.writeByte(VALUE_BRANCH); // after
  }

  private finishSnapshotEvent(
    source: SourceInfo,
    origin: string,
    tsMs: number,
    /** The after image's array bounds (`rowBounds`); null also for a table without arrays. */
    afterBounds: Record<string, number[]> | null,
  ): EncodedEvent {
    output.writeRaw(this.snapshotMiddle(source, origin));
    if (tsMs > SAFE_LONG || tsMs < -SAFE_LONG) throw new RangeError("ts_ms out of the exact range");
    output.writeLong(tsMs);
    output.writeByte(NULL_BRANCH); // transaction
    if (this.encodeArrayBounds !== null) {
      this.writeArrayBounds(afterBounds === null ? null : { before: {}, after: afterBounds });
    }
    const valueEnd = output.position;
    const key = this.writeKey(this.fieldStarts, this.fieldEnds);
    return { key: key ? output.copy(valueEnd) : null, value: output.copy(0, valueEnd) };
  }

  private writeRow(values: readonly (string | null)[]): void {
    const columns = this.columns;
    const starts = this.fieldStarts;
    const ends = this.fieldEnds;
    for (let i = 0; i < columns.length; i++) {
      const writer = columns[i];
      if (writer === null || writer === undefined) continue;
      starts[i] = output.position;
      const text = values[i];
      if (text === null || text === undefined) output.writeByte(NULL_BRANCH);
      else writer(text, output);
      ends[i] = output.position;
    }
  }

  private writeCopyRow(line: Buffer): void {
    const columns = this.columns;
    const copyColumns = this.copyColumns;
    const starts = this.fieldStarts;
    const ends = this.fieldEnds;
    const last = columns.length - 1;
    let start = 0;
    const length = line.length;
    for (let i = 0; i <= last; i++) {
      // One pass finds the field's end and whether it holds escapes (or is \N).
      let end = start;
      let escaped = false;
      for (; end < length; end++) {
        const byte = line[end];
        if (byte === TAB || byte === NEWLINE) break;
        if (byte === BACKSLASH) escaped = true;
      }
      if (line[end] !== (i === last ? NEWLINE : TAB) || (i === last && end !== length - 1)) {
        throw new RangeError("the COPY line does not hold one field per column");
      }
      this.copyStarts[i] = start;
      const writer = columns[i];
      const copyWriter = copyColumns[i];
      if (writer !== null && writer !== undefined && copyWriter !== null && copyWriter !== undefined) {
        starts[i] = output.position;
        if (!escaped) copyWriter(line, start, end, output);
        else if (isCopyNull(line, start, end)) output.writeByte(NULL_BRANCH);
        else writer(unescapeField(line, start, end), output);
        ends[i] = output.position;
      }
      start = end + 1;
    }
  }

  private writeArrayBounds(bounds: ArrayLowerBounds | null): void {
    if (bounds === null) output.writeByte(NULL_BRANCH);
    else (this.encodeArrayBounds as PartEncoder)(bounds, output);
  }

  /**
   * Bounds of a snapshot row's arrays with explicit bounds, by field; null when none has them.
   * `textAt` gives an array column's text when it has explicit bounds (else null).
   */
  private rowBounds(textAt: (position: number) => string | null): Record<string, number[]> | null {
    let bounds: Record<string, number[]> | null = null;
    for (let a = 0; a < this.arrayPositions.length; a++) {
      const text = textAt(this.arrayPositions[a] as number);
      const lower = text === null ? undefined : explicitLowerBounds(text);
      if (lower === undefined) continue;
      bounds ??= {};
      bounds[this.arrayFields[a] as string] = lower;
    }
    return bounds;
  }

  /** The bounds part (`[0:2]=`, which holds no escapes) of a field of the COPY line `writeCopyRow` just wrote. */
  private copyTextWithBounds(line: Buffer, position: number): string | null {
    const start = this.copyStarts[position] as number;
    if (line[start] !== BRACKET) return null;
    const equals = line.indexOf("=", start);
    return equals < 0 ? null : utf8Text(line, start, equals + 1);
  }

  /** Appends the key message after the value message; false for a table without a key. */
  private writeKey(starts: Int32Array, ends: Int32Array): boolean {
    if (this.keyHeader === null) return false;
    output.writeRaw(this.keyHeader);
    for (const position of this.keyPositions) {
      output.repeat(starts[position] as number, ends[position] as number);
    }
    return true;
  }

  /**
   * The bytes from `unchanged` to `origin` of a snapshot event (no unchanged columns, op `r`,
   * the source block, the origin), the same for every row of a table: a snapshot shares one
   * SourceInfo per table.
   */
  private snapshotMiddle(source: SourceInfo, origin: string): Buffer {
    if (source !== this.lastSource || origin !== this.lastOrigin || this.lastMiddle === undefined) {
      const start = output.position;
      output.writeByte(EMPTY_ARRAY);
      output.writeString("r");
      this.encodeSource(source, output);
      output.writeString(origin);
      this.lastMiddle = output.copy(start);
      this.lastSource = source;
      this.lastOrigin = origin;
      output.position = start;
    }
    return this.lastMiddle;
  }
}

/** An array column's text when it starts with explicit bounds, else null. */
function withBounds(text: string | null | undefined): string | null {
  return text !== null && text !== undefined && text.charCodeAt(0) === BRACKET ? text : null;
}

/** Row field name → Avro field type, from the envelope's `before` record. */
function rowFieldTypes(envelope: AvroSchema): Map<string, AvroSchema> {
  if (!isRecord(envelope)) throw new Error("the value schema is not a record");
  const before = envelope.fields.find((field) => field.name === "before");
  const branches = (Array.isArray(before?.type) ? before.type : []) as readonly AvroSchema[];
  const record = branches.find(isRecord);
  if (record === undefined) throw new Error("the envelope's before field does not define the row record");
  return new Map(record.fields.map((field) => [field.name, field.type]));
}

function isRecord(schema: AvroSchema): schema is AvroRecordSchema {
  return (
    typeof schema === "object" &&
    schema !== null &&
    !Array.isArray(schema) &&
    (schema as { type?: unknown }).type === "record"
  );
}
