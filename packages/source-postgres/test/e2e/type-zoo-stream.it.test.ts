/**
 * Every type through the running connector (issue 3, point 4): a table with a column of each
 * type of types/type-zoo.it.test.ts is snapshotted, then written live; the `r`, `c` and `u`
 * events read back from Kafka must decode to exactly the expected values — numeric NaN and
 * infinities, timestamps to the microsecond, arrays with NULL elements and two dimensions —
 * and unchanged TOAST values must be listed in `unchanged` with null in the row, never a
 * placeholder.
 */
import { randomBytes } from "node:crypto";
import { type ColumnValue, type Envelope, type Fingerprint, type Row, tableTopic } from "@tributary/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../../test/support/kafka.js";
import { connectPg, scratchDatabase } from "../../../../test/support/postgres.js";
import { RecordCollector, type RecordedEvent } from "../../../../test/support/RecordCollector.js";
import type { PostgresSourceConfig } from "../../src/index.js";
import {
  cleanUpSource,
  closeSourceTest,
  type RunningConnector,
  sourceConfig,
  startConnector,
  waitForTopics,
} from "../support/source.js";
import { ZOO, ZOO_COLUMNS_SQL, ZOO_TYPES_SQL, type ZooColumn } from "../support/type-zoo-columns.js";

type RowNumber = 0 | 1 | 2 | 3;
/** The Avro record of a row image, with the `tributary.*` properties of its fields. */
type RowRecord = { fields: Record<string, unknown>[] };

/**
 * The zoo's third numeric[] value is two-dimensional in a column declared with one dimension,
 * which the type layer refuses (see the type zoo); through the connector a 1-D value stands in.
 */
function sqlValueOf(column: ZooColumn, row: RowNumber): string {
  if (column.name === "c_numeric_free_array" && row === 2) return "'{1,2}'";
  return column.values[row];
}
function expectedOf(column: ZooColumn, row: RowNumber): ColumnValue {
  if (column.name === "c_numeric_free_array" && row === 2) return ["1", "2"];
  return column.expected[row] as ColumnValue;
}

/** Large, incompressible values: stored out of line (TOAST), so an update leaving them is sent without them. */
const bigText = (seed: number) =>
  Array.from({ length: 1500 }, (_, i) => `${seed}:${i}:${randomBytes(6).toString("base64")}`).join(",");
const bigBytes = () => randomBytes(12_000);

interface Written {
  id: number;
  /** The zoo row (0-3) whose values it holds, or null for all NULL. */
  row: RowNumber | null;
  big: string | null;
  blob: Buffer | null;
}

let db: { name: string; drop(): Promise<void> };
let sql: pg.Client;
let prefix: string;
let config: PostgresSourceConfig;
let collector: RecordCollector;
let connector: RunningConnector;
const topic = () => tableTopic(prefix, "shop", "zoo");
const fullImageTopic = () => tableTopic(prefix, "shop", "full_image");
const FULL_IMAGE_BIG = bigText(7);
const events = () => collector.ofTopic(topic());

async function insert(written: Written): Promise<void> {
  const names = ["id", ...ZOO.map((c) => c.name), "c_big", "c_blob"].join(", ");
  const { row } = written;
  const values = ZOO.map((c) => (row === null ? "NULL" : sqlValueOf(c, row))).join(", ");
  await sql.query(`INSERT INTO shop.zoo (${names}) VALUES ($1, ${values}, $2, $3)`, [
    written.id,
    written.big,
    written.blob,
  ]);
}

function expectedRow(written: Written): Row {
  const row: Row = { id: written.id };
  for (const column of ZOO) row[column.name] = written.row === null ? null : expectedOf(column, written.row);
  row.c_big = written.big;
  row.c_blob = written.blob;
  return row;
}

/** Differences between a decoded row and the expected one, column by column, readable. */
function differences(actual: Row | null | undefined, expected: Row, label: string): string[] {
  if (!actual) return [`${label}: no row`];
  const problems: string[] = [];
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  for (const name of names) {
    try {
      expect(actual[name]).toEqual(expected[name]);
    } catch {
      problems.push(`${label} ${name}: got ${show(actual[name])}, expected ${show(expected[name])}`);
    }
  }
  return problems;
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes ${value.toString("hex").slice(0, 24)}>`;
  if (Object.is(value, -0)) return "-0";
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "string" && value.length > 60) return JSON.stringify(`${value.slice(0, 60)}…`);
  return JSON.stringify(value) ?? String(value);
}

async function eventsFor(what: string, count: number): Promise<RecordedEvent[]> {
  await connector.until(collector.waitFor(what, () => events().length >= count));
  return events();
}

const SNAPSHOT: Written[] = [
  { id: 1, row: 0, big: bigText(1), blob: bigBytes() },
  { id: 2, row: 1, big: null, blob: null },
  { id: 3, row: 2, big: "small", blob: Buffer.from([0]) },
  { id: 4, row: 3, big: bigText(4), blob: null },
  { id: 5, row: null, big: null, blob: null },
];
const LIVE: Written[] = SNAPSHOT.map((w) => ({
  ...w,
  id: w.id + 10,
  big: w.big && w.big.length > 100 ? bigText(w.id + 10) : w.big,
  blob: w.blob && w.blob.length > 100 ? bigBytes() : w.blob,
}));

beforeAll(async () => {
  db = await scratchDatabase("tributary_zoo_e2e");
  sql = await connectPg(db.name);
  prefix = uniqueName("zoo");
  config = sourceConfig(db.name, prefix, { tables: { include: ["shop.*"] } });
  await sql.query(`SET search_path = shop, public; ${ZOO_TYPES_SQL}`);
  await sql.query(
    `CREATE SCHEMA shop; CREATE TABLE shop.zoo (id int4 PRIMARY KEY, ${ZOO_COLUMNS_SQL}, c_big text, c_blob bytea)`,
  );
  for (const written of SNAPSHOT) await insert(written);
  await sql.query(
    "CREATE TABLE shop.full_image (id int PRIMARY KEY, n int, big text); ALTER TABLE shop.full_image REPLICA IDENTITY FULL",
  );
  await sql.query("INSERT INTO shop.full_image VALUES (1, 0, $1)", [FULL_IMAGE_BIG]);
  collector = new RecordCollector(prefix);
  connector = startConnector(config);
  await connector.until(waitForTopics([topic(), fullImageTopic()]));
  await collector.subscribe([topic(), fullImageTopic()]);
});

afterAll(() => closeSourceTest({ connector, collector, sql, config, db }));

describe("the type zoo through the connector", () => {
  it("snapshots every value exactly", async () => {
    await eventsFor("the snapshot", SNAPSHOT.length);
    const reads = [...events()].sort((a, b) => Number(a.key?.id) - Number(b.key?.id));
    expect(reads.map((e) => e.key)).toEqual(SNAPSHOT.map((w) => ({ id: w.id })));
    const problems: string[] = [];
    reads.forEach((event, i) => {
      const written = SNAPSHOT[i] as Written;
      expect(event.value).toMatchObject({ op: "r", before: null, unchanged: [], transaction: null });
      problems.push(...differences(event.value?.after, expectedRow(written), `r ${written.id}`));
    });
    expect(problems).toEqual([]);
  });

  it("streams inserts of every value exactly", async () => {
    for (const written of LIVE) await insert(written);
    await eventsFor("the inserts", SNAPSHOT.length + LIVE.length);
    const inserts = events().slice(SNAPSHOT.length);
    expect(inserts.map((e) => e.key)).toEqual(LIVE.map((w) => ({ id: w.id })));
    const problems: string[] = [];
    inserts.forEach((event, i) => {
      const written = LIVE[i] as Written;
      expect(event.value).toMatchObject({ op: "c", before: null, unchanged: [] });
      problems.push(...differences(event.value?.after, expectedRow(written), `c ${written.id}`));
    });
    expect(problems).toEqual([]);
    // The same table version has one writer schema, whether read by the snapshot or the stream.
    expect(new Set(events().map((e) => e.fingerprint)).size).toBe(1);
  });

  it("streams updates of every column exactly, listing the TOAST values they left in `unchanged`", async () => {
    const names = ZOO.map((c) => c.name);
    const updates: { id: number; row: RowNumber }[] = [
      { id: 11, row: 1 },
      { id: 12, row: 2 },
      { id: 13, row: 3 },
      { id: 14, row: 0 },
      { id: 15, row: 0 },
    ];
    for (const { id, row } of updates) {
      const values = ZOO.map((c) => sqlValueOf(c, row)).join(", ");
      await sql.query(`UPDATE shop.zoo SET (${names.join(", ")}) = (${values}) WHERE id = $1`, [id]);
    }
    const start = SNAPSHOT.length + LIVE.length;
    await eventsFor("the updates", start + updates.length);
    const problems: string[] = [];
    events()
      .slice(start)
      .forEach((event, i) => {
        const { id, row } = updates[i] as { id: number; row: RowNumber };
        const live = LIVE.find((w) => w.id === id) as Written;
        // Out-of-line values the update did not touch are not sent: null, and named in `unchanged`.
        const toasted = { big: (live.big?.length ?? 0) > 100, blob: (live.blob?.length ?? 0) > 100 };
        const envelope = event.value as Envelope;
        expect(event.key).toEqual({ id });
        expect(envelope.op).toBe("u");
        expect(envelope.unchanged).toEqual([
          ...(toasted.big ? ["c_big"] : []),
          ...(toasted.blob ? ["c_blob"] : []),
        ]);
        const expected = expectedRow({
          id,
          row,
          big: toasted.big ? null : live.big,
          blob: toasted.blob ? null : live.blob,
        });
        problems.push(...differences(envelope.after, expected, `u ${id}`));
      });
    expect(problems).toEqual([]);
  });

  it("sends a TOAST value again once an update changes it, and lists nothing as unchanged", async () => {
    const big = bigText(99);
    await sql.query("UPDATE shop.zoo SET c_big = $1, c_int2 = 7 WHERE id = 1", [big]);
    await sql.query("UPDATE shop.zoo SET c_int4 = 8 WHERE id = 1");
    const start = SNAPSHOT.length + LIVE.length + 5;
    await eventsFor("the TOAST updates", start + 2);
    const [changed, untouched] = events().slice(start) as [RecordedEvent, RecordedEvent];
    const first = SNAPSHOT[0] as Written;
    expect(changed.value?.unchanged).toEqual(["c_blob"]);
    expect(
      differences(changed.value?.after, { ...expectedRow({ ...first, big, blob: null }), c_int2: 7 }, "u 1"),
    ).toEqual([]);
    expect(untouched.value?.unchanged).toEqual(["c_big", "c_blob"]);
    expect(
      differences(
        untouched.value?.after,
        { ...expectedRow({ ...first, big: null, blob: null }), c_int2: 7, c_int4: 8 },
        "u 1",
      ),
    ).toEqual([]);
  });
  it("carries an untouched TOAST value into the new row of a key change under REPLICA IDENTITY FULL", async () => {
    await sql.query("UPDATE shop.full_image SET id = 2 WHERE id = 1");
    await connector.until(
      collector.waitFor("the key change", () => collector.ofTopic(fullImageTopic()).length >= 4),
    );
    const [, deleted, , inserted] = collector.ofTopic(fullImageTopic());
    expect(deleted?.value).toMatchObject({ op: "d", before: { id: 1, n: 0, big: FULL_IMAGE_BIG } });
    expect(inserted?.value).toMatchObject({ op: "c", unchanged: [] });
    expect(inserted?.value?.after).toEqual({ id: 2, n: 0, big: FULL_IMAGE_BIG });
  });
  // pgoutput sends no Relation message for an enum's new label: the source reads its captured
  // tables' types again when ALTER TYPE goes by in the stream (capture/ChangeStream.ts).
  it("publishes a new enum label in the schema of the events that use it", async () => {
    // A change first, so the stream knows the table before its enum changes.
    await sql.query("INSERT INTO shop.zoo (id, c_mood) VALUES (29, 'ok')");
    await connector.until(collector.waitFor("a change", () => events().some((e) => e.key?.id === 29)));
    await sql.query("ALTER TYPE mood ADD VALUE 'meh'");
    await sql.query("INSERT INTO shop.zoo (id, c_mood) VALUES (30, 'meh')");
    await connector.until(collector.waitFor("the new label", () => events().some((e) => e.key?.id === 30)));
    const event = events().find((e) => e.key?.id === 30) as RecordedEvent;
    expect(event.value?.after?.c_mood).toBe("meh");
    const schema = (await collector.writerSchema(event.fingerprint as Fingerprint)) as unknown as {
      fields: { name: string; type: unknown }[];
    };
    // The row record is defined in the `before` field (`after` refers to it by name).
    const before = schema.fields.find((f) => f.name === "before")?.type as [string, RowRecord] | undefined;
    const mood = before?.[1].fields.find((f) => f.name === "c_mood");
    expect(mood?.["tributary.labels"]).toEqual(["sad", "ok", "happy", "meh"]);
  });
});

/**
 * Regression: a value the connector refuses stopped it with an error that named neither the
 * table nor the column ("an array value has more than 1 dimension(s) but its column is …"), so
 * the operator could not tell which column to fix.
 */
describe("a value the connector cannot publish", () => {
  async function failureOf(setup: string, live?: string): Promise<unknown> {
    const scratch = await scratchDatabase("tributary_refused");
    const client = await connectPg(scratch.name);
    const name = uniqueName("refused");
    const refusing = sourceConfig(scratch.name, name, { tables: { include: ["shop.*"] } });
    await client.query(
      `CREATE SCHEMA shop; CREATE TABLE shop.grid (id int PRIMARY KEY, cells numeric[]); ${setup}`,
    );
    const running = startConnector(refusing);
    const reader = new RecordCollector(name);
    try {
      if (live) {
        await running.until(waitForTopics([tableTopic(name, "shop", "grid")]));
        await reader.subscribe([tableTopic(name, "shop", "grid")]);
        await running.until(reader.waitFor("the snapshot", (e) => e.length === 1));
        await client.query(live);
      }
      return await running.done.then(
        () => new Error("the connector stopped without an error"),
        (error: unknown) => error,
      );
    } finally {
      await running.stop().catch(() => undefined);
      await reader.close();
      await client.end();
      await cleanUpSource(refusing, scratch);
    }
  }

  it("names the table and column of a 2-D array in a 1-D column met in the snapshot", async () => {
    const error = await failureOf("INSERT INTO shop.grid VALUES (1, '{{1,2},{3,4}}')");
    expect(error).toMatchObject({ code: "TRB_PG_VALUE_OUT_OF_RANGE", retriable: false });
    expect(String(error)).toContain("column shop.grid.cells:");
  });

  it("names the table and column of a 2-D array in a 1-D column met while streaming", async () => {
    const error = await failureOf(
      "INSERT INTO shop.grid VALUES (1, '{1}')",
      "INSERT INTO shop.grid VALUES (2, '{{1,2},{3,4}}')",
    );
    expect(error).toMatchObject({ code: "TRB_PG_VALUE_OUT_OF_RANGE", retriable: false });
    expect(String(error)).toContain("column shop.grid.cells:");
  });
});
