import { encode, type OutgoingRecord, type SourceInfo, type WriterSchema } from "@tributary/core";

interface CapturedColumn {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
}

/**
 * The `_schema_changes` event of one row of `tributary_ddl`: the statement, the table and its
 * new column list, at the statement's place in the stream. Keyed by table so that one table's
 * changes stay in order.
 */
export function schemaChangeRecord(
  topic: string,
  writer: WriterSchema,
  row: Record<string, string | null>,
  source: SourceInfo,
  origin: string,
  excludedColumns: (names: string[]) => ReadonlySet<string> = () => new Set(),
): OutgoingRecord {
  const all = row.columns ? (JSON.parse(row.columns) as CapturedColumn[]) : [];
  const excluded = excludedColumns(all.map((column) => column.name));
  const columns = all.filter((column) => !excluded.has(column.name));
  const value = encode(writer, {
    source,
    statement: row.statement ?? "",
    database: source.database,
    schema: row.schema_name ?? null,
    table: row.object_name ?? "",
    columns: columns.map((column) => ({
      name: column.name,
      sourceType: column.type,
      nullable: column.nullable,
      default: column.default,
    })),
    key: [],
    ts_ms: BigInt(Date.now()),
    origin,
  });
  const table = `${row.schema_name ?? ""}.${row.object_name ?? ""}`;
  return { topic, key: Buffer.from(table), value, describe: () => `the schema change of ${table}` };
}
