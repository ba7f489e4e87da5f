import kafkajs from "kafkajs";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { testKafka, uniqueName } from "../../../../test/support/kafka.js";
import { connectPg } from "../../../../test/support/postgres.js";
import { type LogLine, runCli } from "../../../../test/support/source-process.js";
import { closedPort, envelopeOf, FaultWorld } from "./fault-fixture.js";

/** A login role without REPLICATION or superuser, dropped (after the database) on dispose. */
async function plainRole(): Promise<{ name: string } & AsyncDisposable> {
  const name = uniqueName("fault_role");
  const admin = await connectPg();
  try {
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(name)} LOGIN NOSUPERUSER NOREPLICATION`);
  } finally {
    await admin.end();
  }
  return {
    name,
    async [Symbol.asyncDispose]() {
      const client = await connectPg();
      try {
        await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
    },
  };
}

/** What the connector would have created; all empty when it refused to start. */
async function footprint(world: FaultWorld): Promise<Record<string, unknown>> {
  const { rows } = await world.sql.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM pg_replication_slots WHERE database = current_database())::text AS slots,
            (SELECT count(*) FROM pg_publication)::text AS publications,
            (SELECT count(*) FROM pg_tables WHERE tablename LIKE 'tributary\\_%')::text AS helper_tables,
            (SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'tributary\\_%')::text AS event_triggers`,
  );
  return { ...rows[0], topics: await world.topics() };
}

async function alterTopic(topic: string, settings: Record<string, string>): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: testKafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: Object.entries(settings).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

const NOTHING = { slots: "0", publications: "0", helper_tables: "0", event_triggers: "0", topics: [] };
const retried = (line: LogLine) => line.msg === "source session failed; retrying";

describe("bad input: coded errors before anything is written", () => {
  it("refuses a role without REPLICATION, naming the role and the fix", async () => {
    await using role = await plainRole();
    await using world = await FaultWorld.create("fault_norepl");
    const who = pg.escapeIdentifier(role.name);
    await world.sql.query(`
      CREATE TABLE public.t (id int PRIMARY KEY);
      ALTER TABLE public.t OWNER TO ${who};
      GRANT CREATE ON DATABASE ${pg.escapeIdentifier(world.database)} TO ${who};
      GRANT CREATE ON SCHEMA public TO ${who};
    `);
    const started = Date.now();
    const run = await runCli("source", world.config({ postgres: { user: role.name } }), 30_000);
    expect(run.exit.code).toBe(1);
    expect(run.errorText).toContain("[TRB_PG_PRECHECK]");
    expect(run.errorText).toContain(`role ${role.name} has neither the REPLICATION attribute nor superuser`);
    expect(run.errorText).toContain(`ALTER ROLE ${role.name} WITH REPLICATION`);
    expect(run.logs.some(retried), "a missing privilege is not retried").toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await footprint(world)).toEqual(NOTHING);
  });

  it("tributary precheck prints every problem at once and exits 1", async () => {
    await using role = await plainRole();
    await using world = await FaultWorld.create("fault_precheck");
    await world.sql.query(`
      CREATE TABLE public.blind (id int);
      ALTER TABLE public.blind REPLICA IDENTITY NOTHING;
      CREATE TABLE public.locked (id int PRIMARY KEY);
    `);
    const config = world.config({
      postgres: { user: role.name },
      tables: { include: ["public.*", "public.ghost"] },
    });
    const run = await runCli("precheck", config, 30_000);
    expect(run.exit.code).toBe(1);
    const lines = run.stdout.split("\n");
    const problems = lines.filter((line) => /^(ERROR|WARNING) \[/.test(line));
    const has = (text: string) => problems.some((line) => line.includes(text));
    expect(has(`ERROR [TRB_PG_PRIVILEGE] role ${role.name} has neither the REPLICATION`), run.stdout).toBe(
      true,
    );
    expect(has(`lacks CREATE on database ${world.database}`), run.stdout).toBe(true);
    expect(
      has("ERROR [TRB_PG_REPLICA_IDENTITY] table public.blind has REPLICA IDENTITY NOTHING"),
      run.stdout,
    ).toBe(true);
    expect(has("does not own 2 tables"), run.stdout).toBe(true);
    expect(has("cannot read 2 selected tables"), run.stdout).toBe(true);
    expect(has("public.ghost"), run.stdout).toBe(true);
    const errors = problems.filter((line) => line.startsWith("ERROR")).length;
    expect(errors).toBeGreaterThanOrEqual(5);
    expect(lines).toContain(`${errors} problem(s) to fix`);
    expect(lines.filter((line) => line.startsWith("  fix: ")).length).toBe(problems.length);
    expect(await footprint(world)).toEqual(NOTHING);

    const ready = await runCli("precheck", world.config({ tables: { include: ["public.locked"] } }), 30_000);
    expect(ready.exit.code, ready.stdout).toBe(0);
    expect(ready.stdout.trim().split("\n").at(-1)).toBe("ready");
  });

  it("exits 1 on an unknown database or role, without retrying or creating topics", async () => {
    await using world = await FaultWorld.create("fault_nodb");
    const missing = `${world.database}_missing`;
    const noDb = await runCli("source", world.config({ postgres: { database: missing } }), 30_000);
    expect(noDb.exit.code).toBe(1);
    expect(noDb.errorText).toContain("[TRB_PG_DATABASE_MISSING]");
    expect(noDb.errorText).toContain(`database "${missing}"`);
    expect(noDb.logs.some(retried)).toBe(false);

    const ghost = uniqueName("ghost_role");
    const noRole = await runCli("source", world.config({ postgres: { user: ghost } }), 30_000);
    expect(noRole.exit.code).toBe(1);
    expect(noRole.errorText).toContain("[TRB_PG_AUTH]");
    expect(noRole.errorText).toContain(`user "${ghost}"`);
    expect(noRole.logs.some(retried)).toBe(false);
    expect(await footprint(world)).toEqual(NOTHING);
  });

  it("retries an unreachable PostgreSQL port until retry.connectionMinutes, then exits 1", async () => {
    await using world = await FaultWorld.create("fault_pgport");
    const port = await closedPort();
    const broken = world.config({ postgres: { port }, retry: { connectionMinutes: 0.05 } });

    const precheck = await runCli("precheck", broken, 30_000);
    expect(precheck.exit.code).toBe(1);
    expect(precheck.errorText).toContain("[TRB_PG_UNREACHABLE]");
    expect(precheck.errorText).toContain(`127.0.0.1:${port}`);

    const started = Date.now();
    const run = await runCli("source", broken, 60_000);
    expect(run.exit.code).toBe(1);
    expect(Date.now() - started, "kept retrying for 3 s").toBeGreaterThanOrEqual(3_000);
    const retries = run.logs.filter(retried);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.every((line) => (line.err as { code?: string }).code === "TRB_PG_UNREACHABLE")).toBe(true);
    expect(run.errorText).toContain("[TRB_RETRY_DEADLINE]");
    expect(run.errorText).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}`);
    expect(await footprint(world)).toEqual(NOTHING);
  });

  it("refuses to stream on when its slot was dropped while it was stopped", async () => {
    await using world = await FaultWorld.create("fault_slot");
    await world.sql.query("CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t VALUES (1)");
    const source = world.startSource();
    await source.waitForLog("streaming");
    await world.sql.query("INSERT INTO public.t VALUES (2)");
    await world.waitUntilConfirmed({ source });
    expect((await source.stop()).code).toBe(0);
    const before = await world.readAll([world.topic("t")]);
    expect(before.map((event) => `${envelopeOf(event)?.op} ${event.key?.id}`)).toEqual(["r 1", "c 2"]);

    await world.sql.query("SELECT pg_drop_replication_slot($1)", [world.slotName]);
    await world.sql.query("INSERT INTO public.t VALUES (3)");
    const run = await runCli("source", world.config(), 30_000);
    expect(run.exit.code).toBe(1);
    expect(run.errorText).toContain("[TRB_PG_SLOT_MISSING]");
    expect(run.errorText).toContain(`replication slot ${world.slotName} is gone`);
    expect(run.errorText).toContain("snapshot.mode: when_needed");
    expect(run.logs.some(retried)).toBe(false);
    expect(await world.slot(), "no new slot").toBeUndefined();
    expect((await world.readAll([world.topic("t")])).length).toBe(before.length);
  });

  // A new slot starts at the end of WAL, ahead of the confirmation limit the source records on
  // `_offsets` before each confirmation: that is how the source knows the slot is not its own.
  it("refuses to stream on when its slot was dropped and created again while it was stopped", async () => {
    await using world = await FaultWorld.create("fault_reslot");
    await world.sql.query("CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t VALUES (1)");
    const source = world.startSource();
    await source.waitForLog("streaming");
    await world.sql.query("INSERT INTO public.t VALUES (2)");
    await world.waitUntilConfirmed({ source });
    expect((await source.stop()).code).toBe(0);

    await world.sql.query("SELECT pg_drop_replication_slot($1)", [world.slotName]);
    await world.sql.query("INSERT INTO public.t VALUES (3)");
    await world.sql.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [world.slotName]);
    const restarted = world.startSource();
    const exit = await Promise.race([
      restarted.exited,
      restarted.waitForLog("streaming").then(async () => {
        await world.sql.query("INSERT INTO public.t VALUES (4)");
        await world.waitUntilConfirmed({ source: restarted });
        const ids = (await world.readAll([world.topic("t")])).map((event) => Number(event.key?.id));
        throw new Error(`it streamed on from the new slot; Kafka has ids ${ids.join(", ")}, row 3 is lost`);
      }),
    ]);
    expect(exit.code).toBe(1);
    expect(restarted.errorText).toContain("[TRB_PG_SLOT_RECREATED]");
  });

  it("stops at an event over kafka.maxMessageBytes, naming it, and confirms nothing from it on", async () => {
    await using world = await FaultWorld.create("fault_large");
    await world.sql.query(
      "CREATE TABLE public.t (id int PRIMARY KEY, body text); INSERT INTO public.t VALUES (1, 'small')",
    );
    const source = world.startSource({ kafka: { maxMessageBytes: 8192 } });
    await source.waitForLog("streaming");
    await world.sql.query("INSERT INTO public.t VALUES (2, 'fits')");
    await world.waitUntilConfirmed({ source });
    await world.sql.query("INSERT INTO public.t VALUES (3, repeat('x', 20000))");
    const afterLarge = await world.currentLsn();
    await world.sql.query("INSERT INTO public.t VALUES (4, 'after it')");
    const exit = await source.waitForExit(30_000);
    expect(exit.code).toBe(1);
    expect(source.errorText).toContain("[TRB_EVENT_TOO_LARGE]");
    expect(source.errorText).toContain('the c event of public.t with key {"id":3}');
    expect(source.errorText).toContain("kafka.maxMessageBytes");
    expect(source.logs.some(retried), "a too-large event is not retried").toBe(false);
    expect((await world.slot())?.confirmedFlushLsn ?? 0n, "nothing confirmed from the event on").toBeLessThan(
      afterLarge,
    );
    const ids = async () => (await world.readAll([world.topic("t")])).map((event) => Number(event.key?.id));
    expect(await ids()).toEqual([1, 2]);

    // The fix the message names: a larger limit, on the topic too. Then nothing is lost.
    await alterTopic(world.topic("t"), { "max.message.bytes": "1048576" });
    const raised = world.startSource({ kafka: { maxMessageBytes: 1_048_576 } });
    await raised.waitForLog("streaming");
    await world.waitUntilConfirmed({ source: raised });
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it("fails on an invalid config before connecting, naming the field", async () => {
    await using world = await FaultWorld.create("fault_cfg");
    const run = await runCli(
      "source",
      world.config({ name: "Not-Valid", snapshot: { mode: "sometimes" }, postgres: { port: 99_999 } }),
      30_000,
    );
    expect(run.exit.code).toBe(1);
    expect(run.errorText).toContain("[TRB_CFG_INVALID]");
    for (const field of ["name", "snapshot.mode", "postgres.port"]) expect(run.errorText).toContain(field);
    expect(run.logs).toEqual([]);
    expect(await footprint(world)).toEqual(NOTHING);
  });
});
