/**
 * Avro binary codec in the single-object encoding: `C3 01`, the 8-byte writer-schema
 * fingerprint (little-endian), then the Avro binary body. Values use the in-memory forms of
 * `events/change-event.ts` (long → bigint, decimal → exact string, bytes → Buffer, …).
 *
 * Encoding is on the hot path: each schema is compiled once, and a value is written into one
 * shared scratch buffer (grown on demand) and copied once into an exact-size output buffer.
 * Validation is avsc's own write-time checks; only when they fail do we walk the value again
 * to name the offending field.
 */
import avsc from "avsc";
import { TributaryError } from "../errors/TributaryError.js";
import type { AvroSchema } from "./avro-schema.js";
import type { AvroBinaryWriter } from "./binary-writer.js";
import {
  extendedCanonicalForm,
  type Fingerprint,
  fingerprintFromBytes,
  fingerprintOfText,
} from "./canonical-form.js";
import { avscOptions, explainInvalid } from "./logical-types.js";

/** A compiled writer schema. Obtain it from `compileSchema`; do not mutate `schema` afterwards. */
export interface WriterSchema {
  /** CRC-64-AVRO of `canonicalForm`, as it appears in single-object messages. */
  readonly fingerprint: Fingerprint;
  readonly schema: AvroSchema;
  /** The extended canonical form (see `extendedCanonicalForm`): what the schema store keeps. */
  readonly canonicalForm: string;
}

const COMPILED = Symbol("tributary.avro.compiled");

interface Compiled {
  readonly type: avsc.Type;
  /** `C3 01` + fingerprint. */
  readonly header: Buffer;
  /** The fingerprint bytes read as two little-endian uint32, for a cheap comparison. */
  readonly fingerprintLow: number;
  readonly fingerprintHigh: number;
}

interface CompiledWriterSchema extends WriterSchema {
  readonly [COMPILED]: Compiled;
}

export const SINGLE_OBJECT_MARKER: Readonly<Uint8Array> = Uint8Array.of(0xc3, 0x01);
export const SINGLE_OBJECT_HEADER_LENGTH = 10;

const EMPTY_PREFIX = Buffer.alloc(0);
const INITIAL_SCRATCH = 64 * 1024;
/** Values larger than this are encoded straight into their own buffer instead of growing the scratch. */
const MAX_RETAINED_SCRATCH = 1024 * 1024;
let scratch = Buffer.allocUnsafe(INITIAL_SCRATCH);

/** Compiles `schema` once for encoding and decoding. Throws TRB_SCHEMA_INVALID when avsc rejects it. */
export function compileSchema(schema: AvroSchema): WriterSchema {
  const canonicalForm = extendedCanonicalForm(schema);
  let type: avsc.Type;
  try {
    type = avsc.Type.forSchema(schema, avscOptions());
  } catch (error) {
    throw new TributaryError(
      "TRB_SCHEMA_INVALID",
      `invalid Avro schema: ${messageOf(error)}; fix the schema (see the Avro specification)`,
      { cause: error, details: { canonicalForm } },
    );
  }
  const fingerprint = fingerprintOfText(canonicalForm);
  const header = Buffer.alloc(SINGLE_OBJECT_HEADER_LENGTH);
  header[0] = 0xc3;
  header[1] = 0x01;
  header.write(fingerprint, 2, "hex");
  const compiled: Compiled = {
    type,
    header,
    fingerprintLow: header.readUInt32LE(2),
    fingerprintHigh: header.readUInt32LE(6),
  };
  const writer: CompiledWriterSchema = { fingerprint, schema, canonicalForm, [COMPILED]: compiled };
  return Object.freeze(writer);
}

/** `value` as a single-object message. Throws TRB_CODEC_ENCODE naming the field and the value's type. */
export function encode(writer: WriterSchema, value: unknown): Buffer {
  const compiled = compiledOf(writer);
  return encodeWithPrefix(writer, compiled, value, compiled.header);
}

/** `value` as a bare Avro binary body, without the single-object header (e.g. for the Confluent wire format). */
export function encodeBody(writer: WriterSchema, value: unknown): Buffer {
  return encodeWithPrefix(writer, compiledOf(writer), value, EMPTY_PREFIX);
}

/** The 10 bytes every single-object message of `writer` starts with (`C3 01` + fingerprint). */
export function singleObjectHeader(writer: WriterSchema): Readonly<Uint8Array> {
  return compiledOf(writer).header;
}

/** Writes one value of a part of a writer schema at the writer's position. */
export type PartEncoder = (value: unknown, output: AvroBinaryWriter) => void;

/**
 * The encoder of the part of `writer`'s schema reached through the record fields named by
 * `path` (a union with one non-null branch is stepped through to that branch). It writes the
 * bytes `encode` writes for that part, for encoders that assemble a message from pieces.
 * Throws TRB_USAGE for a path the schema does not have.
 */
export function partEncoder(writer: WriterSchema, path: readonly string[]): PartEncoder {
  const part = partType(writer, path);
  return (value, output) => {
    let end = part.encode(value, output.buffer, output.position);
    if (end < 0) {
      // avsc returns minus the bytes missing at the end of the buffer.
      output.reserve(output.buffer.length - end - output.position);
      end = part.encode(value, output.buffer, output.position);
    }
    output.position = end;
  };
}

/** Reads one value of a part of a writer schema at `offset`: the value and the offset after it (-1 when the buffer ends first). */
export type PartDecoder = (
  buffer: Buffer,
  offset: number,
) => { readonly value: unknown; readonly offset: number };

/**
 * The decoder of the part of `writer`'s schema reached through the record fields named by `path`
 * (as `partEncoder`): it reads the value `decode` would give that part, from a body's bytes.
 * Throws TRB_USAGE for a path the schema does not have; reading throws on corrupt bytes.
 */
export function partDecoder(writer: WriterSchema, path: readonly string[]): PartDecoder {
  const part = partType(writer, path);
  return (buffer, offset) => part.decode(buffer, offset);
}

function partType(writer: WriterSchema, path: readonly string[]): avsc.Type {
  let type = compiledOf(writer).type;
  for (const name of path) {
    const record = nonNullBranch(type) as avsc.Type & {
      fields?: readonly { name: string; type: avsc.Type }[];
    };
    const field = record.fields?.find((candidate) => candidate.name === name);
    if (field === undefined) {
      throw new TributaryError("TRB_USAGE", `schema ${writer.fingerprint} has no field ${path.join(".")}`);
    }
    type = field.type;
  }
  return type;
}

function nonNullBranch(type: avsc.Type): avsc.Type {
  if (!(type instanceof avsc.types.UnwrappedUnionType)) return type;
  const branches = type.types.filter((branch) => branch.typeName !== "null");
  return branches.length === 1 ? (branches[0] as avsc.Type) : type;
}

/** True when `message` starts with the single-object marker and is long enough to hold the header. */
export function isSingleObject(message: Buffer): boolean {
  return message.length >= SINGLE_OBJECT_HEADER_LENGTH && message[0] === 0xc3 && message[1] === 0x01;
}

/** The writer-schema fingerprint of a single-object message. Throws TRB_CODEC_NOT_SINGLE_OBJECT. */
export function peekFingerprint(message: Buffer): Fingerprint {
  assertSingleObject(message);
  return fingerprintFromBytes(message, 2);
}

/** True when `message` is a single-object message written with `writer` (a cheap header check, no decoding). */
export function writtenWith(writer: WriterSchema, message: Buffer): boolean {
  const compiled = compiledOf(writer);
  return (
    isSingleObject(message) &&
    message.readUInt32LE(2) === compiled.fingerprintLow &&
    message.readUInt32LE(6) === compiled.fingerprintHigh
  );
}

/**
 * Decodes a single-object message written with `writer`. Throws TRB_CODEC_NOT_SINGLE_OBJECT,
 * TRB_CODEC_FINGERPRINT_MISMATCH, or TRB_CODEC_DECODE (truncated, trailing bytes, corrupt).
 */
export function decode(writer: WriterSchema, message: Buffer): unknown {
  const compiled = compiledOf(writer);
  assertSingleObject(message);
  if (
    message.readUInt32LE(2) !== compiled.fingerprintLow ||
    message.readUInt32LE(6) !== compiled.fingerprintHigh
  ) {
    const found = fingerprintFromBytes(message, 2);
    throw new TributaryError(
      "TRB_CODEC_FINGERPRINT_MISMATCH",
      `the message was written with schema ${found}, not ${writer.fingerprint}; ` +
        "look its writer schema up by the message's fingerprint (peekFingerprint) and decode with that",
      { details: { expected: writer.fingerprint, found } },
    );
  }
  return decodeFrom(writer, compiled, message, SINGLE_OBJECT_HEADER_LENGTH);
}

/** Decodes a bare Avro binary body that starts at `offset` and ends with `body`. Throws TRB_CODEC_DECODE. */
export function decodeBody(writer: WriterSchema, body: Buffer, offset = 0): unknown {
  return decodeFrom(writer, compiledOf(writer), body, offset);
}

function encodeWithPrefix(writer: WriterSchema, compiled: Compiled, value: unknown, prefix: Buffer): Buffer {
  const start = prefix.length;
  let end: number;
  try {
    end = compiled.type.encode(value, scratch, start);
    if (end < 0) {
      // avsc returns minus the number of missing bytes when the buffer is too small.
      const needed = scratch.length - end;
      if (needed > MAX_RETAINED_SCRATCH) {
        const output = Buffer.allocUnsafe(needed);
        prefix.copy(output, 0);
        compiled.type.encode(value, output, start);
        return output;
      }
      let size = scratch.length * 2;
      while (size < needed) {
        size *= 2;
      }
      scratch = Buffer.allocUnsafe(Math.min(size, MAX_RETAINED_SCRATCH));
      end = compiled.type.encode(value, scratch, start);
    }
  } catch (error) {
    throw encodeError(writer, compiled, value, error);
  }
  const output = Buffer.allocUnsafe(end);
  // TypedArray#set rather than Buffer#copy, which validates its arguments on every (small) call.
  output.set(prefix, 0);
  output.set(scratch.subarray(start, end), start);
  return output;
}

function decodeFrom(writer: WriterSchema, compiled: Compiled, buffer: Buffer, offset: number): unknown {
  let result: avsc.DecodeResult;
  try {
    result = compiled.type.decode(buffer, offset);
  } catch (error) {
    throw decodeError(writer, "corrupt", `the body is not valid for the schema (${messageOf(error)})`, error);
  }
  if (result.offset < 0) {
    throw decodeError(writer, "truncated", "the message is truncated: the body ends before the value does");
  }
  if (result.offset !== buffer.length) {
    throw decodeError(
      writer,
      "trailing",
      `${buffer.length - result.offset} trailing bytes follow the value: the message is corrupt or not written with this schema`,
    );
  }
  return result.value;
}

function assertSingleObject(message: Buffer): void {
  if (!isSingleObject(message)) {
    const reason =
      message.length >= 2 && message[0] === 0xc3 && message[1] === 0x01
        ? `only ${message.length} bytes, shorter than the 10-byte header`
        : message.length > 0 && message[0] === 0x00
          ? "it starts with byte 00, as the Confluent wire format does; configure schemaRegistry.url to read it"
          : "it does not start with the marker C3 01";
    throw new TributaryError(
      "TRB_CODEC_NOT_SINGLE_OBJECT",
      `not an Avro single-object message: ${reason}; the topic holds data Tributary did not write`,
      { details: { length: message.length } },
    );
  }
}

function compiledOf(writer: WriterSchema): Compiled {
  const compiled = (writer as Partial<CompiledWriterSchema>)[COMPILED];
  if (compiled === undefined) {
    throw new TributaryError(
      "TRB_USAGE",
      "pass a WriterSchema returned by compileSchema, not a plain object",
    );
  }
  return compiled;
}

interface Offence {
  readonly path: readonly string[];
  readonly value: unknown;
  readonly type: avsc.Type;
}

function encodeError(
  writer: WriterSchema,
  compiled: Compiled,
  value: unknown,
  cause: unknown,
): TributaryError {
  let offence: Offence | undefined;
  try {
    compiled.type.isValid(value, {
      errorHook: (path, invalid, type) => {
        offence ??= { path, value: invalid, type };
      },
    });
  } catch {
    // The walk is best effort; fall back to avsc's own message.
  }
  const schemaName = compiled.type.name ?? compiled.type.typeName;
  if (offence === undefined) {
    return new TributaryError(
      "TRB_CODEC_ENCODE",
      `cannot encode a value of schema ${schemaName} (${writer.fingerprint}): ${messageOf(cause)}`,
      { cause, details: { fingerprint: writer.fingerprint, valueType: describeType(value) } },
    );
  }
  const path = formatPath(offence.path);
  const valueType = describeType(offence.value);
  const reason = explainInvalid(offence.type, offence.value);
  return new TributaryError(
    "TRB_CODEC_ENCODE",
    `cannot encode field ${path} of schema ${schemaName} (${writer.fingerprint}): ${reason}, got ${valueType}; ` +
      "fix the value the connector produced for this field",
    { cause, details: { fingerprint: writer.fingerprint, path, valueType, reason } },
  );
}

function decodeError(writer: WriterSchema, kind: string, message: string, cause?: unknown): TributaryError {
  return new TributaryError(
    "TRB_CODEC_DECODE",
    `cannot decode a message of schema ${writer.fingerprint}: ${message}`,
    {
      cause,
      details: { fingerprint: writer.fingerprint, kind },
    },
  );
}

function formatPath(path: readonly string[]): string {
  if (path.length === 0) {
    return "(root)";
  }
  let out = "";
  for (const segment of path) {
    out += /^\d+$/.test(segment) ? `[${segment}]` : out === "" ? segment : `.${segment}`;
  }
  return out;
}

/** The type of a value for error messages; never the value itself (rows may hold personal data). */
export function describeType(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  if (Buffer.isBuffer(value)) {
    return "a Buffer";
  }
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "number":
      return Number.isInteger(value)
        ? "an integer number"
        : Number.isNaN(value)
          ? "NaN"
          : Number.isFinite(value)
            ? "a fractional number"
            : "an infinite number";
    case "bigint":
      return "a bigint";
    case "string":
      return "a string";
    case "boolean":
      return "a boolean";
    case "object": {
      const name = Object.getPrototypeOf(value)?.constructor?.name;
      return typeof name === "string" && name !== "Object" ? `a ${name}` : "an object";
    }
    default:
      return `a ${typeof value}`;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
