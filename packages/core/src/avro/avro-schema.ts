/**
 * Avro schema JSON as TypeScript types. Every object form also accepts extra attributes
 * (`logicalType`, `precision`, `tributary.sourceType`, …), which Avro allows and ignores.
 */

export type AvroPrimitiveName = "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string";

/** A JSON value, as found in defaults and in extra schema attributes. */
export type AvroJson =
  | null
  | boolean
  | number
  | string
  | readonly AvroJson[]
  | { readonly [key: string]: AvroJson };

interface AvroAttributes {
  readonly doc?: string;
  readonly [attribute: string]: unknown;
}

/** `{"type": "long", "logicalType": "timestamp-micros"}` and the like. */
export interface AvroPrimitiveSchema extends AvroAttributes {
  readonly type: AvroPrimitiveName;
  readonly logicalType?: string;
}

export interface AvroField extends AvroAttributes {
  readonly name: string;
  readonly type: AvroSchema;
  readonly default?: AvroJson;
  readonly order?: "ascending" | "descending" | "ignore";
  readonly aliases?: readonly string[];
}

interface AvroNamedAttributes extends AvroAttributes {
  readonly name: string;
  readonly namespace?: string;
  readonly aliases?: readonly string[];
}

export interface AvroRecordSchema extends AvroNamedAttributes {
  readonly type: "record" | "error";
  readonly fields: readonly AvroField[];
}

export interface AvroEnumSchema extends AvroNamedAttributes {
  readonly type: "enum";
  readonly symbols: readonly string[];
  readonly default?: string;
}

export interface AvroFixedSchema extends AvroNamedAttributes {
  readonly type: "fixed";
  readonly size: number;
}

export interface AvroArraySchema extends AvroAttributes {
  readonly type: "array";
  readonly items: AvroSchema;
}

export interface AvroMapSchema extends AvroAttributes {
  readonly type: "map";
  readonly values: AvroSchema;
}

export type AvroNamedSchema = AvroRecordSchema | AvroEnumSchema | AvroFixedSchema;

export type AvroObjectSchema = AvroPrimitiveSchema | AvroNamedSchema | AvroArraySchema | AvroMapSchema;

/** A union is a JSON array of its branches. */
export type AvroUnionSchema = readonly AvroSchema[];

/**
 * Any Avro schema: a primitive or named-type reference (`"long"`, `"tributary.Source"`), a
 * union, or an object form.
 */
export type AvroSchema = string | AvroUnionSchema | AvroObjectSchema;

const PRIMITIVES: ReadonlySet<string> = new Set<AvroPrimitiveName>([
  "null",
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "bytes",
  "string",
]);

export function isAvroPrimitiveName(name: unknown): name is AvroPrimitiveName {
  return typeof name === "string" && PRIMITIVES.has(name);
}

/** Avro's name grammar: `[A-Za-z_][A-Za-z0-9_]*`. */
export const AVRO_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidAvroName(name: string): boolean {
  return AVRO_NAME_PATTERN.test(name);
}
