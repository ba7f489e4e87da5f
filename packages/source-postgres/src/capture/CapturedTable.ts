import {
  buildTableSchemas,
  type ColumnDescription,
  type ColumnValue,
  type SchemaStore,
  TributaryError,
  tableTopic,
  type WriterSchema,
} from "@tributary/core";
import type { PgTypeCatalog } from "../types/PgTypeCatalog.js";
import { textParser } from "../types/text-values.js";
import { mapColumn } from "../types/type-mapping.js";

/** A table's columns and key as PostgreSQL describes them (catalog or pgoutput Relation message). */
export interface RelationShape {
  oid: number;
  schema: string;
  table: string;
  /** In the order of the table's attributes, which is the order of pgoutput tuples. */
  columns: { name: string; typeOid: number; typmod: number; notNull?: boolean; dimensions?: number }[];
  /** Primary-key (or replica-identity index) columns; empty for a table without a key. */
  key: string[];
}

export interface CapturedColumn {
  name: string;
  /** Avro field name (differs from `name` only where Avro cannot hold the name). */
  field: string;
  parse: (text: string) => ColumnValue;
}

/**
 * One version of a captured table: where its events go, their writer schemas, and how each
 * pgoutput tuple position becomes a field (null for an excluded column).
 */
export class CapturedTable {
  private constructor(
    readonly shape: RelationShape,
    readonly topic: string,
    readonly byPosition: readonly (CapturedColumn | null)[],
    readonly keyFields: readonly string[],
    readonly keySchema: WriterSchema | null,
    readonly valueSchema: WriterSchema,
    /** Fields of the array columns: their envelope also carries `array_lower_bounds`. */
    readonly arrayFields: readonly string[],
  ) {}

  get qualifiedName(): string {
    return `${this.shape.schema}.${this.shape.table}`;
  }

  /**
   * Maps the shape to Avro and registers the key and value schemas before first use. Every
   * value field is nullable, because an unchanged TOAST value arrives as no value at all; a
   * column's NOT NULL is kept in the `tributary.notNull` property for sinks.
   */
  static async prepare(
    shape: RelationShape,
    context: {
      database: string;
      topicPrefix: string;
      excludedColumns: ReadonlySet<string>;
      catalog: PgTypeCatalog;
      store: Pick<SchemaStore, "register">;
    },
  ): Promise<CapturedTable> {
    for (const key of shape.key) {
      if (context.excludedColumns.has(key)) {
        throw new TributaryError(
          "TRB_CFG_INVALID",
          `tables.excludeColumns removes key column ${shape.schema}.${shape.table}.${key}; key columns must be published`,
        );
      }
    }
    await context.catalog.load(shape.columns.map(({ typeOid, typmod }) => ({ typeOid, typmod })));
    const kept = shape.columns.filter((column) => !context.excludedColumns.has(column.name));
    const descriptions: ColumnDescription[] = kept.map((column) => {
      const mapping = mapColumn(column.typeOid, column.typmod, context.catalog, {
        ...(column.dimensions === undefined ? {} : { dimensions: column.dimensions }),
      });
      return {
        name: column.name,
        type: mapping.type,
        nullable: true,
        sourceType: mapping.sourceType,
        sourceProperties: { ...mapping.sourceProperties, ...(column.notNull ? { notNull: true } : {}) },
      };
    });
    const schemas = buildTableSchemas({
      database: context.database,
      schema: shape.schema,
      table: shape.table,
      columns: descriptions,
      key: shape.key,
    });
    const field = (name: string) => schemas.fieldNames.get(name) ?? name;
    const byPosition = shape.columns.map((column) =>
      context.excludedColumns.has(column.name)
        ? null
        : {
            name: column.name,
            field: field(column.name),
            parse: textParser(column.typeOid, column.typmod, context.catalog, {
              ...(column.dimensions === undefined ? {} : { dimensions: column.dimensions }),
            }),
          },
    );
    const [keySchema, valueSchema] = await Promise.all([
      schemas.key ? context.store.register(schemas.key) : Promise.resolve(null),
      context.store.register(schemas.value),
    ]);
    return new CapturedTable(
      shape,
      tableTopic(context.topicPrefix, shape.schema, shape.table),
      byPosition,
      shape.key.map(field),
      keySchema,
      valueSchema,
      kept.filter((_, i) => descriptions[i]?.type.kind === "array").map((column) => field(column.name)),
    );
  }
}
