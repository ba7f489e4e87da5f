import { TributaryError } from "@tributary/core";

declare const lsnBrand: unique symbol;

/**
 * A PostgreSQL WAL position (XLogRecPtr): an unsigned 64-bit byte offset into the WAL. A
 * branded bigint, so positions compare with `<` and `===`, subtract to a byte distance, and
 * are never confused with another number or passed around as "16/B374D848" strings.
 */
export type Lsn = bigint & { readonly [lsnBrand]: true };

const MAX_LSN_VALUE = (1n << 64n) - 1n;
const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** InvalidXLogRecPtr: "no position" on the wire (e.g. an Origin message without an origin LSN). */
export const INVALID_LSN = 0n as Lsn;

/** Brands a bigint read from the wire or from storage, checking that it fits 64 unsigned bits. */
export function toLsn(value: bigint): Lsn {
  if (value < 0n || value > MAX_LSN_VALUE) {
    throw new TributaryError("TRB_PG_LSN_INVALID", `${value} is not a WAL position (0 … 2^64-1)`, {
      details: { value: value.toString() },
    });
  }
  return value as Lsn;
}

/** Parses PostgreSQL's text form `XXXXXXXX/XXXXXXXX` (hex, high and low 32 bits). */
export function parseLsn(text: string): Lsn {
  const match = LSN_TEXT.exec(text);
  if (match === null) {
    throw new TributaryError(
      "TRB_PG_LSN_INVALID",
      `'${text}' is not a WAL position; expected PostgreSQL's form such as '16/B374D848'`,
      { details: { text } },
    );
  }
  const [, high, low] = match as unknown as [string, string, string];
  return ((BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`)) as Lsn;
}

/** Formats like PostgreSQL's `%X/%X` (upper-case hex, no padding): `16/B374D848`, `0/0`. */
export function formatLsn(lsn: Lsn): string {
  const high = Number(lsn >> 32n);
  const low = Number(lsn & 0xffffffffn);
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** Three-way comparison for sorting: negative, zero or positive. */
export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a >= b ? a : b;
}

export function minLsn(a: Lsn, b: Lsn): Lsn {
  return a <= b ? a : b;
}
