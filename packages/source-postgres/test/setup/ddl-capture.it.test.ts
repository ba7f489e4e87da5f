import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReplicationSetup, type SetupConfig } from "../../src/setup/index.js";

/** The local stack's source cluster: superuser postgres, trust auth. */
const SERVER = { host: "127.0.0.1", port: 5432 };
const rand = (): string => randomBytes(4).toString("hex");
const database = `tributary_setup_${rand()}`;
const role = `tributary_setup_role_${rand()}`;
const clients: pg.Client[] = [];

async function connect(db: string, user = "postgres"): Promise<pg.Client> {
  const client = new pg.Client({ ...SERVER, user, database: db });
  client.on("error", () => undefined);
  await client.connect();
  if (db === database) clients.push(client);
  return client;
}

async function onAdmin(work: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = await connect("postgres");
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

interface DdlRow {
  id: string;
  connector: string;
  command_tag: string;
  object_type: string;
  schema_name: string | null;
  object_name: string | null;
  statement: string;
  columns:
    | {
        name: string;
        type: string;
        nullable: boolean;
        default: string | null;
        generated: string | null;
        keyPosition: number | null;
      }[]
    | null;
  object_oid: string | null;
  txid: string;
}

const config: SetupConfig = {
  name: `ddl_${rand()}`,
  tables: { include: ["*.*"], exclude: [], excludeColumns: [] },
  helperSchema: "public",
  ddl: { capture: true },
};

let sql: pg.Client;
let lastId = 0;

/** Rows captured since the previous call, for this test's connector. */
async function captured(): Promise<DdlRow[]> {
  const { rows } = await sql.query<DdlRow>(
    "SELECT * FROM public.tributary_ddl WHERE id > $1 AND connector = $2 ORDER BY id",
    [lastId, config.name],
  );
  const last = rows.at(-1);
  if (last) lastId = Number(last.id);
  return rows;
}

const summary = (rows: DdlRow[]) =>
  rows.map((r) => [r.command_tag, r.object_type, r.schema_name, r.object_name]);
const column = (
  name: string,
  type: string,
  nullable = true,
  dflt: string | null = null,
  generated: string | null = null,
  keyPosition: number | null = null,
) => ({
  name,
  type,
  nullable,
  default: dflt,
  generated,
  keyPosition,
});

beforeAll(async () => {
  await onAdmin(async (admin) => {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN`);
  });
  sql = await connect(database);
  await sql.query('CREATE SCHEMA "Mixed Case"');
  const result = await new ReplicationSetup(sql, config).ensure();
  expect(result.ddlCapture).toBe("on");
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  await onAdmin(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
  });
});

beforeEach(async () => {
  await captured();
});

describe("the DDL event trigger", () => {
  it("records CREATE TABLE with the statement and the column list in order", async () => {
    const statement = `CREATE TABLE "Mixed Case"."Order Items" (
      id serial PRIMARY KEY,
      "Name" varchar(20) NOT NULL DEFAULT 'x',
      price numeric(10,2),
      at timestamptz(3) DEFAULT now(),
      doubled int GENERATED ALWAYS AS (id * 2) STORED)`;
    await sql.query(statement);
    const rows = await captured();
    expect(summary(rows)).toEqual([
      ["CREATE SEQUENCE", "sequence", "Mixed Case", "Order Items_id_seq"],
      ["CREATE TABLE", "table", "Mixed Case", "Order Items"],
      ["CREATE INDEX", "index", "Mixed Case", "Order Items_pkey"],
      ["ALTER SEQUENCE", "sequence", "Mixed Case", "Order Items_id_seq"],
    ]);
    const table = rows[1];
    expect(table?.statement).toBe(statement);
    expect(table?.connector).toBe(config.name);
    expect(table?.columns).toEqual([
      column("id", "integer", false, `nextval('"Mixed Case"."Order Items_id_seq"'::regclass)`, null, 1),
      column("Name", "character varying(20)", false, "'x'::character varying"),
      column("price", "numeric(10,2)"),
      column("at", "timestamp(3) with time zone", true, "now()"),
      column("doubled", "integer", true, null, "(id * 2)"),
    ]);
    const oid = await sql.query<{ oid: string }>(
      `SELECT '"Mixed Case"."Order Items"'::regclass::oid::int8 AS oid`,
    );
    expect(table?.object_oid).toBe(oid.rows[0]?.oid);
    // Sequences and indexes carry no column list.
    expect(rows[0]?.columns).toBeNull();
    expect(rows[2]?.columns).toBeNull();
  });

  it("records ALTER TABLE ADD, RENAME, ALTER TYPE and DROP COLUMN with the new column list", async () => {
    await sql.query("CREATE TABLE public.t (id int PRIMARY KEY, a int)");
    await captured();

    await sql.query("ALTER TABLE public.t ADD COLUMN b text DEFAULT 'b'");
    let rows = await captured();
    expect(summary(rows)).toEqual([["ALTER TABLE", "table", "public", "t"]]);
    expect(rows[0]?.columns?.map((c) => c.name)).toEqual(["id", "a", "b"]);
    expect(rows[0]?.columns?.[2]).toEqual(column("b", "text", true, "'b'::text"));

    await sql.query("ALTER TABLE public.t RENAME COLUMN a TO a2");
    rows = await captured();
    expect(summary(rows)).toEqual([["ALTER TABLE", "table column", "public", "t"]]);
    expect(rows[0]?.columns?.map((c) => c.name)).toEqual(["id", "a2", "b"]);

    await sql.query("ALTER TABLE public.t ALTER COLUMN a2 TYPE numeric(12,3)");
    rows = await captured();
    expect(summary(rows)).toEqual([["ALTER TABLE", "table", "public", "t"]]);
    expect(rows[0]?.columns?.[1]).toEqual(column("a2", "numeric(12,3)"));

    await sql.query("ALTER TABLE public.t DROP COLUMN b");
    rows = await captured();
    expect(summary(rows)).toEqual([["ALTER TABLE", "table", "public", "t"]]);
    expect(rows[0]?.columns?.map((c) => c.name)).toEqual(["id", "a2"]);
    expect(rows[0]?.statement).toBe("ALTER TABLE public.t DROP COLUMN b");
  });

  it("records RENAME TABLE under the new name and the same OID, CREATE INDEX and DROP TABLE", async () => {
    await sql.query("CREATE TABLE public.before_name (id int PRIMARY KEY, v int)");
    const created = await captured();
    const oid = created.find((r) => r.object_type === "table")?.object_oid;

    await sql.query("ALTER TABLE public.before_name RENAME TO after_name");
    let rows = await captured();
    expect(summary(rows)).toEqual([["ALTER TABLE", "table", "public", "after_name"]]);
    expect(rows[0]?.object_oid).toBe(oid);
    expect(rows[0]?.columns?.map((c) => c.name)).toEqual(["id", "v"]);

    await sql.query("CREATE INDEX after_name_v ON public.after_name (v)");
    rows = await captured();
    expect(summary(rows)).toEqual([["CREATE INDEX", "index", "public", "after_name_v"]]);
    expect(rows[0]?.columns).toBeNull();

    await sql.query("DROP TABLE public.after_name");
    rows = await captured();
    expect(summary(rows)).toEqual([["DROP TABLE", "table", "public", "after_name"]]);
    expect(rows[0]?.object_oid).toBe(oid);
    expect(rows[0]?.statement).toBe("DROP TABLE public.after_name");
  });

  it("records nothing for TRUNCATE, temporary tables and tributary_* objects", async () => {
    await sql.query("CREATE TABLE public.quiet (id int PRIMARY KEY)");
    await captured();
    await sql.query("TRUNCATE public.quiet");
    await sql.query(
      "CREATE TEMP TABLE scratch_tmp (id int); ALTER TABLE scratch_tmp ADD COLUMN b int; DROP TABLE scratch_tmp",
    );
    await sql.query("CREATE TABLE public.tributary_reserved (id int); DROP TABLE public.tributary_reserved");
    await sql.query("GRANT SELECT ON public.quiet TO PUBLIC");
    expect(await captured()).toEqual([]);
  });

  it("stamps the row with the DDL's own transaction id", async () => {
    await sql.query("BEGIN");
    await sql.query("CREATE TABLE public.in_tx (id int PRIMARY KEY)");
    const { rows } = await sql.query<{ txid: string }>("SELECT txid_current()::text AS txid");
    await sql.query("COMMIT");
    const table = (await captured()).find((r) => r.object_type === "table");
    expect(table?.txid).toBe(rows[0]?.txid);
  });

  it("records DDL run by a role that may not write the DDL table itself", async () => {
    await sql.query(`CREATE SCHEMA owned AUTHORIZATION ${pg.escapeIdentifier(role)}`);
    await captured();
    const asRole = await connect(database, role);
    await asRole.query("CREATE TABLE owned.mine (id int PRIMARY KEY)");
    expect(summary((await captured()).filter((r) => r.object_type === "table"))).toEqual([
      ["CREATE TABLE", "table", "owned", "mine"],
    ]);
  });

  it("never makes the user's DDL fail when recording fails, and warns instead", async () => {
    await sql.query(
      "ALTER TABLE public.tributary_ddl ADD CONSTRAINT tributary_test_refuse CHECK (connector IS NULL) NOT VALID",
    );
    const warnings: string[] = [];
    const listener = (notice: { severity?: string; message?: string }) => {
      if (notice.severity === "WARNING") warnings.push(notice.message ?? "");
    };
    sql.on("notice", listener);
    try {
      await sql.query("CREATE TABLE public.still_created (id int PRIMARY KEY, v int)");
      await sql.query("ALTER TABLE public.still_created ADD COLUMN w int");
      await sql.query("DROP TABLE public.still_created");
    } finally {
      sql.off("notice", listener);
      await sql.query("ALTER TABLE public.tributary_ddl DROP CONSTRAINT tributary_test_refuse");
    }
    expect(warnings.length).toBe(3);
    expect(warnings[0]).toContain(`Tributary connector ${config.name} could not record this DDL`);
    expect(warnings[0]).toContain("tributary_test_refuse");
    expect(await captured()).toEqual([]);
    const gone = await sql.query("SELECT to_regclass('public.still_created') AS t");
    expect(gone.rows[0]).toEqual({ t: null });
  });

  it("writes one row per connector when several capture the same database", async () => {
    const second: SetupConfig = { ...config, name: `ddl_${rand()}` };
    await new ReplicationSetup(sql, second).ensure();
    await captured();
    await sql.query("CREATE TABLE public.seen_twice (id int PRIMARY KEY)");
    const { rows } = await sql.query<{ connector: string }>(
      "SELECT connector FROM public.tributary_ddl WHERE object_name = 'seen_twice' AND object_type = 'table' ORDER BY connector",
    );
    expect(rows.map((r) => r.connector)).toEqual([config.name, second.name].sort());

    // Turning capture off drops that connector's triggers and function.
    const off = await new ReplicationSetup(sql, { ...second, ddl: { capture: false } }).ensure();
    expect(off.ddlCapture).toBe("off");
    expect(off.actions.map((a) => `${a.action} ${a.kind}`)).toEqual([
      "dropped event trigger",
      "dropped event trigger",
      "dropped function",
    ]);
    await sql.query("CREATE TABLE public.seen_once (id int PRIMARY KEY)");
    const once = await sql.query(
      "SELECT connector FROM public.tributary_ddl WHERE object_name = 'seen_once' AND object_type = 'table'",
    );
    expect(once.rows).toEqual([{ connector: config.name }]);
  });
});
