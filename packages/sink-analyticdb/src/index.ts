export {
  AnalyticDbSinkConnector,
  analyticdbSinkDialect,
  appendOptimizedRefused,
} from "./AnalyticDbSinkConnector.js";
export { type AnalyticDbTarget, analyticdbDialect, distributionClause } from "./analyticdb-dialect.js";
export {
  appendOptimizedQuery,
  appendOptimizedRelations,
  GREENPLUM_DETECTION,
  type GreenplumDetectionRow,
  isGreenplumFamily,
  type StorageRow,
} from "./greenplum-catalog.js";
