import { encode, type OutgoingRecord, type SourceInfo, type WriterSchema } from "@tributary/core";

interface CapturedColumn {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
  /** 1-based position in the table's key (primary key, else replica-identity index); absent otherwise. */
  keyPosition?: number | null;
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
    key: keyColumns(all),
    ts_ms: BigInt(Date.now()),
    origin,
  });
  const table = `${row.schema_name ?? ""}.${row.object_name ?? ""}`;
  return { topic, key: Buffer.from(table), value, describe: () => `the schema change of ${table}` };
}

/** The key column names in key order. Rows recorded before key positions were kept give []. */
export function keyColumns(columns: readonly CapturedColumn[]): string[] {
  return columns
    .filter((column) => typeof column.keyPosition === "number")
    .sort((a, b) => (a.keyPosition ?? 0) - (b.keyPosition ?? 0))
    .map((column) => column.name);
}
