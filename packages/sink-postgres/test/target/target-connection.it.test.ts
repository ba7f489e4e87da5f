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
