export { type PostgresSourceConfig, postgresSourceConfigSchema, replicationName } from "./config.js";
export { PostgresSourceConnector } from "./PostgresSourceConnector.js";
export {
  checkSourcePrerequisites,
  formatProblem,
  type PrecheckProblem,
  type ReleaseReport,
  releaseSource,
  withSourceConnection,
} from "./setup/index.js";
