/**
 * Turning database identifiers into Avro names. Avro names are `[A-Za-z_][A-Za-z0-9_]*`;
 * database identifiers can hold spaces, dashes, any Unicode, or start with a digit.
 */
import { isValidAvroName } from "./avro-schema.js";
import { crc64AvroHalves } from "./crc64-avro.js";

/**
 * Names that are valid in Avro but unsafe as keys of the decoded JavaScript objects: they
 * would shadow `Object.prototype` members (`__proto__` would even replace the prototype).
 */
const RESERVED: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** True when `identifier` can be used as an Avro name as it is. */
export function isSafeAvroName(identifier: string): boolean {
  return isValidAvroName(identifier) && !RESERVED.has(identifier);
}

/**
 * A valid Avro name for `identifier`: the identifier itself when it is a safe Avro name;
 * otherwise every other character replaced by `_`, a `_` prefix when it would start with a
 * digit, and a suffix of 8 hex digits hashed from the original (CRC-64-AVRO of its UTF-8).
 * Deterministic and independent of the other names around it, so a column keeps its field
 * name across table versions; the hash keeps `a-b` and `a b` apart.
 */
export function toAvroName(identifier: string): string {
  if (isSafeAvroName(identifier)) {
    return identifier;
  }
  let base = identifier.replace(/[^A-Za-z0-9_]/gu, "_");
  if (!/^[A-Za-z_]/.test(base)) {
    base = `_${base}`;
  }
  const { lo } = crc64AvroHalves(identifier);
  return `${base}_${lo.toString(16).padStart(8, "0")}`;
}

/**
 * Avro names for a list of identifiers (the columns of one table), unique within the list:
 * `toAvroName` of each, and on the (unlikely) clash of a sanitized name with another
 * identifier's name, a `_2`, `_3`, … suffix in list order.
 */
export function toUniqueAvroNames(identifiers: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  // Identifiers that are already valid names keep them; sanitized ones yield on a clash.
  for (const identifier of identifiers) {
    if (isSafeAvroName(identifier)) {
      names.set(identifier, identifier);
      taken.add(identifier);
    }
  }
  for (const identifier of identifiers) {
    if (names.has(identifier)) {
      continue;
    }
    const base = toAvroName(identifier);
    let name = base;
    for (let n = 2; taken.has(name); n++) {
      name = `${base}_${n}`;
    }
    names.set(identifier, name);
    taken.add(name);
  }
  return names;
}
