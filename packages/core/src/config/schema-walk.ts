import type { z } from "zod";

/**
 * Reads the shape of a zod schema so environment overrides can be matched to real field names
 * and parsed as the type the field expects.
 */

type AnySchema = z.core.$ZodType;

interface DefLike {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  options?: AnySchema[];
  valueType?: AnySchema;
}

function defOf(schema: AnySchema): DefLike {
  return schema._zod.def as unknown as DefLike;
}

/** Strips optional/default/nullable/pipe wrappers to the schema that describes the value. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (inner === undefined) return current;
    current = inner;
  }
  return current;
}

export function kindOf(schema: AnySchema): string {
  return defOf(unwrap(schema)).type;
}

/** Field names an object schema (or any branch of a union of objects) accepts at this level. */
export function fieldsOf(schema: AnySchema): Map<string, AnySchema> {
  const def = defOf(unwrap(schema));
  const fields = new Map<string, AnySchema>();
  if (def.type === "object" && def.shape) {
    for (const [name, child] of Object.entries(def.shape)) fields.set(name, child);
  } else if (def.type === "union" && def.options) {
    for (const option of def.options) {
      for (const [name, child] of fieldsOf(option)) if (!fields.has(name)) fields.set(name, child);
    }
  }
  return fields;
}

/** A record (map) schema's value type, for paths into free-form maps. */
export function recordValueOf(schema: AnySchema): AnySchema | undefined {
  const def = defOf(unwrap(schema));
  return def.type === "record" ? def.valueType : undefined;
}
