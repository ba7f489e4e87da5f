/**
 * How avsc maps Avro values to Tributary's in-memory forms (see `events/change-event.ts`):
 * every `long` (timestamps included) is a bigint, decimals are exact strings, uuids are
 * validated strings. `date` stays a plain int (days since 1970-01-01).
 */
import avsc from "avsc";
import {
  bytesToUnscaled,
  DecimalRangeError,
  formatDecimal,
  maxFixedPrecision,
  toUnscaled,
  unscaledToBytes,
  unscaledToFixed,
} from "./decimal.js";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** 24:00:00, which PostgreSQL's `time` allows. */
export const TIME_MICROS_MAX = 86_400_000_000n;

/** Scratch for the 8 bytes avsc packs a long from; avsc consumes it before `toBuffer` is called again. */
const LONG_BYTES = Buffer.alloc(8);

/** Within ±2^52, avsc's number writer is exact (it doubles the value in floating point beyond 2^30). */
const SAFE_MIN = -(2n ** 52n);
const SAFE_MAX = 2n ** 52n;

/** The parts of avsc's internal long type and Tap that the write fast path uses. */
interface AvscTap {
  writeLong(value: number): void;
}
interface AvscLongInternals {
  _write(tap: AvscTap, value: unknown): void;
}

/**
 * Writes a long in the safe-integer range with avsc's own number writer (the same zig-zag
 * varint bytes) instead of packing 8 bytes from a bigint: most longs (keys, timestamps) are.
 * Anything else, invalid values included, takes avsc's own path.
 */
function withSafeIntegerWrite(type: avsc.Type, min: bigint, max: bigint): avsc.Type {
  const fast = Object.create(type) as AvscLongInternals;
  const general = (type as unknown as AvscLongInternals)._write;
  fast._write = function write(tap, value) {
    if (typeof value === "bigint" && value >= SAFE_MIN && value <= SAFE_MAX && value >= min && value <= max) {
      tap.writeLong(Number(value));
    } else {
      general.call(this, tap, value);
    }
  };
  return Object.freeze(fast) as unknown as avsc.Type;
}

function bigintLong(min: bigint, max: bigint): avsc.Type {
  return withSafeIntegerWrite(bigintLongType(min, max), min, max);
}

function bigintLongType(min: bigint, max: bigint): avsc.Type {
  return avsc.types.LongType.__with<bigint>({
    fromBuffer: (bytes) => bytes.readBigInt64LE(0),
    toBuffer: (value) => {
      LONG_BYTES.writeBigInt64LE(value, 0);
      return LONG_BYTES;
    },
    fromJSON: (json) => {
      if (typeof json === "bigint") {
        return json;
      }
      if ((typeof json === "number" && Number.isSafeInteger(json)) || typeof json === "string") {
        return BigInt(json);
      }
      throw new TypeError("a long default must be an integer");
    },
    toJSON: (value) =>
      value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString(),
    isValid: (value) => typeof value === "bigint" && value >= min && value <= max,
    compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  });
}

/** avsc's read cursor. */
interface Tap {
  readonly buf: Buffer;
  pos: number;
}

/**
 * `type` reading longs of at most 8 varint bytes that fit a safe integer (ids, counts, every
 * timestamp) straight from the varint, instead of avsc unpacking each into 8 bytes first.
 */
function withFastRead(type: avsc.Type): avsc.Type {
  const unpacked = type as unknown as { _read(tap: Tap): unknown };
  const read = (tap: Tap): unknown => {
    const buf = tap.buf;
    let pos = tap.pos;
    let byte = buf[pos++] as number;
    let zigzag = byte & 0x7f;
    let scale = 128;
    for (let count = 1; byte & 0x80; count++) {
      if (count === 8) return unpacked._read.call(fast, tap);
      byte = buf[pos++] as number;
      zigzag += (byte & 0x7f) * scale;
      scale *= 128;
    }
    // Past a safe integer a float sum may have rounded: read it exactly.
    if (zigzag > Number.MAX_SAFE_INTEGER) return unpacked._read.call(fast, tap);
    tap.pos = pos;
    return BigInt(zigzag % 2 === 1 ? -(zigzag + 1) / 2 : zigzag / 2);
  };
  const fast: avsc.Type = Object.freeze(Object.create(type, { _read: { value: read } }));
  return fast;
}

/** Every `long`, including timestamp-micros and local-timestamp-micros (±infinity = INT64 max/min). */
const LONG = withFastRead(bigintLong(INT64_MIN, INT64_MAX));
/** `time-micros`: 00:00:00 to 24:00:00 inclusive. */
const TIME_MICROS = withFastRead(bigintLong(0n, TIME_MICROS_MAX));

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `decimal` on `bytes` or `fixed`: in memory an exact decimal string with exactly `scale` fraction digits. */
class DecimalType extends avsc.types.LogicalType {
  readonly precision: number;
  readonly scale: number;
  private readonly fixedSize: number | undefined;
  // Unions ask a branch to convert a value twice (to choose it, then to write it): remember the last one.
  private lastValue: unknown;
  private lastBytes: Buffer | undefined;

  constructor(schema: Readonly<Record<string, unknown>>, opts: avsc.ForSchemaOptions) {
    super(schema, opts);
    const { precision, scale = 0, size } = schema;
    if (typeof precision !== "number" || !Number.isSafeInteger(precision) || precision < 1) {
      throw new Error(`decimal precision must be a positive integer, got ${JSON.stringify(precision)}`);
    }
    if (typeof scale !== "number" || !Number.isSafeInteger(scale) || scale < 0 || scale > precision) {
      throw new Error(
        `decimal scale must be an integer from 0 to the precision, got ${JSON.stringify(scale)}`,
      );
    }
    const underlying = this.underlyingType.typeName;
    if (underlying === "fixed") {
      const fixedSize = typeof size === "number" ? size : 0;
      if (precision > maxFixedPrecision(fixedSize)) {
        throw new Error(`decimal(${precision},${scale}) does not fit a fixed of ${fixedSize} bytes`);
      }
      this.fixedSize = fixedSize;
    } else if (underlying === "bytes") {
      this.fixedSize = undefined;
    } else {
      throw new Error(`the decimal logical type needs bytes or fixed, not ${underlying}`);
    }
    this.precision = precision;
    this.scale = scale;
  }

  /** Why `value` cannot be written, or undefined when it can. */
  explain(value: unknown): string | undefined {
    try {
      toUnscaled(value, this.precision, this.scale);
      return undefined;
    } catch (error) {
      return error instanceof DecimalRangeError ? error.message : String(error);
    }
  }

  protected override _fromValue(value: unknown): string | undefined {
    // Not a Buffer only when reading past the end of a truncated message, which the caller reports.
    return Buffer.isBuffer(value) ? formatDecimal(bytesToUnscaled(value), this.scale) : undefined;
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (value === this.lastValue && this.lastBytes !== undefined) {
      return this.lastBytes;
    }
    // Unions try this branch for every value (null included): say "not mine" without the cost of
    // an exception. Values of a decimal-like type still throw below with the exact reason.
    if (typeof value !== "string" && typeof value !== "bigint" && typeof value !== "number") return undefined;
    const unscaled = toUnscaled(value, this.precision, this.scale);
    const bytes =
      this.fixedSize === undefined ? unscaledToBytes(unscaled) : unscaledToFixed(unscaled, this.fixedSize);
    this.lastValue = value;
    this.lastBytes = bytes;
    return bytes;
  }

  protected override _resolve(type: avsc.Type): ((value: unknown) => unknown) | undefined {
    if (type instanceof DecimalType && type.precision === this.precision && type.scale === this.scale) {
      return (value) => this._fromValue(value);
    }
    return undefined;
  }
}

/** `uuid` on `string`: the canonical 8-4-4-4-12 hex form. */
class UuidType extends avsc.types.LogicalType {
  explain(value: unknown): string | undefined {
    if (typeof value !== "string") {
      return "expected a uuid string";
    }
    return UUID_PATTERN.test(value) ? undefined : "the string is not a uuid (8-4-4-4-12 hex digits)";
  }

  protected override _fromValue(value: unknown): unknown {
    return value;
  }

  protected override _toValue(value: unknown): unknown {
    return typeof value === "string" && UUID_PATTERN.test(value) ? value : undefined;
  }

  protected override _resolve(type: avsc.Type): ((value: unknown) => unknown) | undefined {
    return type instanceof UuidType || type.typeName === "string" ? (value) => value : undefined;
  }
}

/**
 * Logical type of the string branch that sits beside a `decimal` in the union of a column that
 * may also hold NaN, Infinity or -Infinity (PostgreSQL `numeric`): the string is one of those
 * three words. Readers that do not know the logical type see a plain string.
 */
export const NUMERIC_SPECIAL_LOGICAL_TYPE = "tributary-numeric-special";
/** The values the numeric-special branch holds, in the text form PostgreSQL writes them. */
export const NUMERIC_SPECIAL_VALUES: readonly string[] = ["NaN", "Infinity", "-Infinity"];

function isNumericSpecial(value: unknown): value is string {
  return value === "NaN" || value === "Infinity" || value === "-Infinity";
}

/** `tributary-numeric-special` on `string`: exactly `NaN`, `Infinity` or `-Infinity`. */
class NumericSpecialType extends avsc.types.LogicalType {
  constructor(schema: Readonly<Record<string, unknown>>, opts: avsc.ForSchemaOptions) {
    super(schema, opts);
    if (this.underlyingType.typeName !== "string") {
      throw new Error(
        `the ${NUMERIC_SPECIAL_LOGICAL_TYPE} logical type needs string, not ${this.underlyingType.typeName}`,
      );
    }
  }

  explain(value: unknown): string | undefined {
    return isNumericSpecial(value) ? undefined : `expected one of ${NUMERIC_SPECIAL_VALUES.join(", ")}`;
  }

  protected override _fromValue(value: unknown): unknown {
    return value;
  }

  protected override _toValue(value: unknown): unknown {
    return isNumericSpecial(value) ? value : undefined;
  }

  protected override _resolve(type: avsc.Type): ((value: unknown) => unknown) | undefined {
    return type instanceof NumericSpecialType || type.typeName === "string" ? (value) => value : undefined;
  }
}

const LOGICAL_TYPES = {
  decimal: DecimalType,
  uuid: UuidType,
  [NUMERIC_SPECIAL_LOGICAL_TYPE]: NumericSpecialType,
} as const;

function typeHook(schema: unknown): avsc.Type | undefined {
  if (schema === "long") {
    return LONG;
  }
  if (typeof schema === "object" && schema !== null && !Array.isArray(schema)) {
    const { type, logicalType } = schema as { type?: unknown; logicalType?: unknown };
    if (type === "long") {
      return logicalType === "time-micros" ? TIME_MICROS : LONG;
    }
  }
  return undefined;
}

/** Fresh avsc options (avsc mutates them while compiling) that produce Tributary's value forms. */
export function avscOptions(): avsc.ForSchemaOptions {
  return {
    assertLogicalTypes: true,
    logicalTypes: LOGICAL_TYPES,
    omitRecordMethods: true,
    typeHook,
    wrapUnions: "auto",
  };
}

/** Why `value` is not valid for `type` (one level, no field path), for error messages. */
export function explainInvalid(type: avsc.Type, value: unknown): string {
  if (value === undefined) {
    return "the value is missing";
  }
  if (type instanceof DecimalType || type instanceof UuidType) {
    return type.explain(value) ?? `expected ${type.typeName}`;
  }
  if (type === LONG) {
    return "expected a bigint in the signed 64-bit range";
  }
  if (type === TIME_MICROS) {
    return `expected a bigint count of microseconds from 0 to ${TIME_MICROS_MAX} (24:00:00)`;
  }
  if (type instanceof avsc.types.UnwrappedUnionType) {
    const branches = type.types.filter((branch) => branch.typeName !== "null");
    const only = branches[0];
    if (branches.length === 1 && only !== undefined) {
      return explainInvalid(only, value);
    }
    const decimal = branches.find((branch): branch is DecimalType => branch instanceof DecimalType);
    if (branches.length === 2 && decimal && branches.some((branch) => branch instanceof NumericSpecialType)) {
      const reason = decimal.explain(value) ?? "expected a decimal";
      return `${reason}; the only other values allowed are ${NUMERIC_SPECIAL_VALUES.join(", ")}`;
    }
    return `expected one of the union's branches: ${type.types.map((branch) => branch.typeName).join(", ")}`;
  }
  switch (type.typeName) {
    case "int":
      return "expected an integer number in the signed 32-bit range";
    case "float":
    case "double":
      return "expected a number";
    case "null":
      return "expected null";
    case "boolean":
      return "expected a boolean";
    case "string":
      return "expected a string";
    case "array":
      return "expected an array";
    case "map":
    case "record":
    case "error":
      return "expected an object";
    case "enum":
      return `expected one of the symbols of ${type.name ?? "the enum"}`;
    case "bytes":
    case "fixed":
      return "expected a Buffer";
    default:
      return `expected ${type.typeName}`;
  }
}
