import {
  AvroBinaryWriter,
  type AvroRecordSchema,
  type AvroSchema,
  type PartEncoder,
  partEncoder,
  type SourceInfo,
  singleObjectHeader,
} from "@tributary/core";
import type { CapturedTable } from "./CapturedTable.js";
import { type TextColumnWriter, textColumnWriter } from "./text-column-writers.js";

/** The key and value messages of one event. */
export interface EncodedEvent {
  key: Buffer | null;
  value: Buffer;
}

const NULL_BRANCH = 0;
const VALUE_BRANCH = 2;
const EMPTY_ARRAY = 0;
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
  /** Tuple positions of the key columns, in key order. */
  private readonly keyPositions: readonly number[];
  private readonly valueHeader: Readonly<Uint8Array>;
  private readonly keyHeader: Readonly<Uint8Array> | null;
  private readonly encodeSource: PartEncoder;
  private readonly fieldStarts: Int32Array;
  private readonly fieldEnds: Int32Array;
  private lastSource: SourceInfo | undefined;
  private lastSourceBytes: Buffer | undefined;

  private constructor(table: CapturedTable) {
    const fieldTypes = rowFieldTypes(table.valueSchema.schema);
    this.columns = table.byPosition.map((column) => {
      if (column === null) return null;
      const fieldType = fieldTypes.get(column.field);
      if (fieldType === undefined) throw new Error(`the value schema has no field ${column.field}`);
      return textColumnWriter(
        column.parse,
        fieldType,
        partEncoder(table.valueSchema, ["after", column.field]),
      );
    });
    this.keyPositions = table.keyFields.map((field) =>
      table.byPosition.findIndex((column) => column?.field === field),
    );
    if (this.keyPositions.includes(-1)) throw new Error("a key field is not among the row's fields");
    this.valueHeader = singleObjectHeader(table.valueSchema);
    this.keyHeader = table.keySchema === null ? null : singleObjectHeader(table.keySchema);
    this.encodeSource = partEncoder(table.valueSchema, ["source"]);
    this.fieldStarts = new Int32Array(table.byPosition.length);
    this.fieldEnds = new Int32Array(table.byPosition.length);
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
    output.reset();
    output.writeRaw(this.valueHeader);
    output.writeByte(NULL_BRANCH); // before
    output.writeByte(VALUE_BRANCH); // after
    this.writeRow(values);
    output.writeByte(EMPTY_ARRAY); // unchanged
    output.writeString("r");
    output.writeRaw(this.sourceBytes(source));
    output.writeString(origin);
    if (tsMs > SAFE_LONG || tsMs < -SAFE_LONG) throw new RangeError("ts_ms out of the exact range");
    output.writeLong(tsMs);
    output.writeByte(NULL_BRANCH); // transaction
    const valueEnd = output.position;
    const key = this.writeKey();
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

  /** Appends the key message after the value message; false for a table without a key. */
  private writeKey(): boolean {
    if (this.keyHeader === null) return false;
    output.writeRaw(this.keyHeader);
    for (const position of this.keyPositions) {
      output.repeat(this.fieldStarts[position] as number, this.fieldEnds[position] as number);
    }
    return true;
  }

  /** The source block's bytes; a snapshot shares one SourceInfo per table. */
  private sourceBytes(source: SourceInfo): Buffer {
    if (source !== this.lastSource || this.lastSourceBytes === undefined) {
      const start = output.position;
      this.encodeSource(source, output);
      this.lastSourceBytes = output.copy(start);
      this.lastSource = source;
      output.position = start;
    }
    return this.lastSourceBytes;
  }
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
