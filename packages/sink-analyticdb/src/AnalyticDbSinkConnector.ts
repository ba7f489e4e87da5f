import { type Logger, TributaryError } from "@tributary/core";
import {
  type PostgresSinkConfig,
  PostgresSinkConnector,
  qualifiedName,
  type SinkDialect,
  type TableModel,
  type TargetQuery,
} from "@tributary/sink-postgres";
import { analyticdbDialect } from "./analyticdb-dialect.js";
import {
  appendOptimizedQuery,
  appendOptimizedRelations,
  GREENPLUM_DETECTION,
  type GreenplumDetectionRow,
  isGreenplumFamily,
  type StorageRow,
} from "./greenplum-catalog.js";

/** The error for a target table the sink cannot update or delete rows of. */
export function appendOptimizedRefused(table: TableModel, relations: readonly string[]): TributaryError {
  const name = `${table.schema}.${table.table}`;
  return new TributaryError(
    "TRB_SINK_TABLE_APPEND_OPTIMIZED",
    `target table ${name} is append-optimized (${relations.join(", ")}); the sink updates and deletes rows, ` +
      "which append-optimized tables do not take (or only slowly, without concurrent writers); recreate it as a " +
      "heap table (CREATE TABLE … WITH (appendoptimized = false), or drop it and let autoCreate create it) and " +
      "replay the topics into it (tributary replay)",
    { details: { table: name, relations } },
  );
}

async function refuseAppendOptimized(query: TargetQuery, table: TableModel): Promise<void> {
  const rows = await query<StorageRow>(appendOptimizedQuery(qualifiedName(table.schema, table.table)));
  const relations = appendOptimizedRelations(rows);
  if (relations.length > 0) throw appendOptimizedRefused(table, relations);
}

/**
 * `connector: analyticdb-sink`: asks at the start of each session whether the target is
 * Greenplum-based; only then are created tables distributed by their key and existing ones
 * checked for append-optimized storage.
 */
export const analyticdbSinkDialect: SinkDialect = {
  connector: "analyticdb-sink",
  async open({ query, logger }) {
    const [row] = await query<GreenplumDetectionRow>(GREENPLUM_DETECTION);
    const greenplum = row !== undefined && isGreenplumFamily(row);
    if (!greenplum) {
      logger.info(
        { version: row?.version },
        "the target is not Greenplum-family (no Greenplum in version(), no gp_segment_configuration): tables are " +
          "created without DISTRIBUTED BY and no append-optimized check is needed",
      );
      return { dialect: analyticdbDialect({ greenplum }) };
    }
    logger.info(
      { version: row.version },
      "the target is Greenplum-family: created tables are DISTRIBUTED BY their key",
    );
    return {
      dialect: analyticdbDialect({ greenplum }),
      checkTable: (table) => refuseAppendOptimized(query, table),
    };
  },
};

/** The sink for AnalyticDB for PostgreSQL (and other Greenplum-based targets). */
export class AnalyticDbSinkConnector extends PostgresSinkConnector {
  constructor(
    config: PostgresSinkConfig,
    logger: Logger,
    registry?: ConstructorParameters<typeof PostgresSinkConnector>[2],
  ) {
    super(config, logger, registry, analyticdbSinkDialect);
  }
}
