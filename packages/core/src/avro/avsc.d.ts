/**
 * The part of avsc 5.7 that Tributary uses, typed without `any`. Declared here (rather than
 * relying on the package's own typings) so the surface we depend on is explicit and small;
 * an ambient declaration takes precedence over the package's bundled one.
 */
declare module "avsc" {
  namespace avsc {
    interface ForSchemaOptions {
      /** Throw instead of silently falling back to the underlying type when a logical type is invalid. */
      assertLogicalTypes?: boolean;
      logicalTypes?: Readonly<Record<string, LogicalTypeConstructor>>;
      /** Decode records as bare instances without helper methods. */
      omitRecordMethods?: boolean;
      registry?: Record<string, Type>;
      /** Called for every (sub)schema before avsc builds a type for it; a returned type is used as is. */
      typeHook?: (schema: unknown, opts: ForSchemaOptions) => Type | undefined;
      wrapUnions?: boolean | "auto" | "always" | "never";
    }

    type LogicalTypeConstructor = new (
      schema: Readonly<Record<string, unknown>>,
      opts: ForSchemaOptions,
    ) => Type;

    interface IsValidOptions {
      errorHook?: (path: string[], value: unknown, type: Type) => void;
      noUndeclaredFields?: boolean;
    }

    interface DecodeResult {
      value: unknown;
      /** Position after the value, or -1 when the buffer ended first. */
      offset: number;
    }

    class Type {
      static forSchema(schema: unknown, opts?: ForSchemaOptions): Type;
      readonly typeName: string;
      readonly name: string | undefined;
      /** Returns the position after the value, or a negative number (minus the missing bytes) when `buffer` is too small. */
      encode(value: unknown, buffer: Buffer, position?: number): number;
      decode(buffer: Buffer, position?: number): DecodeResult;
      isValid(value: unknown, opts?: IsValidOptions): boolean;
    }

    class LogicalType extends Type {
      constructor(schema: Readonly<Record<string, unknown>>, opts: ForSchemaOptions);
      readonly underlyingType: Type;
      protected _fromValue(value: unknown): unknown;
      protected _toValue(value: unknown): unknown;
      protected _resolve(type: Type): ((value: unknown) => unknown) | undefined;
    }

    /** A union whose branches avsc chooses from the value itself (our `["null", T]` unions). */
    class UnwrappedUnionType extends Type {
      readonly types: readonly Type[];
    }

    interface LongMethods<T> {
      fromBuffer(buffer: Buffer): T;
      toBuffer(value: T): Buffer;
      fromJSON(json: unknown): T;
      toJSON(value: T): unknown;
      isValid(value: unknown): boolean;
      compare(a: T, b: T): number;
    }

    class LongType extends Type {
      static __with<T>(methods: LongMethods<T>, noUnpack?: boolean): Type;
    }

    const types: {
      readonly LogicalType: typeof LogicalType;
      readonly LongType: typeof LongType;
      readonly UnwrappedUnionType: typeof UnwrappedUnionType;
    };
  }

  export = avsc;
}
