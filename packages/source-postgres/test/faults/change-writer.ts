import pg from "pg";
import { connectPg } from "../../../../test/support/postgres.js";
import { envelopeOf, type RecordedEvent, sleep } from "./fault-fixture.js";

/** The table the writer changes; every column type has an exact text form to compare. */
export const ITEMS_DDL = `
  CREATE TABLE public.items (
    id int PRIMARY KEY,
    qty int NOT NULL,
    note text,
    price numeric(12,2) NOT NULL,
    updated_at timestamptz NOT NULL,
    flag boolean NOT NULL
  )`;

/** Inserts ids `from`..`to` in one statement. */
export function seedItemsSql(from: number, to: number): string {
  return `INSERT INTO public.items
            SELECT g, g % 97, CASE WHEN g % 5 = 0 THEN NULL ELSE 'seed ' || g END, g * 0.25,
                   '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 ms', g % 2 = 0
              FROM generate_series(${from}, ${to}) g`;
}

export type Op = "c" | "u" | "d";

/** A transaction the database committed: its xid and the row changes in it, in order. */
export interface CommittedTx {
  xid: string;
  changes: { id: number; op: Op }[];
}

/** A small deterministic PRNG, so a failing run can be repeated from its seed. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Commits transactions of `txSize` changes to public.items in a loop — inserts, updates of
 * random live keys, deletes — and remembers what each committed transaction did. It is the
 * only writer of the table, so it knows which keys exist.
 */
export class ChangeWriter {
  readonly committed: CommittedTx[] = [];
  private readonly live: number[] = [];
  private readonly index = new Map<number, number>();
  private readonly random: () => number;
  private readonly txSize: number;
  private readonly pauseMs: number;
  private nextId: number;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly database: string,
    options: { liveIds: number[]; nextId: number; seed: number; txSize?: number; pauseMs?: number },
  ) {
    for (const id of options.liveIds) this.add(id);
    this.nextId = options.nextId;
    this.random = randomSource(options.seed);
    this.txSize = options.txSize ?? 10;
    this.pauseMs = options.pauseMs ?? 3;
  }

  start(): void {
    this.running = this.loop();
    this.running.catch(() => undefined);
  }

  /** Stops after the transaction under way; rejects if the writer failed. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Keys that exist after every committed transaction. */
  liveIds(): number[] {
    return [...this.live];
  }

  /** Adds keys another client committed, so the writer may update and delete them too. */
  adopt(ids: Iterable<number>): void {
    for (const id of ids) this.add(id);
  }

  private async loop(): Promise<void> {
    const client = await connectPg(this.database);
    try {
      while (!this.stopping) {
        await this.commitOne(client);
        if (this.pauseMs > 0) await sleep(this.pauseMs);
      }
    } finally {
      await client.end();
    }
  }

  private async commitOne(client: pg.Client): Promise<void> {
    const statements: string[] = [];
    const changes: CommittedTx["changes"] = [];
    const removed: number[] = [];
    const added: number[] = [];
    const pending = new Set(this.live);
    const pick = (): number | undefined => {
      const candidates = this.live.filter((id) => pending.has(id));
      return candidates[Math.floor(this.random() * candidates.length)];
    };
    for (let i = 0; i < this.txSize; i++) {
      const roll = this.random();
      const note = roll < 0.1 ? "NULL" : pg.escapeLiteral(`n${Math.floor(this.random() * 1e6)} ✓`);
      const price = (Math.floor(this.random() * 1e6) / 100).toFixed(2);
      if (roll < 0.45 || pending.size < 50) {
        const id = this.nextId++;
        statements.push(
          `INSERT INTO public.items VALUES (${id}, ${i}, ${note}, ${price}, clock_timestamp(), ${roll < 0.2})`,
        );
        changes.push({ id, op: "c" });
        pending.add(id);
        added.push(id);
      } else if (roll < 0.85) {
        const id = pick();
        if (id === undefined) continue;
        statements.push(
          `UPDATE public.items SET qty = qty + 1, note = ${note}, price = ${price}, updated_at = clock_timestamp(), flag = NOT flag WHERE id = ${id}`,
        );
        changes.push({ id, op: "u" });
      } else {
        const id = pick();
        if (id === undefined) continue;
        statements.push(`DELETE FROM public.items WHERE id = ${id}`);
        changes.push({ id, op: "d" });
        pending.delete(id);
        removed.push(id);
      }
    }
    const results = (await client.query(
      `BEGIN; SELECT pg_current_xact_id()::xid::text AS xid; ${statements.join("; ")}; COMMIT`,
    )) as unknown as pg.QueryResult<{ xid: string }>[];
    const xid = results[1]?.rows[0]?.xid;
    if (xid === undefined) throw new Error("no xid");
    // pick() only offers keys live in this transaction: apply in order (an insert may be deleted again).
    for (const id of added) this.add(id);
    for (const id of removed) this.remove(id);
    this.committed.push({ xid, changes });
  }

  private add(id: number): void {
    if (this.index.has(id)) return;
    this.index.set(id, this.live.length);
    this.live.push(id);
  }

  private remove(id: number): void {
    const at = this.index.get(id);
    if (at === undefined) return;
    const last = this.live.pop() as number;
    if (last !== id) {
      this.live[at] = last;
      this.index.set(last, at);
    }
    this.index.delete(id);
  }
}

/** A row of public.items in the form the source publishes it. */
export interface ItemRow {
  id: number;
  qty: number;
  note: string | null;
  price: string;
  updated_at: bigint;
  flag: boolean;
}

export async function readItems(sql: pg.Client): Promise<Map<number, ItemRow>> {
  const { rows } = await sql.query<{
    id: number;
    qty: number;
    note: string | null;
    price: string;
    micros: string;
    flag: boolean;
  }>(
    `SELECT id, qty, note, price::text AS price,
            (extract(epoch FROM updated_at) * 1000000)::bigint::text AS micros, flag
       FROM public.items`,
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        qty: row.qty,
        note: row.note,
        price: row.price,
        updated_at: BigInt(row.micros),
        flag: row.flag,
      },
    ]),
  );
}

/** Problems found comparing a topic of public.items with the table and the committed transactions. */
export interface DeliveryReport {
  /** Keys whose latest event does not match the table (missing, extra or different). */
  mismatches: string[];
  /** Events of a key that came after a later change of that key and are not replays of events before. */
  outOfOrder: string[];
  /** Committed changes with no event. */
  missing: string[];
  /** Deleted keys whose last record is not a tombstone. */
  noTombstone: string[];
  duplicates: number;
}

function signature(event: RecordedEvent): string {
  const envelope = envelopeOf(event);
  return JSON.stringify(
    [envelope?.source.lsn, envelope?.op, envelope?.source.txId, envelope?.before, envelope?.after],
    (_, value) => (typeof value === "bigint" ? value.toString() : value),
  );
}

/**
 * At-least-once, checked from both ends: the latest event of each key equals the table's row
 * (or is a delete when the row is gone), each key's events follow commit order apart from exact
 * replays of what came before a restart, and every committed change has its event.
 */
export function checkDelivery(
  events: RecordedEvent[],
  table: Map<number, ItemRow>,
  committed: CommittedTx[],
): DeliveryReport {
  const report: DeliveryReport = {
    mismatches: [],
    outOfOrder: [],
    missing: [],
    noTombstone: [],
    duplicates: 0,
  };
  const byKey = new Map<number, RecordedEvent[]>();
  for (const event of events) {
    const id = Number(event.key?.id);
    let list = byKey.get(id);
    if (!list) {
      list = [];
      byKey.set(id, list);
    }
    list.push(event);
  }
  const show = (value: unknown) =>
    JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  for (const [id, list] of byKey) {
    const changes = list.filter((event) => event.value !== null);
    const latest = changes.at(-1);
    const row = table.get(id);
    const envelope = latest ? envelopeOf(latest) : null;
    if (!envelope) {
      report.mismatches.push(`${id}: only tombstones`);
    } else if (envelope.op === "d") {
      if (row) report.mismatches.push(`${id}: deleted in Kafka, in the table as ${show(row)}`);
      if (list.at(-1)?.value !== null) report.noTombstone.push(`${id}`);
    } else if (!row) {
      report.mismatches.push(`${id}: ${envelope.op} ${show(envelope.after)} in Kafka, gone from the table`);
    } else if (show(envelope.after) !== show(row)) {
      report.mismatches.push(`${id}: Kafka has ${show(envelope.after)}, the table ${show(row)}`);
    }
    let highest = -1n;
    const seen = new Set<string>();
    for (const event of changes) {
      const lsn = envelopeOf(event)?.source.lsn ?? -1n;
      const sig = signature(event);
      if (seen.has(sig)) report.duplicates++;
      else if (lsn < highest) {
        report.outOfOrder.push(`${id}: ${sig} after an event at ${highest} (offset ${event.offset})`);
      }
      seen.add(sig);
      if (lsn > highest) highest = lsn;
    }
  }
  for (const id of table.keys()) {
    if (!byKey.has(id)) report.mismatches.push(`${id}: in the table, no event in Kafka`);
  }
  const published = new Map<string, number>();
  for (const event of events) {
    const envelope = envelopeOf(event);
    if (!envelope?.source.txId) continue;
    const key = `${envelope.source.txId}/${Number(event.key?.id)}/${envelope.op}`;
    published.set(key, (published.get(key) ?? 0) + 1);
  }
  for (const tx of committed) {
    const wanted = new Map<string, number>();
    for (const change of tx.changes) {
      const key = `${tx.xid}/${change.id}/${change.op}`;
      wanted.set(key, (wanted.get(key) ?? 0) + 1);
    }
    for (const [key, count] of wanted) {
      if ((published.get(key) ?? 0) < count) report.missing.push(key);
    }
  }
  return report;
}
