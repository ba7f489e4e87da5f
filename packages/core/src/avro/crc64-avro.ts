/**
 * CRC-64-AVRO: the 64-bit Rabin fingerprint the Avro specification recommends for schema
 * fingerprints and uses in the single-object encoding.
 *
 * The 64-bit state is kept as two unsigned 32-bit halves so the inner loop runs on small
 * integers instead of bigints; the 256-entry table is computed once, at module load.
 */

/** Fingerprint of the empty input, and the polynomial the table is derived from. */
export const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n;

const EMPTY_HI = 0xc15d213a;
const EMPTY_LO = 0xa4d7a795;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);

for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let bit = 0; bit < 8; bit++) {
    const odd = lo & 1;
    // fp = (fp >>> 1) ^ (EMPTY & -(fp & 1))
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (odd) {
      hi = (hi ^ EMPTY_HI) >>> 0;
      lo = (lo ^ EMPTY_LO) >>> 0;
    }
  }
  TABLE_HI[i] = hi;
  TABLE_LO[i] = lo;
}

/** The fingerprint as its two 32-bit halves (`hi` holds bits 63..32). */
export interface Crc64Halves {
  readonly hi: number;
  readonly lo: number;
}

/** CRC-64-AVRO of `input` (a string is hashed as its UTF-8 bytes), as two 32-bit halves. */
export function crc64AvroHalves(input: string | Uint8Array): Crc64Halves {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  let hi = EMPTY_HI;
  let lo = EMPTY_LO;
  for (let i = 0; i < bytes.length; i++) {
    // fp = (fp >>> 8) ^ TABLE[(fp ^ byte) & 0xff]
    const index = (lo ^ (bytes[i] as number)) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (TABLE_LO[index] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (TABLE_HI[index] as number)) >>> 0;
  }
  return { hi, lo };
}

/** CRC-64-AVRO of `input` (a string is hashed as its UTF-8 bytes), as an unsigned 64-bit bigint. */
export function crc64Avro(input: string | Uint8Array): bigint {
  const { hi, lo } = crc64AvroHalves(input);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
