export { PolarDbSinkConnector, polardbSinkDialect } from "./PolarDbSinkConnector.js";
export { polardbColumnType, polardbDialect } from "./polardb-dialect.js";
