/**
 * Live changes on the sample shop while the connectors run: new customers and orders (with
 * their items), status changes, price and profile updates, and deletes (a cancelled order
 * with its items, a customer without orders), each in its own transaction.
 */
import type pg from "pg";

export interface WorkloadCounts {
  transactions: number;
  inserts: number;
  updates: number;
  deletes: number;
}

type Step = (client: pg.Client, random: () => number) => Promise<Partial<WorkloadCounts>>;

const rowCount = (result: pg.QueryResult) => result.rowCount ?? 0;

const STEPS: readonly { weight: number; step: Step }[] = [
  {
    weight: 4,
    step: async (client, random) => {
      const lines = 1 + Math.floor(random() * 4);
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO shop.orders (customer_id, note)
           SELECT id, 'live order' FROM shop.customers ORDER BY random() LIMIT 1 RETURNING id`,
      );
      const order = rows[0]?.id;
      if (order === undefined) return {};
      const items = await client.query(
        `INSERT INTO shop.order_items (order_id, line, product_id, quantity, unit_price)
           SELECT $1, l, p.id, 1 + l % 3, p.price
             FROM generate_series(1, $2::int) l,
                  LATERAL (SELECT id, price FROM shop.products ORDER BY random() + l LIMIT 1) p`,
        [order, lines],
      );
      const total = await client.query(
        `UPDATE shop.orders SET total = (SELECT sum(quantity * unit_price) FROM shop.order_items WHERE order_id = $1)
          WHERE id = $1`,
        [order],
      );
      return { inserts: 1 + rowCount(items), updates: rowCount(total) };
    },
  },
  {
    weight: 4,
    step: async (client) => {
      const result = await client.query(
        `UPDATE shop.orders SET status = CASE status WHEN 'new' THEN 'paid' WHEN 'paid' THEN 'shipped'
                  WHEN 'shipped' THEN 'delivered' ELSE status END::shop.order_status,
                delivery_time = CASE WHEN status = 'shipped' THEN now() - placed_at END
          WHERE id IN (SELECT id FROM shop.orders WHERE status IN ('new', 'paid', 'shipped') ORDER BY random() LIMIT 3)`,
      );
      return { updates: rowCount(result) };
    },
  },
  {
    weight: 2,
    step: async (client, random) => {
      const result = await client.query(
        `UPDATE shop.products SET price = round(price * $1::numeric, 2), in_stock = NOT in_stock,
                attributes = attributes || jsonb_build_object('revised', now()::text)
          WHERE id = (SELECT id FROM shop.products ORDER BY random() LIMIT 1)`,
        [(0.9 + random() * 0.2).toFixed(3)],
      );
      return { updates: rowCount(result) };
    },
  },
  {
    weight: 2,
    step: async (client) => {
      const result = await client.query(
        `UPDATE shop.customers SET tags = array_append(tags, 'active'),
                profile = coalesce(profile, '{}'::jsonb) || jsonb_build_object('last_seen', now()::text)
          WHERE id = (SELECT id FROM shop.customers ORDER BY random() LIMIT 1)`,
      );
      return { updates: rowCount(result) };
    },
  },
  {
    weight: 1,
    step: async (client, random) => {
      const result = await client.query(
        `INSERT INTO shop.customers (email, name, tags, profile)
           VALUES ('live' || $1 || '@example.com', 'Live customer ' || $1, ARRAY['live'], '{"source":"demo"}')
           ON CONFLICT (email) DO NOTHING`,
        [Math.floor(random() * 1e9).toString(36)],
      );
      return { inserts: rowCount(result) };
    },
  },
  {
    weight: 1,
    step: async (client) => {
      // The items go first through ON DELETE CASCADE: both are deletes on the wire.
      const items = await client.query(
        "SELECT count(*)::int AS n FROM shop.order_items WHERE order_id = (SELECT min(id) FROM shop.orders WHERE status = 'cancelled')",
      );
      const result = await client.query(
        "DELETE FROM shop.orders WHERE id = (SELECT min(id) FROM shop.orders WHERE status = 'cancelled')",
      );
      return { deletes: rowCount(result) * (1 + Number(items.rows[0]?.n ?? 0)) };
    },
  },
  {
    weight: 1,
    step: async (client) => {
      const result = await client.query(
        `DELETE FROM shop.customers WHERE id = (SELECT c.id FROM shop.customers c
           WHERE NOT EXISTS (SELECT 1 FROM shop.orders o WHERE o.customer_id = c.id) ORDER BY random() LIMIT 1)`,
      );
      return { deletes: rowCount(result) };
    },
  },
];

/** Picks a step by weight (pure, given `roll` in [0, 1)). */
export function pickStep<T extends { weight: number }>(steps: readonly T[], roll: number): T {
  const total = steps.reduce((sum, step) => sum + step.weight, 0);
  let left = roll * total;
  for (const step of steps) {
    left -= step.weight;
    if (left < 0) return step;
  }
  return steps[steps.length - 1] as T;
}

/**
 * Runs transactions for `seconds`, pausing `pauseMs` between them, until done or `signal`
 * aborts; `counts` is updated as it goes so progress can show it.
 */
export async function runWorkload(
  client: pg.Client,
  options: { seconds: number; pauseMs: number; signal: AbortSignal; counts: WorkloadCounts },
): Promise<void> {
  const { counts, signal } = options;
  const until = Date.now() + options.seconds * 1000;
  while (Date.now() < until && !signal.aborted) {
    const { step } = pickStep(STEPS, Math.random());
    await client.query("BEGIN");
    try {
      const done = await step(client, Math.random);
      await client.query("COMMIT");
      counts.transactions++;
      counts.inserts += done.inserts ?? 0;
      counts.updates += done.updates ?? 0;
      counts.deletes += done.deletes ?? 0;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
}
