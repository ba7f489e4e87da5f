import { randomBytes } from "node:crypto";
import { isTributaryError, TributaryError } from "@tributary/core";
import pg from "pg";
import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkSourcePrerequisites,
  type PrecheckConfig,
  ReplicationSetup,
  releaseSource,
  type SetupConfig,
} from "../../src/setup/index.js";

/** The local stack's source cluster: superuser postgres, trust auth. */
const SERVER = { host: "127.0.0.1", port: 5432 };
const rand = (): string => randomBytes(4).toString("hex");

async function connect(database: string, user = "postgres"): Promise<pg.Client> {
  const client = new pg.Client({ ...SERVER, user, database });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** A scratch database (and scratch roles), dropped with every slot in it by `drop()`. */
class Scratch {
  readonly roles: string[] = [];
  private readonly clients: pg.Client[] = [];

  private constructor(readonly database: string) {}

  static async create(): Promise<Scratch> {
    const scratch = new Scratch(`tributary_setup_${rand()}`);
    const admin = await connect("postgres");
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(scratch.database)}`);
    } finally {
      await admin.end();
    }
    return scratch;
  }

  async client(user = "postgres"): Promise<pg.Client> {
    const client = await connect(this.database, user);
    this.clients.push(client);
    return client;
  }

  /** A LOGIN role with no other attribute. */
  async role(): Promise<string> {
    const name = `tributary_setup_role_${rand()}`;
    const admin = await connect("postgres");
    try {
      await admin.query(`CREATE ROLE ${pg.escapeIdentifier(name)} LOGIN`);
    } finally {
      await admin.end();
    }
    this.roles.push(name);
    return name;
  }

  async drop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.end().catch(() => undefined)));
    const admin = await connect("postgres");
    try {
      await admin.query(
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active",
        [this.database],
      );
      for (let i = 0; i < 100; i++) {
        const { rows } = await admin.query(
          "SELECT 1 FROM pg_replication_slots WHERE database = $1 AND active",
          [this.database],
        );
        if (rows.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await admin.query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1",
        [this.database],
      );
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(this.database)} WITH (FORCE)`);
      for (const role of this.roles) await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    } finally {
      await admin.end();
    }
  }
}

function configFor(overrides: Partial<SetupConfig> = {}): SetupConfig & PrecheckConfig {
  return {
    name: `setup_${rand()}`,
    tables: { include: ["public.*"], exclude: [], excludeColumns: [] },
    helperSchema: "public",
    ddl: { capture: true },
    ...overrides,
  };
}

async function publishedTables(client: pg.Client, publication: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    "SELECT schemaname || '.' || tablename AS name FROM pg_publication_tables WHERE pubname = $1",
    [publication],
  );
  return rows.map((row) => row.name).sort();
}

async function publicationSchemas(client: pg.Client, publication: string): Promise<string[]> {
  const { rows } = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_publication_namespace pn JOIN pg_publication p ON p.oid = pn.pnpubid
       JOIN pg_namespace n ON n.oid = pn.pnnspid WHERE p.pubname = $1 ORDER BY 1`,
    [publication],
  );
  return rows.map((row) => row.nspname);
}

async function explicitTables(client: pg.Client, publication: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_publication_rel pr
       JOIN pg_publication p ON p.oid = pr.prpubid JOIN pg_class c ON c.oid = pr.prrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.pubname = $1 ORDER BY 1`,
    [publication],
  );
  return rows.map((row) => row.name);
}

const HELPERS = (schema: string): string[] => [
  `${schema}.tributary_ddl`,
  `${schema}.tributary_heartbeat`,
  `${schema}.tributary_origin_marker`,
];

describe("precheck", () => {
  let scratch: Scratch;
  let sql: pg.Client;
  beforeAll(async () => {
    scratch = await Scratch.create();
    sql = await scratch.client();
    await sql.query("CREATE TABLE public.orders (id int PRIMARY KEY, total numeric)");
  });
  afterAll(async () => scratch?.drop());

  it("finds nothing wrong on a ready database (wal_level is logical here)", async () => {
    expect(await checkSourcePrerequisites(sql, configFor())).toEqual([]);
  });

  it("names every selected table whose updates cannot be published, and unlogged and missing ones", async () => {
    await sql.query(`
      CREATE SCHEMA t;
      CREATE TABLE t.fine (id int PRIMARY KEY);
      CREATE TABLE t.blind (id int PRIMARY KEY); ALTER TABLE t.blind REPLICA IDENTITY NOTHING;
      CREATE TABLE t."No Key" (a int);
      CREATE TABLE t.full_ok (a int); ALTER TABLE t.full_ok REPLICA IDENTITY FULL;
      CREATE TABLE t.idx_ok (a int NOT NULL); CREATE UNIQUE INDEX idx_ok_a ON t.idx_ok (a);
      ALTER TABLE t.idx_ok REPLICA IDENTITY USING INDEX idx_ok_a;
      CREATE UNLOGGED TABLE t.cache (id int PRIMARY KEY);
      CREATE TABLE t.excluded (a int);`);
    const problems = await checkSourcePrerequisites(
      sql,
      configFor({ tables: { include: ["t.*", "t.missing"], exclude: ["t.excluded"], excludeColumns: [] } }),
    );
    expect(problems.map((p) => [p.code, p.severity, p.subject])).toEqual([
      ["TRB_PG_REPLICA_IDENTITY", "error", "t.No Key"],
      ["TRB_PG_REPLICA_IDENTITY", "error", "t.blind"],
      ["TRB_PG_TABLE_UNLOGGED", "warning", "t.cache"],
      ["TRB_PG_NO_TABLES", "warning", "t.missing"],
    ]);
    expect(problems[0]?.message).toContain('t."No Key" has no primary key');
    expect(problems[0]?.fix).toContain('ALTER TABLE t."No Key" REPLICA IDENTITY FULL');
    expect(problems[1]?.message).toContain("t.blind has REPLICA IDENTITY NOTHING");
    expect(problems[1]?.fix).toContain("ALTER TABLE t.blind REPLICA IDENTITY DEFAULT");
  });

  it("reports a role without REPLICATION, CREATE privileges, ownership or SELECT", async () => {
    const role = await scratch.role();
    const asRole = await scratch.client(role);
    const problems = await checkSourcePrerequisites(
      asRole,
      configFor({ tables: { include: ["public.*"], exclude: [], excludeColumns: [] } }),
    );
    const summary = problems.map((p) => [p.code, p.severity]);
    expect(summary).toEqual([
      ["TRB_PG_PRIVILEGE", "error"], // no REPLICATION
      ["TRB_PG_PRIVILEGE", "error"], // no CREATE on the database: publication
      ["TRB_PG_PRIVILEGE", "error"], // no CREATE on the helper schema
      ["TRB_PG_DDL_CAPTURE", "warning"],
      ["TRB_PG_PRIVILEGE", "error"], // does not own public.orders
      ["TRB_PG_PRIVILEGE", "error"], // cannot SELECT it
    ]);
    const text = problems.map((p) => `${p.message} / ${p.fix}`).join("\n");
    expect(text).toContain(`ALTER ROLE ${role} WITH REPLICATION`);
    expect(text).toContain(`GRANT CREATE ON DATABASE ${scratch.database} TO ${role}`);
    expect(text).toContain(`GRANT CREATE ON SCHEMA public TO ${role}`);
    expect(text).toContain("does not own the table it must publish (public.orders)");
    expect(text).toContain("cannot read the selected table public.orders");
  });

  it("reports helper tables a non-superuser does not own, and a publication it does not own", async () => {
    const role = await scratch.role();
    const quoted = pg.escapeIdentifier(role);
    await sql.query(`ALTER ROLE ${quoted} WITH REPLICATION`);
    await sql.query(`GRANT CREATE ON DATABASE ${pg.escapeIdentifier(scratch.database)} TO ${quoted}`);
    await sql.query(`CREATE SCHEMA ops AUTHORIZATION ${quoted}`);
    const tables = { include: ["ops.*"], exclude: [], excludeColumns: [] };
    const theirs = configFor({ helperSchema: "ops", tables });
    await new ReplicationSetup(sql, theirs).ensure(); // as postgres: helper tables owned by postgres
    const asRole = await scratch.client(role);

    const mine = await checkSourcePrerequisites(
      asRole,
      configFor({ helperSchema: "ops", tables, ddl: { capture: false } }),
    );
    expect(mine.map((p) => p.code)).toEqual(["TRB_PG_PRIVILEGE", "TRB_PG_NO_TABLES"]);
    expect(mine[0]?.message).toContain(
      "does not own 3 tables it must publish (ops.tributary_ddl, ops.tributary_heartbeat, ops.tributary_origin_marker)",
    );

    const shared = await checkSourcePrerequisites(asRole, { ...theirs, ddl: { capture: false } });
    expect(shared.map((p) => p.message)[0]).toContain(
      `the publication tributary_${theirs.name} exists but role`,
    );
  });

  it("reports a slot of the same name that is not this connector's", async () => {
    const config = configFor();
    await sql.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [
      `tributary_${config.name}`,
    ]);
    try {
      const problems = await checkSourcePrerequisites(sql, config);
      expect(problems.map((p) => p.code)).toEqual(["TRB_PG_SLOT_CONFLICT"]);
      expect(problems[0]?.message).toContain("plugin test_decoding");
    } finally {
      await sql.query("SELECT pg_drop_replication_slot($1)", [`tributary_${config.name}`]);
    }
  });

  it("connects by itself from the config, and describes connection failures", async () => {
    const postgres = {
      ...SERVER,
      user: "postgres",
      password: "never-shown",
      database: scratch.database,
      ssl: "disable" as const,
      connectTimeoutMs: 2000,
    };
    expect(await checkSourcePrerequisites({ ...configFor(), postgres })).toEqual([]);

    const failures: [Partial<typeof postgres>, string][] = [
      [{ port: 1 }, "TRB_PG_UNREACHABLE"],
      [{ database: `tributary_setup_missing_${rand()}` }, "TRB_PG_DATABASE_MISSING"],
      [{ user: `tributary_setup_nobody_${rand()}` }, "TRB_PG_AUTH"],
    ];
    for (const [change, code] of failures) {
      const error = await checkSourcePrerequisites({
        ...configFor(),
        postgres: { ...postgres, ...change },
      }).catch((e: unknown) => e);
      expect(isTributaryError(error), String(error)).toBe(true);
      expect((error as TributaryError).code).toBe(code);
      expect(String(error)).not.toContain("never-shown");
    }
  });
});

describe("ReplicationSetup", () => {
  let scratch: Scratch;
  let sql: pg.Client;
  beforeAll(async () => {
    scratch = await Scratch.create();
    sql = await scratch.client();
    await sql.query(`
      CREATE TABLE public.orders (id int PRIMARY KEY);
      CREATE SCHEMA "Sales Dept";
      CREATE TABLE "Sales Dept"."Order Items" (id int PRIMARY KEY, "Note" text);
      CREATE SCHEMA other;
      CREATE TABLE other.ignored (id int PRIMARY KEY);`);
  });
  afterAll(async () => scratch?.drop());

  it("creates the helper objects and a schema publication, and a second ensure changes nothing", async () => {
    const config = configFor({
      helperSchema: "Tributary Ops",
      tables: { include: ["public.*", "Sales Dept.*"], exclude: [], excludeColumns: [] },
    });
    const pub = `tributary_${config.name}`;
    const setup = new ReplicationSetup(sql, config);
    const first = await setup.ensure();
    expect(first.actions.map((a) => `${a.action} ${a.kind} ${a.name}`)).toEqual([
      'created schema "Tributary Ops"',
      'created table "Tributary Ops"."tributary_heartbeat"',
      'created table "Tributary Ops"."tributary_ddl"',
      'created table "Tributary Ops"."tributary_origin_marker"',
      `created function "Tributary Ops"."tributary_${config.name}_capture_ddl"`,
      `created event trigger "tributary_${config.name}_ddl"`,
      `created event trigger "tributary_${config.name}_drop"`,
      `created publication "${pub}"`,
    ]);
    expect(first.ddlCapture).toBe("on");
    expect(first.problems).toEqual([]);
    expect(first.publication.mode).toBe("schemas");
    expect(await publicationSchemas(sql, pub)).toEqual(["Sales Dept", "public"]);
    expect(await explicitTables(sql, pub)).toEqual(HELPERS("Tributary Ops"));
    expect(await publishedTables(sql, pub)).toEqual([
      "Sales Dept.Order Items",
      ...HELPERS("Tributary Ops"),
      "public.orders",
    ]);
    const { rows } = await sql.query(
      "SELECT pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot FROM pg_publication WHERE pubname = $1",
      [pub],
    );
    expect(rows[0]).toEqual({
      pubinsert: true,
      pubupdate: true,
      pubdelete: true,
      pubtruncate: true,
      pubviaroot: true,
    });

    const second = await new ReplicationSetup(sql, config).ensure();
    expect(second.actions).toEqual([]);
    expect(second.publication).toEqual(first.publication);
  });

  it("publishes tables created later in a whole schema with no refresh", async () => {
    const config = configFor();
    const pub = `tributary_${config.name}`;
    await new ReplicationSetup(sql, config).ensure();
    await sql.query("CREATE TABLE public.later (id int PRIMARY KEY)");
    try {
      expect(await publishedTables(sql, pub)).toContain("public.later");
    } finally {
      await sql.query("DROP TABLE public.later");
    }
  });

  it("keeps a partly selected schema table by table, and refreshPublication adds new tables", async () => {
    await sql.query("CREATE TABLE public.secret (id int PRIMARY KEY)");
    const config = configFor({
      tables: { include: ["public.*"], exclude: ["public.secret"], excludeColumns: [] },
    });
    const pub = `tributary_${config.name}`;
    const setup = new ReplicationSetup(sql, config);
    const result = await setup.ensure();
    expect(result.publication.schemas).toEqual([]);
    expect(await publishedTables(sql, pub)).toEqual(["public.orders", ...HELPERS("public")]);

    await sql.query("CREATE TABLE public.added_later (id int PRIMARY KEY)");
    expect(await publishedTables(sql, pub)).not.toContain("public.added_later");
    const refresh = await setup.refreshPublication();
    expect(refresh.actions).toEqual([
      { action: "altered", kind: "publication", name: `"${pub}"`, detail: 'added "public"."added_later"' },
    ]);
    expect(await publishedTables(sql, pub)).toContain("public.added_later");
    expect(await publishedTables(sql, pub)).not.toContain("public.secret");
    expect((await setup.refreshPublication()).actions).toEqual([]);
    await sql.query("DROP TABLE public.added_later, public.secret");
  });

  it("reconciles the publication when the config changes", async () => {
    const name = `setup_${rand()}`;
    const pub = `tributary_${name}`;
    await new ReplicationSetup(sql, configFor({ name })).ensure();
    expect(await publicationSchemas(sql, pub)).toEqual(["public"]);

    const changed = configFor({
      name,
      tables: { include: ["other.*", "Sales Dept.Order Items"], exclude: [], excludeColumns: [] },
    });
    const result = await new ReplicationSetup(sql, changed).ensure();
    expect(result.actions).toEqual([
      {
        action: "altered",
        kind: "publication",
        name: `"${pub}"`,
        detail:
          'added schemas other; dropped schemas public; added "Sales Dept"."Order Items", "public"."tributary_heartbeat", "public"."tributary_ddl", "public"."tributary_origin_marker"',
      },
    ]);
    expect(await publishedTables(sql, pub)).toEqual([
      "Sales Dept.Order Items",
      "other.ignored",
      ...HELPERS("public"),
    ]);
  });

  it("leaves a keyless table out (its updates keep working) and reports it", async () => {
    await sql.query(
      "CREATE SCHEMA keyless; CREATE TABLE keyless.ok (id int PRIMARY KEY); CREATE TABLE keyless.bare (a int)",
    );
    await sql.query("INSERT INTO keyless.bare VALUES (1)");
    const config = configFor({ tables: { include: ["keyless.*"], exclude: [], excludeColumns: [] } });
    const pub = `tributary_${config.name}`;
    const result = await new ReplicationSetup(sql, config).ensure();
    expect(result.publication.schemas).toEqual([]);
    expect(result.problems.map((p) => [p.code, p.subject])).toEqual([
      ["TRB_PG_REPLICA_IDENTITY", "keyless.bare"],
    ]);
    expect(await publishedTables(sql, pub)).toEqual(["keyless.ok", ...HELPERS("public")]);
    await sql.query("UPDATE keyless.bare SET a = 2");

    // Fixed: the next refresh publishes it, and the schema whole.
    await sql.query("ALTER TABLE keyless.bare REPLICA IDENTITY FULL");
    const refreshed = await new ReplicationSetup(sql, config).refreshPublication();
    expect(refreshed.publication.schemas).toEqual(["keyless"]);
    expect(await publishedTables(sql, pub)).toEqual(["keyless.bare", "keyless.ok", ...HELPERS("public")]);
  });

  it("falls back to FOR TABLE and refreshPublication for a user that is not a superuser", async () => {
    const role = await scratch.role();
    await sql.query(
      `GRANT CREATE ON DATABASE ${pg.escapeIdentifier(scratch.database)} TO ${pg.escapeIdentifier(role)}`,
    );
    await sql.query(`CREATE SCHEMA app AUTHORIZATION ${pg.escapeIdentifier(role)}`);
    const asRole = await scratch.client(role);
    await asRole.query("CREATE TABLE app.a (id int PRIMARY KEY); CREATE TABLE app.b (id int PRIMARY KEY)");
    const config = configFor({
      helperSchema: "app",
      tables: { include: ["app.*"], exclude: [], excludeColumns: [] },
    });
    const pub = `tributary_${config.name}`;
    const setup = new ReplicationSetup(asRole, config);
    const result = await setup.ensure();
    expect(result.publication.mode).toBe("tables");
    expect(result.ddlCapture).toBe("unavailable");
    expect(result.problems.map((p) => p.code)).toEqual(["TRB_PG_DDL_CAPTURE"]);
    expect(await publicationSchemas(sql, pub)).toEqual([]);
    expect(await publishedTables(sql, pub)).toEqual(["app.a", "app.b", ...HELPERS("app")]);
    const triggers = await sql.query("SELECT 1 FROM pg_event_trigger WHERE evtname LIKE $1", [
      `tributary_${config.name}%`,
    ]);
    expect(triggers.rowCount).toBe(0);

    await asRole.query("CREATE TABLE app.c (id int PRIMARY KEY)");
    expect(await publishedTables(sql, pub)).not.toContain("app.c");
    await setup.refreshPublication();
    expect(await publishedTables(sql, pub)).toContain("app.c");
    expect((await setup.ensure()).actions).toEqual([]);
  });

  it("gives up on a lock held elsewhere with the retriable TRB_PG_LOCK_TIMEOUT, and succeeds once it is free", async () => {
    await sql.query("CREATE TABLE public.locked (id int PRIMARY KEY)");
    const config = configFor({ tables: { include: ["public.locked"], exclude: [], excludeColumns: [] } });
    const holder = await scratch.client();
    await holder.query("BEGIN; LOCK TABLE public.locked IN ACCESS EXCLUSIVE MODE");
    try {
      const started = Date.now();
      const error = await new ReplicationSetup(sql, config, undefined, { lockTimeoutMs: 300 })
        .ensure()
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(isTributaryError(error, "TRB_PG_LOCK_TIMEOUT")).toBe(true);
      expect((error as TributaryError).retriable).toBe(true);
      const pub = await sql.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [
        `tributary_${config.name}`,
      ]);
      expect(pub.rowCount).toBe(0);
    } finally {
      await holder.query("ROLLBACK");
    }
    const result = await new ReplicationSetup(sql, config).ensure();
    expect(await publishedTables(sql, `tributary_${config.name}`)).toEqual([
      "public.locked",
      ...HELPERS("public"),
    ]);
    expect(result.actions.at(-1)?.kind).toBe("publication");
  });

  it("runs safely when two connectors start at once", async () => {
    const config = configFor({ helperSchema: `ops_${rand()}` });
    const other = await scratch.client();
    const [a, b] = await Promise.all([
      new ReplicationSetup(sql, config).ensure(),
      new ReplicationSetup(other, config).ensure(),
    ]);
    expect([a.actions.length > 0, b.actions.length > 0].sort()).toEqual([false, true]);
  });
});

describe("releaseSource", () => {
  let scratch: Scratch;
  let sql: pg.Client;
  beforeAll(async () => {
    scratch = await Scratch.create();
    sql = await scratch.client();
    await sql.query("CREATE TABLE public.orders (id int PRIMARY KEY)");
  });
  afterAll(async () => scratch?.drop());

  async function leftovers(name: string): Promise<Record<string, number>> {
    const { rows } = await sql.query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1)::int AS slots,
              (SELECT count(*) FROM pg_publication WHERE pubname = $1)::int AS publications,
              (SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE $1 || '\\_%')::int AS triggers,
              (SELECT count(*) FROM pg_proc WHERE proname = $1 || '_capture_ddl')::int AS functions,
              (SELECT count(*) FROM pg_tables WHERE tablename LIKE 'tributary\\_%')::int AS tables`,
      [`tributary_${name}`],
    );
    return rows[0] ?? {};
  }

  it("drops the slot, publication, triggers, function and helper tables, then finds them absent", async () => {
    const config = configFor();
    const slot = `tributary_${config.name}`;
    await new ReplicationSetup(sql, config).ensure();
    await sql.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
    await sql.query("INSERT INTO public.tributary_heartbeat VALUES ($1, now(), 1)", [config.name]);
    expect(await leftovers(config.name)).toEqual({
      slots: 1,
      publications: 1,
      triggers: 2,
      functions: 1,
      tables: 3,
    });

    const report = await releaseSource(sql, config);
    expect(report.items.map((i) => `${i.status} ${i.kind} ${i.name}`)).toEqual([
      `dropped slot ${slot}`,
      `dropped publication ${slot}`,
      `dropped event trigger ${slot}_ddl`,
      `dropped event trigger ${slot}_drop`,
      `dropped function "public"."${slot}_capture_ddl"`,
      'deleted rows "public"."tributary_heartbeat"',
      'dropped table "public"."tributary_heartbeat"',
      'dropped table "public"."tributary_ddl"',
      'dropped table "public"."tributary_origin_marker"',
    ]);
    expect(report.lines[0]).toBe(`dropped replication slot ${slot}`);
    expect(await leftovers(config.name)).toEqual({
      slots: 0,
      publications: 0,
      triggers: 0,
      functions: 0,
      tables: 0,
    });

    const again = await releaseSource(sql, config);
    expect(again.items.every((i) => i.status === "absent")).toBe(true);
    expect(again.lines).toContain(`replication slot ${slot} was already absent`);
  });

  it("keeps the helper tables another connector or a sink still uses", async () => {
    const a = configFor();
    const b = configFor();
    await new ReplicationSetup(sql, a).ensure();
    await new ReplicationSetup(sql, b).ensure();
    await sql.query("INSERT INTO public.tributary_origin_marker VALUES ('shop-replica', 'dc2', 1, now())");
    const report = await releaseSource(sql, a);
    const tables = report.items.filter((i) => i.kind === "table");
    expect(tables.map((i) => [i.status, i.name])).toEqual([
      ["kept", '"public"."tributary_heartbeat"'],
      ["kept", '"public"."tributary_ddl"'],
      ["kept", '"public"."tributary_origin_marker"'],
    ]);
    expect(tables[0]?.detail).toBe(`still used by publication tributary_${b.name}`);
    expect(tables[2]?.detail).toBe(`still used by publication tributary_${b.name}, sink shop-replica`);
    expect(await leftovers(b.name)).toMatchObject({ publications: 1, triggers: 2, functions: 1 });

    await sql.query("DELETE FROM public.tributary_origin_marker");
    const last = await releaseSource(sql, b);
    expect(last.items.filter((i) => i.kind === "table").map((i) => i.status)).toEqual([
      "dropped",
      "dropped",
      "dropped",
    ]);
  });

  it("refuses a slot a walsender holds, naming its pid, and terminates it with force", async () => {
    const config = configFor();
    const slot = `tributary_${config.name}`;
    await new ReplicationSetup(sql, config).ensure();
    await sql.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
    const service = new LogicalReplicationService(
      { ...SERVER, user: "postgres", database: scratch.database },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    service.on("error", () => undefined);
    const streaming = service
      .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [slot] }), slot)
      .catch((e: unknown) => e);
    try {
      let pid: number | null = null;
      for (let i = 0; i < 200 && pid === null; i++) {
        const { rows } = await sql.query<{ active_pid: number | null }>(
          "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1",
          [slot],
        );
        pid = rows[0]?.active_pid ?? null;
        if (pid === null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(pid).not.toBeNull();

      const precheck = await checkSourcePrerequisites(sql, config);
      expect(precheck.map((p) => p.code)).toEqual(["TRB_PG_SLOT_ACTIVE"]);
      expect(precheck[0]?.message).toContain(`pid ${pid}`);

      const refused = await releaseSource(sql, config).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TributaryError);
      expect((refused as TributaryError).code).toBe("TRB_PG_SLOT_ACTIVE");
      expect((refused as TributaryError).message).toContain(`pid ${pid}`);
      expect(await leftovers(config.name)).toMatchObject({ slots: 1, publications: 1 });

      const forced = await releaseSource(sql, config, { force: true });
      expect(forced.terminatedPid).toBe(pid);
      expect(forced.items[0]).toEqual({ kind: "slot", name: slot, status: "dropped" });
      expect(await leftovers(config.name)).toMatchObject({ slots: 0, publications: 0, triggers: 0 });
    } finally {
      await service.stop().catch(() => undefined);
      await streaming;
    }
  });

  it("opens its own connection from the config", async () => {
    const config = configFor();
    await new ReplicationSetup(sql, config).ensure();
    const report = await releaseSource({
      ...config,
      postgres: {
        ...SERVER,
        user: "postgres",
        password: "",
        database: scratch.database,
        ssl: "disable",
        connectTimeoutMs: 2000,
      },
    });
    expect(report.items.find((i) => i.kind === "publication")?.status).toBe("dropped");
  });
});
