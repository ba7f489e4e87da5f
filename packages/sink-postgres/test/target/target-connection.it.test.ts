/**
 * TargetConnection against the real target through a TCP forwarder that ends connections with a
 * plain FIN, as a server or a network does without an error message: the failure must be the
 * retriable TRB_SINK_TARGET_UNREACHABLE, whatever the connection was doing.
 */
import { createLogger } from "@tributary/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TARGET_PORT } from "../../../../test/support/postgres.js";
import { TcpProxy } from "../../../../test/support/tcp-proxy.js";
import { TargetConnection } from "../../src/index.js";

const logger = createLogger({ level: "silent" });
const lost = { code: "TRB_SINK_TARGET_UNREACHABLE", retriable: true };
let proxy: TcpProxy;
let connection: TargetConnection;

beforeEach(async () => {
  proxy = await TcpProxy.start(TARGET_PORT);
  connection = await TargetConnection.open(
    {
      host: "127.0.0.1",
      port: proxy.port,
      user: "postgres",
      password: "",
      database: "postgres",
      ssl: "disable",
      connectTimeoutMs: 5_000,
    },
    "tributary-target-connection-test",
    logger,
  );
  await connection.query({ text: "SELECT 1", values: [] });
});

afterEach(async () => {
  await connection.close();
  await proxy.close();
});

describe("a target connection that ends without an error message", () => {
  it("fails the statement in progress as a lost connection", async () => {
    const sleeping = connection.query({ text: "SELECT pg_sleep(5)", values: [] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    proxy.cut();
    await expect(sleeping).rejects.toMatchObject(lost);
  });

  it("fails the next statement as a lost connection", async () => {
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(connection.query({ text: "SELECT 1", values: [] })).rejects.toMatchObject(lost);
  });

  it("fails a transaction's COMMIT as a lost connection", async () => {
    const committed = connection.transaction(async () => {
      await connection.query({ text: "SELECT 1", values: [] });
      proxy.cut();
    });
    await expect(committed).rejects.toMatchObject(lost);
  });
});

describe("statements sent ahead", () => {
  const sql = (text: string) => ({ text, values: [] as string[] });

  beforeEach(async () => {
    await connection.query(sql("CREATE TEMPORARY TABLE ahead (x integer PRIMARY KEY)"));
  });

  it("run with the next statement, whose result is the one returned", async () => {
    const counted = await connection.transaction(async () => {
      connection.sendAhead(sql("INSERT INTO ahead VALUES (1)"));
      connection.sendAhead(sql("SAVEPOINT a"));
      return connection.query<{ n: string }>(sql("SELECT count(*) AS n FROM ahead"));
    });
    expect(counted.rows).toEqual([{ n: "1" }]);
  });

  it("run with a COPY, which counts only its own rows", async () => {
    const copied = await connection.transaction(async () => {
      connection.sendAhead(sql("INSERT INTO ahead VALUES (1)"));
      return connection.copy("COPY ahead FROM STDIN", "2\n3\n");
    });
    expect(copied).toBe(2);
    expect((await connection.query(sql("SELECT count(*)::int AS n FROM ahead"))).rows).toEqual([{ n: 3 }]);
  });

  it("run before a statement with values, which needs a round trip of its own", async () => {
    await connection.transaction(async () => {
      connection.sendAhead(sql("INSERT INTO ahead VALUES (1)"));
      await connection.query({ text: "INSERT INTO ahead VALUES ($1::integer)", values: ["2"] });
    });
    expect((await connection.query(sql("SELECT count(*)::int AS n FROM ahead"))).rows).toEqual([{ n: 2 }]);
  });

  it("fail the statement they went with, and the transaction rolls back", async () => {
    const failed = connection.transaction(async () => {
      await connection.query(sql("INSERT INTO ahead VALUES (1)"));
      connection.sendAhead(sql("INSERT INTO ahead VALUES (1)"));
      await connection.query(sql("SELECT 1"));
    });
    await expect(failed).rejects.toMatchObject({ code: "23505" });
    expect((await connection.query(sql("SELECT count(*)::int AS n FROM ahead"))).rows).toEqual([{ n: 0 }]);
  });

  it("are dropped, BEGIN included, when the transaction fails before sending them", async () => {
    const failed = connection.transaction(async () => {
      connection.sendAhead(sql("INSERT INTO ahead VALUES (1)"));
      throw new Error("planning failed");
    });
    await expect(failed).rejects.toThrow("planning failed");
    await new Promise((resolve) => setTimeout(resolve, 20));
    // No transaction left open: this statement's transaction started with it.
    const { rows } = await connection.query(
      sql("SELECT now() = statement_timestamp() AS fresh, count(*)::int AS n FROM ahead"),
    );
    expect(rows).toEqual([{ fresh: true, n: 0 }]);
  });

  it("refuse a statement with values", () => {
    expect(() => connection.sendAhead({ text: "SELECT $1", values: ["1"] })).toThrow(
      "only a statement without values can be sent ahead",
    );
  });
});
