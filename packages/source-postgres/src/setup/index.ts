export { describeConnectionError, withSourceConnection } from "./connection-errors.js";
export {
  type DdlCaptureNames,
  ddlCaptureNames,
  heartbeatSql,
} from "./helper-objects-sql.js";
export {
  checkSourcePrerequisites,
  type PrecheckConfig,
} from "./precheck.js";
export {
  formatProblem,
  type PrecheckProblem,
  type ProblemSeverity,
} from "./precheck-problems.js";
export type { QualifiedTable, RefusalReason, RefusedTable } from "./publication-plan.js";
export {
  type EnsureResult,
  type PublicationReport,
  type RefreshResult,
  ReplicationSetup,
  type ReplicationSetupOptions,
  type SetupAction,
  type SetupConfig,
} from "./ReplicationSetup.js";
export {
  type ReleaseConfig,
  type ReleaseItem,
  type ReleaseOptions,
  type ReleaseReport,
  releaseSource,
} from "./release.js";
export { createTableSelector, type TableSelection, type TableSelector } from "./table-selection.js";
