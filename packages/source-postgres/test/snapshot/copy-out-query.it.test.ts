/**
 * CopyOutQuery on a real PostgreSQL: rows arrive in order, one line each; a row that asks to
 * wait holds the rest back (the socket pauses, lines already read are kept); a failure rejects
 * at once and leaves the connection able to end.
 */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { CopyOutQuery } from "../../src/snapshot/CopyOutQuery.js";

const clients: pg.Client[] = [];

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "postgres" });
  await client.connect();
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
});

const ROWS = 200_000;
const COPY = `COPY (SELECT g, repeat('x', g % 50), CASE WHEN g % 7 = 0 THEN NULL ELSE E'a\\tb' END FROM generate_series(1, ${ROWS}) g) TO STDOUT`;

describe("CopyOutQuery", () => {
  it("hands over every row in order, waiting where a row asks to", async () => {
    const client = await connect();
    let expected = 1;
    let waits = 0;
    let active = false;
    const query = new CopyOutQuery(COPY, (line) => {
      // No row is taken while an earlier one is still being waited for.
      expect(active).toBe(false);
      const text = line.toString("utf8");
      expect(text).toBe(
        `${expected}\t${"x".repeat(expected % 50)}\t${expected % 7 === 0 ? "\\N" : "a\\tb"}\n`,
      );
      expected++;
      if (expected % 5_000 !== 0) return undefined;
      waits++;
      active = true;
      return new Promise((resolve) =>
        setTimeout(() => {
          active = false;
          resolve();
        }, 5),
      );
    });
    client.query(query);
    expect(await query.done).toBe(ROWS);
    expect(expected).toBe(ROWS + 1);
    expect(waits).toBe(ROWS / 5_000);
    // The connection goes on as usual.
    const { rows } = await client.query("SELECT 1 AS one");
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("rejects with the row handler's error, also while waiting, and the connection still ends", async () => {
    const client = await connect();
    const query = new CopyOutQuery(COPY, (line) => {
      if (line.toString().startsWith("1000\t")) {
        return new Promise((_, reject) => setTimeout(() => reject(new Error("stop here")), 10));
      }
      return undefined;
    });
    client.query(query);
    await expect(query.done).rejects.toThrow("stop here");
    await client.end();
  });

  it("rejects with the server's error", async () => {
    const client = await connect();
    const query = new CopyOutQuery("COPY (SELECT 1 / 0) TO STDOUT", () => undefined);
    client.query(query);
    await expect(query.done).rejects.toThrow(/division by zero/);
    const { rows } = await client.query("SELECT 2 AS two");
    expect(rows).toEqual([{ two: 2 }]);
  });
});
