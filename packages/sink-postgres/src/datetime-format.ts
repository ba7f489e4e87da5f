/**
 * The codec's in-memory date and time forms → PostgreSQL's ISO text input, the exact inverse of
 * the PostgreSQL source's parsing (`source-postgres/src/types/datetime-text.ts`): days since
 * 1970-01-01 → `date`, microseconds of the day → `time`, microseconds since 1970-01-01 →
 * `timestamp` / `timestamptz` (in UTC, written `+00`). Dates are proleptic Gregorian; the
 * astronomical year -43 is `0044 … BC`. The extreme values of the Avro types stand for
 * `infinity` and `-infinity`, as they do in PostgreSQL.
 */

export const DATE_POSITIVE_INFINITY = 2_147_483_647;
export const DATE_NEGATIVE_INFINITY = -2_147_483_648;
export const TIMESTAMP_POSITIVE_INFINITY = (1n << 63n) - 1n;
export const TIMESTAMP_NEGATIVE_INFINITY = -(1n << 63n);

const MICROS_PER_DAY = 86_400_000_000n;

/** `YYYY-MM-DD` (4 or more year digits) with ` BC` appended for years before 1 AD, split so timestamps can put the clock between. */
function civilText(days: number): { date: string; bc: boolean } {
  // Howard Hinnant's civil_from_days, in doubles: exact for every 32-bit day count.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const bc = year <= 0;
  const shownYear = bc ? 1 - year : year;
  return { date: `${String(shownYear).padStart(4, "0")}-${pad2(month)}-${pad2(day)}`, bc };
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** `HH:MM:SS` and, when not zero, `.` and the microseconds without trailing zeros (as PostgreSQL writes them). */
function clockText(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const clock = `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`;
  if (fraction === 0) {
    return clock;
  }
  return `${clock}.${String(fraction).padStart(6, "0").replace(/0+$/, "")}`;
}

/** Days since 1970-01-01 → `date` text (`2024-02-29`, `0044-03-15 BC`, `infinity`). */
export function formatDate(days: number): string {
  if (days === DATE_POSITIVE_INFINITY) return "infinity";
  if (days === DATE_NEGATIVE_INFINITY) return "-infinity";
  const { date, bc } = civilText(days);
  return bc ? `${date} BC` : date;
}

/** Microseconds since midnight (0 to 24:00:00) → `time` text (`13:45:06.5`, `24:00:00`). */
export function formatTime(micros: bigint): string {
  return clockText(Number(micros));
}

/** `formatTime` of a count of microseconds held in a number. */
export function formatTimeOfNumber(micros: number): string {
  return clockText(micros);
}

/** Microseconds since 1970-01-01 (wall clock) → `timestamp` text (`2024-02-29 12:34:56.123456`, `… BC`, `infinity`). */
export function formatTimestamp(micros: bigint): string {
  return formatTimestampText(micros, "");
}

/** Microseconds since 1970-01-01 UTC → `timestamptz` text in UTC (`2024-02-29 06:30:00+00`, `… BC`, `infinity`). */
export function formatTimestamptz(micros: bigint): string {
  return formatTimestampText(micros, "+00");
}

function formatTimestampText(micros: bigint, zone: string): string {
  if (micros === TIMESTAMP_POSITIVE_INFINITY) return "infinity";
  if (micros === TIMESTAMP_NEGATIVE_INFINITY) return "-infinity";
  return timestampText(splitDays(micros), zone);
}

function timestampText({ days, ofDay }: { days: number; ofDay: number }, zone: string): string {
  const { date, bc } = civilTextOf(days);
  const text = `${date} ${clockText(ofDay)}${zone}`;
  return bc ? `${text} BC` : text;
}

const MICROS_PER_DAY_NUMBER = 86_400_000_000;

/** Whole days since 1970-01-01 and microseconds into the last, in doubles when the count is a safe integer. */
function splitDays(micros: bigint): { days: number; ofDay: number } {
  const asNumber = Number(micros);
  if (Number.isSafeInteger(asNumber)) return splitSafeDays(asNumber);
  let days = micros / MICROS_PER_DAY;
  let ofDay = micros - days * MICROS_PER_DAY;
  if (ofDay < 0n) {
    days -= 1n;
    ofDay += MICROS_PER_DAY;
  }
  return { days: Number(days), ofDay: Number(ofDay) };
}

/** Whole days since 1970-01-01 and microseconds into the last, of a safe-integer count of microseconds. */
export function splitSafeDays(micros: number): { days: number; ofDay: number } {
  // The quotient may round across a day boundary; the products stay exact, so correct it.
  let days = Math.floor(micros / MICROS_PER_DAY_NUMBER);
  let ofDay = micros - days * MICROS_PER_DAY_NUMBER;
  if (ofDay < 0) {
    days -= 1;
    ofDay += MICROS_PER_DAY_NUMBER;
  } else if (ofDay >= MICROS_PER_DAY_NUMBER) {
    days += 1;
    ofDay -= MICROS_PER_DAY_NUMBER;
  }
  return { days, ofDay };
}

/** Rows of a batch mostly share a few days: the last day's text is kept. */
let lastDays = Number.NaN;
let lastCivil: { date: string; bc: boolean } = { date: "", bc: false };

/** The date text of a day count (`YYYY-MM-DD`, `bc` for years before 1 AD), kept for the next call with the same day. */
export function civilTextOf(days: number): { date: string; bc: boolean } {
  if (days !== lastDays) {
    lastCivil = civilText(days);
    lastDays = days;
  }
  return lastCivil;
}
