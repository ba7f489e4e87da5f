/**
 * Exact conversions for the Avro `decimal` logical type: decimal text ⇄ unscaled integer ⇄
 * big-endian two's-complement bytes. Nothing here rounds: a value that does not fit the
 * declared precision and scale is refused with the reason.
 */

/** Why a value cannot be stored as a given decimal; the message never contains the value. */
export class DecimalRangeError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "DecimalRangeError";
  }
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const NON_ZERO = /[1-9]/;

/**
 * The unscaled integer of `value` as `decimal(precision, scale)`: `"12.5"` as decimal(5,2) is
 * 1250n. Accepts decimal text (optional sign, point and exponent), a bigint (an integer
 * value) or a finite number (taken by its shortest decimal text, so `0.1` is exactly 0.1).
 * Trailing fraction zeros beyond the scale are accepted (`"1.50"` as scale 1): they do not
 * change the value.
 */
export function toUnscaled(value: unknown, precision: number, scale: number): bigint {
  let unscaled: bigint;
  if (typeof value === "bigint") {
    unscaled = value * 10n ** BigInt(scale);
  } else if (typeof value === "string") {
    unscaled = parseUnscaled(value, scale, "string");
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new DecimalRangeError("a decimal cannot hold NaN or Infinity");
    }
    unscaled = parseUnscaled(String(value), scale, "number");
  } else {
    throw new DecimalRangeError("expected a decimal string, a bigint or a finite number");
  }
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length;
  if (digits > precision) {
    throw new DecimalRangeError(
      `the value needs ${digits} digits but decimal(${precision},${scale}) holds ${precision} ` +
        `(at most ${precision - scale} before the point); Tributary never rounds`,
    );
  }
  return unscaled;
}

function parseUnscaled(text: string, scale: number, kind: string): bigint {
  const match = DECIMAL_TEXT.exec(text);
  const integerDigits = match?.[2] ?? "";
  const fractionDigits = match?.[3] ?? "";
  if (match === null || (integerDigits === "" && fractionDigits === "")) {
    throw new DecimalRangeError(
      `the ${kind} is not a decimal number (digits, optional sign, point, exponent)`,
    );
  }
  const exponent = match[4] === undefined ? 0 : Number.parseInt(match[4], 10);
  let digits = integerDigits + fractionDigits;
  // Digits after the decimal point once the exponent is applied.
  let fractionLength = fractionDigits.length - exponent;
  if (fractionLength < 0) {
    digits += "0".repeat(-fractionLength);
    fractionLength = 0;
  }
  if (fractionLength > scale) {
    const excess = fractionLength - scale;
    const cut = Math.max(0, digits.length - excess);
    if (NON_ZERO.test(digits.slice(cut))) {
      const significant = fractionLength - trailingZeros(digits);
      throw new DecimalRangeError(
        `the value has ${significant} fraction digits but the scale is ${scale}; Tributary never rounds`,
      );
    }
    digits = digits.slice(0, cut);
  } else if (fractionLength < scale) {
    digits += "0".repeat(scale - fractionLength);
  }
  const magnitude = digits === "" ? 0n : BigInt(digits);
  return match[1] === "-" ? -magnitude : magnitude;
}

function trailingZeros(digits: string): number {
  let count = 0;
  for (let i = digits.length - 1; i >= 0 && digits[i] === "0"; i--) {
    count++;
  }
  return count;
}

/** Decimal text of `unscaled / 10^scale` with exactly `scale` fraction digits: (1250n, 2) → "12.50". */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    if (digits.length <= scale) {
      digits = digits.padStart(scale + 1, "0");
    }
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** Shortest big-endian two's-complement bytes of `value` (0 → one zero byte), as Java's BigInteger writes them. */
export function unscaledToBytes(value: bigint): Buffer {
  const negative = value < 0n;
  // For a negative value, ~value (= -value - 1) is the bitwise complement of its two's-complement bits.
  let hex = (negative ? ~value : value).toString(16);
  if (hex.length % 2 === 1) {
    hex = `0${hex}`;
  }
  if (Number.parseInt(hex.charAt(0), 16) >= 8) {
    hex = `00${hex}`; // keep the sign bit clear before complementing
  }
  const bytes = Buffer.from(hex, "hex");
  if (negative) {
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = ~(bytes[i] as number) & 0xff;
    }
  }
  return bytes;
}

/** `value` as exactly `size` big-endian two's-complement bytes (for decimals on `fixed`). */
export function unscaledToFixed(value: bigint, size: number): Buffer {
  const minimal = unscaledToBytes(value);
  if (minimal.length > size) {
    throw new DecimalRangeError(`the value needs ${minimal.length} bytes but the fixed type holds ${size}`);
  }
  const bytes = Buffer.alloc(size, value < 0n ? 0xff : 0x00);
  minimal.copy(bytes, size - minimal.length);
  return bytes;
}

/** The integer of big-endian two's-complement bytes (empty → 0). */
export function bytesToUnscaled(bytes: Uint8Array): bigint {
  const length = bytes.length;
  if (length === 0) {
    return 0n;
  }
  if (length <= 6) {
    let value = (bytes[0] as number) & 0x80 ? -1 : 0;
    for (let i = 0; i < length; i++) {
      value = value * 256 + (bytes[i] as number);
    }
    return BigInt(value);
  }
  const magnitude = BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, length).toString("hex")}`);
  return (bytes[0] as number) & 0x80 ? magnitude - (1n << BigInt(length * 8)) : magnitude;
}

/** The largest precision a `fixed` of `size` bytes can hold: floor(log10(2^(8·size−1) − 1)). */
export function maxFixedPrecision(size: number): number {
  if (size <= 0) {
    return 0;
  }
  return ((1n << BigInt(8 * size - 1)) - 1n).toString().length - 1;
}
