import { parse } from "libpg-query";

/** Statement kinds that are never the DDL an event trigger fired for. */
const NOT_DDL = new Set([
  "InsertStmt",
  "UpdateStmt",
  "DeleteStmt",
  "MergeStmt",
  "CopyStmt",
  "TransactionStmt",
  "VariableSetStmt",
  "VariableShowStmt",
  "ExplainStmt",
  "LockStmt",
  "NotifyStmt",
  "ListenStmt",
  "UnlistenStmt",
  "PrepareStmt",
  "ExecuteStmt",
  "DeallocateStmt",
  "CheckPointStmt",
  "DiscardStmt",
  "VacuumStmt",
  "ClusterStmt",
  "ReindexStmt",
  "CallStmt",
  "DoStmt",
  "DeclareCursorStmt",
  "FetchStmt",
  "ClosePortalStmt",
]);

interface Statement {
  text: string;
  kind: string;
  /** The parse tree as JSON, to look for the object's name in. */
  tree: string;
}

let last: { query: string; statements: Statement[] | undefined } | undefined;

/**
 * The DDL statement a `tributary_ddl` row stands for. The event trigger can only record
 * `current_query()`, the whole query string the client sent, which may hold other statements
 * (DML with its values among them). PostgreSQL's own parser (libpg_query) splits the string; the
 * statement kept is the DDL one that names the object, else the only DDL one. When the string
 * cannot be parsed, or no statement in it is DDL (DDL run inside a function or a DO block), the
 * whole string is kept: it is what ran.
 */
export async function ddlStatementOf(query: string, objectName: string | null): Promise<string> {
  const statements = await split(query);
  if (!statements || statements.length <= 1) return query;
  const ddl = statements.filter((statement) => isDdl(statement));
  if (ddl.length === 0) return query;
  const named = objectName
    ? ddl.filter((statement) => statement.tree.includes(JSON.stringify(objectName)))
    : [];
  return (named[0] ?? ddl[0] ?? { text: query }).text;
}

function isDdl(statement: Statement): boolean {
  if (statement.kind === "SelectStmt") return statement.tree.includes('"intoClause"');
  return !NOT_DDL.has(statement.kind);
}

async function split(query: string): Promise<Statement[] | undefined> {
  if (last?.query === query) return last.statements;
  let statements: Statement[] | undefined;
  try {
    const result = await parse(query);
    // Locations are byte offsets into the UTF-8 text; a missing one is 0, a missing length "to the end".
    const bytes = Buffer.from(query, "utf8");
    statements = (result.stmts ?? []).map((raw) => {
      const start = raw.stmt_location ?? 0;
      const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
      const node = (raw.stmt ?? {}) as Record<string, unknown>;
      return {
        text: bytes.subarray(start, end).toString("utf8").trim(),
        kind: Object.keys(node)[0] ?? "",
        tree: JSON.stringify(node),
      };
    });
  } catch {
    statements = undefined;
  }
  last = { query, statements };
  return statements;
}
