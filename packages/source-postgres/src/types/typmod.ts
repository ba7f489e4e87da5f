/**
 * Type modifiers (`atttypmod`) decoded as PostgreSQL does, and type names with their modifiers
 * written as `format_type(oid, typmod)` writes them (`numeric(38,10)`, `character varying(20)`,
 * `timestamp(3) with time zone`, `integer[]`), except that every type outside `pg_catalog` is
 * schema-qualified whatever the search path.
 */
import { TributaryError } from "@tributary/core";
import type { PgTypeCatalog } from "./PgTypeCatalog.js";
import { PG_TYPE, VARHDRSZ } from "./pg-type-oids.js";

export interface NumericTypmod {
  readonly precision: number;
  /** From -1000 to 1000 (PostgreSQL 15 allows a negative scale and a scale above the precision). */
  readonly scale: number;
}

/** `numeric(p,s)` from its typmod; null for an unconstrained `numeric` (typmod -1). */
export function numericTypmod(typmod: number): NumericTypmod | null {
  if (typmod < VARHDRSZ) {
    return null;
  }
  const packed = typmod - VARHDRSZ;
  // The scale is an 11-bit two's-complement number (PostgreSQL 15); older servers only write 0..1000.
  return { precision: (packed >> 16) & 0xffff, scale: ((packed & 0x7ff) ^ 1024) - 1024 };
}

/** Declared length of `character varying(n)` / `character(n)`; null when unconstrained. */
export function charLength(typmod: number): number | null {
  return typmod >= VARHDRSZ ? typmod - VARHDRSZ : null;
}

/** Fractional-second precision of `time(p)`, `timetz(p)`, `timestamp(p)`, `timestamptz(p)`; null when not given. */
export function timePrecision(typmod: number): number | null {
  return typmod >= 0 ? typmod : null;
}

/** Length of `bit(n)` / `bit varying(n)`; null when not given. */
export function bitLength(typmod: number): number | null {
  return typmod >= 0 ? typmod : null;
}

/** Bits of the interval field mask (`datetime.h`). */
const MONTH = 1 << 1;
const YEAR = 1 << 2;
const DAY = 1 << 3;
const HOUR = 1 << 10;
const MINUTE = 1 << 11;
const SECOND = 1 << 12;
const INTERVAL_FULL_RANGE = 0x7fff;
const INTERVAL_FULL_PRECISION = 0xffff;

const INTERVAL_FIELDS: ReadonlyMap<number, string> = new Map([
  [YEAR, " year"],
  [MONTH, " month"],
  [DAY, " day"],
  [HOUR, " hour"],
  [MINUTE, " minute"],
  [SECOND, " second"],
  [YEAR | MONTH, " year to month"],
  [DAY | HOUR, " day to hour"],
  [DAY | HOUR | MINUTE, " day to minute"],
  [DAY | HOUR | MINUTE | SECOND, " day to second"],
  [HOUR | MINUTE, " hour to minute"],
  [HOUR | MINUTE | SECOND, " hour to second"],
  [MINUTE | SECOND, " minute to second"],
  [INTERVAL_FULL_RANGE, ""],
]);

export interface IntervalTypmod {
  /** `""` for all fields, else e.g. `" day to second"` (with its leading space). */
  readonly fields: string;
  /** Fractional-second precision; null when not given. */
  readonly precision: number | null;
}

/** `interval [fields] [(p)]` from its typmod; null for a plain `interval`. */
export function intervalTypmod(typmod: number): IntervalTypmod | null {
  if (typmod < 0) {
    return null;
  }
  const range = (typmod >> 16) & 0x7fff;
  const precision = typmod & 0xffff;
  return {
    fields: INTERVAL_FIELDS.get(range) ?? "",
    precision: precision === INTERVAL_FULL_PRECISION ? null : precision,
  };
}

/** `time`/`timestamp` with its precision between the name and the zone: `timestamp(3) with time zone`. */
function withPrecision(name: string, typmod: number, zone: string): string {
  const precision = timePrecision(typmod);
  return precision === null ? `${name} ${zone}` : `${name}(${precision}) ${zone}`;
}

function withLength(name: string, length: number | null): string {
  return length === null ? name : `${name}(${length})`;
}

/**
 * The type of a column as `format_type(typeOid, typmod)` writes it, with every type outside
 * `pg_catalog` schema-qualified. Pure: the type (and for arrays its element) must be loaded in
 * `catalog`; a type that formats its own typmod must have been loaded with that typmod.
 */
export function formatType(typeOid: number, typmod: number, catalog: PgTypeCatalog): string {
  switch (typeOid) {
    case PG_TYPE.bit: {
      const length = bitLength(typmod);
      // Like format_type: plain `bit` means bit(1), so an unconstrained bit is written quoted.
      return length === null ? '"bit"' : `bit(${length})`;
    }
    case PG_TYPE.varbit:
      return withLength("bit varying", bitLength(typmod));
    case PG_TYPE.bool:
      return "boolean";
    case PG_TYPE.bpchar: {
      const length = charLength(typmod);
      return length === null ? "bpchar" : `character(${length})`;
    }
    case PG_TYPE.varchar:
      return withLength("character varying", charLength(typmod));
    case PG_TYPE.float4:
      return "real";
    case PG_TYPE.float8:
      return "double precision";
    case PG_TYPE.int2:
      return "smallint";
    case PG_TYPE.int4:
      return "integer";
    case PG_TYPE.int8:
      return "bigint";
    case PG_TYPE.numeric: {
      const numeric = numericTypmod(typmod);
      return numeric === null ? "numeric" : `numeric(${numeric.precision},${numeric.scale})`;
    }
    case PG_TYPE.interval: {
      const interval = intervalTypmod(typmod);
      if (interval === null) {
        return "interval";
      }
      return interval.precision === null
        ? `interval${interval.fields}`
        : `interval${interval.fields}(${interval.precision})`;
    }
    case PG_TYPE.time:
      return withPrecision("time", typmod, "without time zone");
    case PG_TYPE.timetz:
      return withPrecision("time", typmod, "with time zone");
    case PG_TYPE.timestamp:
      return withPrecision("timestamp", typmod, "without time zone");
    case PG_TYPE.timestamptz:
      return withPrecision("timestamp", typmod, "with time zone");
  }
  const info = catalog.get(typeOid);
  if (info.isArray) {
    return `${formatType(info.elementOid, typmod, catalog)}[]`;
  }
  if (typmod < 0) {
    return info.sqlName;
  }
  if (!info.hasTypmodOut) {
    return `${info.sqlName}(${typmod})`;
  }
  const modifier = catalog.modifier(typeOid, typmod);
  if (modifier === undefined) {
    throw new TributaryError(
      "TRB_USAGE",
      `the modifier of type ${info.sqlName} with typmod ${typmod} is not in the type catalog; ` +
        `load it with catalog.load([{ typeOid: ${typeOid}, typmod: ${typmod} }])`,
    );
  }
  return `${info.sqlName}${modifier}`;
}
