/**
 * PostgreSQL's ISO text output of `date`, `time`, `timestamp` and `timestamptz` (DateStyle=ISO)
 * → the codec's in-memory forms: days since 1970-01-01 (number), microseconds of the day
 * (bigint), microseconds since 1970-01-01 (bigint). Dates are proleptic Gregorian, as in
 * PostgreSQL; `0044-03-15 BC` is astronomical year -43. `infinity` and `-infinity` become the
 * extreme values of the Avro type, which is also how PostgreSQL stores them.
 *
 * These run for every value of every row: they scan the text once by character code, keep
 * their intermediate results in module variables, and allocate nothing but the result.
 */
import { TributaryError } from "@tributary/core";

export const DATE_POSITIVE_INFINITY = 2_147_483_647;
export const DATE_NEGATIVE_INFINITY = -2_147_483_648;
export const TIMESTAMP_POSITIVE_INFINITY = (1n << 63n) - 1n;
export const TIMESTAMP_NEGATIVE_INFINITY = -(1n << 63n);
/** 24:00:00, the largest `time`. */
const MICROS_PER_DAY = 86_400_000_000;
const SECONDS_PER_DAY = 86_400;
/** Below this many seconds from the epoch, seconds × 10^6 + micros of a day is a safe integer. */
const SAFE_SECONDS = 8_900_000_000;
const FRACTION_SCALE = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];

const DASH = 45;
const COLON = 58;
const DOT = 46;
const SPACE = 32;
const PLUS = 43;

// Results of the last readDate / readClock call.
let year = 0;
let month = 0;
let day = 0;
let clockMicros = 0;
let end = 0;

function digitAt(text: string, index: number): number {
  const digit = text.charCodeAt(index) - 48; // NaN past the end
  return digit >= 0 && digit <= 9 ? digit : -1;
}

function twoDigits(text: string, index: number): number {
  const tens = digitAt(text, index);
  const ones = digitAt(text, index + 1);
  return tens < 0 || ones < 0 ? -1 : tens * 10 + ones;
}

/** `Y…Y-MM-DD` at the start of `text` (a year of 4 or more digits); sets year, month, day, end. */
function readDate(text: string): boolean {
  let index = 0;
  let value = 0;
  for (let digit = digitAt(text, 0); digit >= 0; digit = digitAt(text, ++index)) {
    value = value * 10 + digit;
  }
  if (index < 4 || text.charCodeAt(index) !== DASH || text.charCodeAt(index + 3) !== DASH) {
    return false;
  }
  year = value;
  month = twoDigits(text, index + 1);
  day = twoDigits(text, index + 4);
  end = index + 6;
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** `HH:MM:SS[.f…]` at `index` (up to 6 fraction digits); sets clockMicros and end. */
function readClock(text: string, index: number): boolean {
  const hours = twoDigits(text, index);
  const minutes = twoDigits(text, index + 3);
  const seconds = twoDigits(text, index + 6);
  if (
    hours < 0 ||
    hours > 24 ||
    minutes < 0 ||
    minutes > 59 ||
    seconds < 0 ||
    seconds > 59 ||
    text.charCodeAt(index + 2) !== COLON ||
    text.charCodeAt(index + 5) !== COLON
  ) {
    return false;
  }
  let position = index + 8;
  let fraction = 0;
  if (text.charCodeAt(position) === DOT) {
    const start = ++position;
    for (let digit = digitAt(text, position); digit >= 0; digit = digitAt(text, ++position)) {
      fraction = fraction * 10 + digit;
    }
    const digits = position - start;
    if (digits === 0 || digits > 6) {
      return false;
    }
    fraction *= FRACTION_SCALE[digits] as number;
  }
  clockMicros = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + fraction;
  end = position;
  return clockMicros <= MICROS_PER_DAY;
}

/** ` BC` from `index` to the end of `text`. */
function isBc(text: string, index: number): boolean {
  return (
    text.length === index + 3 &&
    text.charCodeAt(index) === SPACE &&
    text.charCodeAt(index + 1) === 66 &&
    text.charCodeAt(index + 2) === 67
  );
}

/** The astronomical year of the last readDate, given what follows the value at `index`; NaN when malformed. */
function astronomicalYear(text: string, index: number): number {
  if (index === text.length) {
    return year;
  }
  return isBc(text, index) ? 1 - year : Number.NaN;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (astronomical year: 1 BC is 0). */
export function daysFromCivil(civilYear: number, civilMonth: number, civilDay: number): number {
  const y = civilMonth <= 2 ? civilYear - 1 : civilYear;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = civilMonth > 2 ? civilMonth - 3 : civilMonth + 9;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + civilDay - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function invalid(kind: string, form: string): TributaryError {
  return new TributaryError(
    "TRB_PG_VALUE_INVALID",
    `a ${kind} value is not in PostgreSQL's ISO text form (${form}); ` +
      "the connection must run with DateStyle=ISO, MDY and TimeZone=UTC",
    { details: { kind } },
  );
}

/** `date` text (`2024-02-29`, `0044-03-15 BC`, `infinity`) → days since 1970-01-01. */
export function parseDate(text: string): number {
  if (!readDate(text)) {
    if (text === "infinity") return DATE_POSITIVE_INFINITY;
    if (text === "-infinity") return DATE_NEGATIVE_INFINITY;
    throw invalid("date", "YYYY-MM-DD[ BC]");
  }
  const astronomical = astronomicalYear(text, end);
  if (Number.isNaN(astronomical)) {
    throw invalid("date", "YYYY-MM-DD[ BC]");
  }
  return daysFromCivil(astronomical, month, day);
}

/** `time` text (`13:45:00.5`, `24:00:00`) → microseconds since midnight. */
export function parseTime(text: string): bigint {
  if (!readClock(text, 0) || end !== text.length) {
    throw invalid("time", "HH:MM:SS[.ffffff]");
  }
  return BigInt(clockMicros);
}

/** `timestamp` text (`2024-02-29 13:45:00.5`, `… BC`, `infinity`) → microseconds since 1970-01-01 (wall clock). */
export function parseTimestamp(text: string): bigint {
  return parseTimestampText(text, false);
}

/** `timestamptz` text (`2024-02-29 13:45:00.5+00`, `…+05:30 BC`, `infinity`) → microseconds since 1970-01-01 UTC. */
export function parseTimestamptz(text: string): bigint {
  return parseTimestampText(text, true);
}

function parseTimestampText(text: string, withZone: boolean): bigint {
  const kind = withZone ? "timestamptz" : "timestamp";
  const form = withZone
    ? "YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]][ BC]"
    : "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]";
  if (!readDate(text) || text.charCodeAt(end) !== SPACE || !readClock(text, end + 1)) {
    if (text === "infinity") return TIMESTAMP_POSITIVE_INFINITY;
    if (text === "-infinity") return TIMESTAMP_NEGATIVE_INFINITY;
    throw invalid(kind, form);
  }
  let index = end;
  let offsetSeconds = 0;
  if (withZone) {
    const sign = text.charCodeAt(index);
    const hours = twoDigits(text, index + 1);
    if ((sign !== PLUS && sign !== DASH) || hours < 0) {
      throw invalid(kind, form);
    }
    offsetSeconds = hours * 3600;
    index += 3;
    for (let factor = 60; factor >= 1 && text.charCodeAt(index) === COLON; factor /= 60) {
      const part = twoDigits(text, index + 1);
      if (part < 0) {
        throw invalid(kind, form);
      }
      offsetSeconds += part * factor;
      index += 3;
    }
    if (sign === DASH) {
      offsetSeconds = -offsetSeconds;
    }
  }
  const astronomical = astronomicalYear(text, index);
  if (Number.isNaN(astronomical)) {
    throw invalid(kind, form);
  }
  const seconds = daysFromCivil(astronomical, month, day) * SECONDS_PER_DAY - offsetSeconds;
  const micros =
    seconds < SAFE_SECONDS && seconds > -SAFE_SECONDS
      ? BigInt(seconds * 1_000_000 + clockMicros)
      : BigInt(seconds) * 1_000_000n + BigInt(clockMicros);
  if (micros >= TIMESTAMP_POSITIVE_INFINITY) {
    throw new TributaryError(
      "TRB_PG_VALUE_OUT_OF_RANGE",
      `a ${kind} value after 294247-01-10 04:00:54.775806 does not fit Avro's 64-bit microseconds ` +
        "since 1970-01-01 (PostgreSQL allows up to 294276-12-31); Tributary never clips values: " +
        "change the value in the source row (or set it to 'infinity') to replicate it",
      { details: { kind } },
    );
  }
  return micros;
}
