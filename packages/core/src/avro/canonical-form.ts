import { TributaryError } from "../errors/TributaryError.js";
import { type AvroSchema, isAvroPrimitiveName } from "./avro-schema.js";
import { crc64AvroHalves } from "./crc64-avro.js";

/**
 * A schema fingerprint: the 8 bytes of a CRC-64-AVRO value in the order they appear in a
 * single-object message (little-endian, as the Avro specification mandates), as 16 lowercase
 * hex characters. Tributary fingerprints are taken over the extended canonical form.
 */
export type Fingerprint = string & { readonly __brand: "Fingerprint" };

const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

export function isFingerprint(text: string): text is Fingerprint {
  return FINGERPRINT_PATTERN.test(text);
}

/** The 8 bytes of a fingerprint, in single-object (little-endian) order. */
export function fingerprintToBytes(fingerprint: Fingerprint): Buffer {
  return Buffer.from(fingerprint, "hex");
}

/** Reads the 8 fingerprint bytes at `offset` (no bounds check beyond Buffer's own). */
export function fingerprintFromBytes(bytes: Buffer, offset = 0): Fingerprint {
  return bytes.toString("hex", offset, offset + 8) as Fingerprint;
}

/** Fingerprint of an arbitrary canonical-form text: CRC-64-AVRO of its UTF-8 bytes. */
export function fingerprintOfText(canonicalForm: string): Fingerprint {
  const { hi, lo } = crc64AvroHalves(canonicalForm);
  return (hexLittleEndian32(lo) + hexLittleEndian32(hi)) as Fingerprint;
}

/** The plain Avro fingerprint (CRC-64-AVRO of the Parsing Canonical Form), for interoperability. */
export function parsingFingerprint(schema: AvroSchema): Fingerprint {
  return fingerprintOfText(parsingCanonicalForm(schema));
}

/** The Tributary fingerprint: CRC-64-AVRO of the extended canonical form. */
export function schemaFingerprint(schema: AvroSchema): Fingerprint {
  return fingerprintOfText(extendedCanonicalForm(schema));
}

/**
 * The Avro specification's Parsing Canonical Form: primitives in their simple form, full
 * names, only the attributes that affect parsing (`name`, `type`, `fields`, `symbols`, `items`,
 * `values`, `size`) in that order, plain integers, no whitespace.
 */
export function parsingCanonicalForm(schema: AvroSchema): string {
  return new CanonicalWriter(false).write(schema, "");
}

/**
 * Tributary's extended canonical form: the Parsing Canonical Form plus, on every schema
 * object and record field, after the parsing attributes and in this order: `logicalType`,
 * `precision`, `scale`, `default`, then every attribute whose name starts with `tributary.`
 * sorted by name. Values are serialized deterministically (object keys sorted, no
 * whitespace). A primitive carrying any of these stays in its object form.
 *
 * Why not plain PCF: it strips `logicalType`, `precision` and `scale`, so a `decimal(10,2)` and
 * a `decimal(12,4)` column share one fingerprint, and a consumer holding the wrong one of the
 * two schemas would decode `12.34` as `0.1234` without noticing. It also strips the
 * `tributary.*` properties (source column types, original names) that sinks use to recreate
 * exact target types. Fingerprinting this form makes every such difference a different
 * schema. `doc`, `aliases` and `order` stay stripped: they do not change what a value means.
 */
export function extendedCanonicalForm(schema: AvroSchema): string {
  return new CanonicalWriter(true).write(schema, "");
}

const EXTENDED_ATTRIBUTES = ["logicalType", "precision", "scale", "default"] as const;
const TRIBUTARY_PREFIX = "tributary.";

class CanonicalWriter {
  private readonly defined = new Set<string>();

  constructor(private readonly extended: boolean) {}

  write(schema: unknown, namespace: string): string {
    if (typeof schema === "string") {
      return JSON.stringify(qualify(schema, namespace));
    }
    if (Array.isArray(schema)) {
      return `[${schema.map((branch) => this.write(branch, namespace)).join(",")}]`;
    }
    if (!isObject(schema)) {
      throw invalid(
        `expected a type name, a union or an object, got ${JSON.stringify(schema) ?? "undefined"}`,
      );
    }
    const type = schema.type;
    switch (type) {
      case "record":
      case "error":
      case "enum":
      case "fixed":
        return this.writeNamed(schema, type, namespace);
      case "array":
        return `{"type":"array","items":${this.write(schema.items, namespace)}${this.extension(schema)}}`;
      case "map":
        return `{"type":"map","values":${this.write(schema.values, namespace)}${this.extension(schema)}}`;
      default: {
        if (isAvroPrimitiveName(type)) {
          const extension = this.extension(schema);
          return extension === "" ? JSON.stringify(type) : `{"type":${JSON.stringify(type)}${extension}}`;
        }
        if (typeof type === "string" || Array.isArray(type) || isObject(type)) {
          // {"type": "some.Named"} or {"type": {...}}: the object only wraps another schema.
          return this.write(type, namespace);
        }
        throw invalid(`schema object without a valid "type": ${JSON.stringify(schema)}`);
      }
    }
  }

  private writeNamed(
    schema: Readonly<Record<string, unknown>>,
    type: "record" | "error" | "enum" | "fixed",
    enclosing: string,
  ): string {
    const name = schema.name;
    if (typeof name !== "string" || name === "") {
      throw invalid(`${type} without a name: ${JSON.stringify(schema)}`);
    }
    const explicit = typeof schema.namespace === "string" ? schema.namespace : undefined;
    const { fullName, namespace } = resolveName(name, explicit, enclosing);
    if (this.defined.has(fullName)) {
      return JSON.stringify(fullName);
    }
    this.defined.add(fullName);
    let out = `{"name":${JSON.stringify(fullName)},"type":${JSON.stringify(type)}`;
    if (type === "record" || type === "error") {
      if (!Array.isArray(schema.fields)) {
        throw invalid(`record ${fullName} has no "fields" array`);
      }
      const fields = schema.fields.map((field: unknown) => this.writeField(field, namespace, fullName));
      out += `,"fields":[${fields.join(",")}]`;
    } else if (type === "enum") {
      const symbols = schema.symbols;
      if (!Array.isArray(symbols) || !symbols.every((symbol) => typeof symbol === "string")) {
        throw invalid(`enum ${fullName} has no "symbols" array of strings`);
      }
      out += `,"symbols":${JSON.stringify(symbols)}`;
    } else {
      const size = schema.size;
      if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
        throw invalid(`fixed ${fullName} has no valid "size"`);
      }
      out += `,"size":${size}`;
    }
    return `${out}${this.extension(schema)}}`;
  }

  private writeField(field: unknown, namespace: string, record: string): string {
    if (!isObject(field) || typeof field.name !== "string" || field.type === undefined) {
      throw invalid(`record ${record} has a field without a name or a type: ${JSON.stringify(field)}`);
    }
    const type = this.write(field.type, namespace);
    return `{"name":${JSON.stringify(field.name)},"type":${type}${this.extension(field)}}`;
  }

  private extension(object: Readonly<Record<string, unknown>>): string {
    if (!this.extended) {
      return "";
    }
    let out = "";
    for (const attribute of EXTENDED_ATTRIBUTES) {
      const value = object[attribute];
      if (value !== undefined) {
        out += `,"${attribute}":${stableJson(value)}`;
      }
    }
    const tributary = Object.keys(object)
      .filter((key) => key.startsWith(TRIBUTARY_PREFIX) && object[key] !== undefined)
      .sort();
    for (const key of tributary) {
      out += `,${JSON.stringify(key)}:${stableJson(object[key])}`;
    }
    return out;
  }
}

function resolveName(
  name: string,
  explicitNamespace: string | undefined,
  enclosing: string,
): { fullName: string; namespace: string } {
  const dot = name.lastIndexOf(".");
  if (dot >= 0) {
    return { fullName: name, namespace: name.slice(0, dot) };
  }
  const namespace = explicitNamespace ?? enclosing;
  return { fullName: namespace === "" ? name : `${namespace}.${name}`, namespace };
}

function qualify(reference: string, namespace: string): string {
  if (isAvroPrimitiveName(reference) || reference.includes(".") || namespace === "") {
    return reference;
  }
  return `${namespace}.${reference}`;
}

/** JSON with object keys sorted and no whitespace; bigints as plain integers. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw invalid(`${value} cannot be written in a schema (JSON has no NaN or Infinity)`);
    }
    return JSON.stringify(value);
  }
  if (typeof value === "bigint") {
    return value.toString();
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => stableJson(item === undefined ? null : item)).join(",")}]`;
  }
  if (isObject(value) && !Buffer.isBuffer(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`).join(",")}}`;
  }
  throw invalid(`a ${typeof value} cannot be written in a schema attribute`);
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(message: string): TributaryError {
  return new TributaryError("TRB_SCHEMA_INVALID", `invalid Avro schema: ${message}`);
}

function hexLittleEndian32(value: number): string {
  let out = "";
  for (let shift = 0; shift < 32; shift += 8) {
    out += ((value >>> shift) & 0xff).toString(16).padStart(2, "0");
  }
  return out;
}
