/**
 * Plain JSON for decoded events: bigint becomes a number when it is exact as one and a
 * string otherwise (never rounded), bytes become base64, non-finite floats their names.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "bigint":
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
    case "string":
      return value;
    case "object": {
      if (Buffer.isBuffer(value)) return value.toString("base64");
      if (Array.isArray(value)) return value.map(toJsonValue);
      const result: { [key: string]: JsonValue } = {};
      for (const [key, child] of Object.entries(value)) result[key] = toJsonValue(child);
      return result;
    }
    default:
      return String(value);
  }
}
