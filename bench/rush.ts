/**
 * The ticket-rush scenario of `npm run bench`: `buyers` signed-in buyers open at once for `tickets` tickets
 * (per-person cap 1) plus merchandise. Every buyer checks out at the same moment — 70 % buy-now of a ticket,
 * 30 % a cart with a ticket and a T-shirt (cart add ×2, then cart checkout) — pays at the PortOne simulator
 * and the webhook reaches the app twice at once (duplicated); for every fifth buyer both copies arrive late
 * (`lateMs` after paying, when the rush is over). Each buyer first loads the catalogue (signed in, compressed),
 * as the sale page does. A buyer whose checkout is refused (sold out: 4xx) stops.
 *
 * Reported: time until every ticket is held (the last successful ticket checkout) and paid (the last
 * completing webhook), p50 / p99 of checkout (every attempt, refused ones included), 5xx answers (must be 0),
 * oversold units and buyers over the per-person cap (must be 0), and buyers who paid but whose payment the
 * app cancelled ("no stock left" at the webhook: must be 0, the units were held at checkout).
 */
import type pg from 'pg';
import { request as httpRequest } from 'node:http';
import { uuidOf } from './seed.js';

export interface RushOptions {
  base: string;
  sim: string;
  client: pg.Client;
  buyers: Array<{ cookie: string; csrf: string }>;
  tickets: number;
  lateMs: number;
}

export interface RushResult {
  buyers: number;
  tickets: number;
  heldMs: number | null;
  paidMs: number | null;
  checkoutP50: number;
  checkoutP99: number;
  checkouts: number;
  succeeded: number;
  refused: number;
  fiveXx: number;
  otherErrors: string[];
  oversold: number;
  overCap: number;
  autoRefunded: number;
  webhooks: number;
  seconds: number;
}

const INFO = { name: '구매자', phone: '010-1234-5678', email: 'buyer@example.com', organization: '' };
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** The rush's products: a ticket (stock `tickets`, cap 1) and a T-shirt (plenty), visible and on sale now. */
export async function createRushProducts(client: pg.Client, tickets: number): Promise<{ ticket: string; shirt: string }> {
  const ticket = uuidOf('rush-ticket', tickets);
  const shirt = uuidOf('rush-shirt', tickets);
  await client.query(
    `INSERT INTO products (id, category_id, name_ko, name_en, price, stock, max_quantity_per_user,
                           visible_starts_at, visible_ends_at, orderable_starts_at, orderable_ends_at, refundable_ends_at, priority)
     VALUES ($1, md5('c0')::uuid, '러시 티켓', 'Rush ticket', 150000, $3, 1, now() - interval '1 day', now() + interval '30 days',
             now() - interval '1 day', now() + interval '30 days', now() + interval '20 days', 0),
            ($2, md5('c1')::uuid, '러시 티셔츠', 'Rush T-shirt', 25000, 100000, 0, now() - interval '1 day', now() + interval '30 days',
             now() - interval '1 day', now() + interval '30 days', now() + interval '20 days', 0)`,
    [ticket, shirt, tickets],
  );
  return { ticket, shirt };
}

export async function rush(o: RushOptions): Promise<RushResult> {
  const { ticket, shirt } = await createRushProducts(o.client, o.tickets);
  // every request on a connection of its own (as 2,000 browsers would open them): no keep-alive socket the
  // server may close between two requests of one buyer
  let fiveXx = 0;
  const otherErrors: string[] = [];
  const call = (method: 'POST' | 'GET', url: string, body: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; text: string }>((resolve) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpRequest(url, { method, agent: false, headers: { 'content-type': 'application/json', ...(data ? { 'content-length': String(data.length) } : {}), ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode! >= 500) fiveXx++;
          resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() });
        });
      });
      req.setTimeout(120_000);
      req.on('error', (e) => {
        otherErrors.push(`${method} ${new URL(url).pathname}: ${e.message}`);
        resolve({ status: 0, text: '' });
      });
      req.end(data);
    });
  const latencies: number[] = [];
  let succeeded = 0;
  let refused = 0;
  let heldAt: number | null = null;
  let ticketsHeld = 0;
  let paidAt: number | null = null;
  let ticketsPaid = 0;
  let webhooks = 0;
  const late: Array<Promise<void>> = [];
  const t0 = performance.now();

  const deliver = async (payload: string, hasTicket: boolean): Promise<void> => {
    const send = () => call('POST', `${o.base}/v1/shop/payment-histories/`, JSON.parse(payload));
    const answers = await Promise.all([send(), send()]); // the same notification twice, at once
    webhooks += 2;
    if (answers.every((a) => a.status !== 200)) otherErrors.push(`webhook ${answers.map((a) => a.status).join('/')}: ${answers[0]!.text.slice(0, 200)}`);
    if (hasTicket && answers.some((a) => a.status === 200) && ++ticketsPaid === ticketsHeld && ticketsHeld === o.tickets) paidAt = performance.now() - t0;
  };

  await Promise.all(
    o.buyers.map(async (b, i) => {
      const h = { cookie: b.cookie, 'x-csrftoken': b.csrf };
      const viaCart = i % 10 >= 7;
      await call('GET', `${o.base}/v1/shop/products/`, undefined, { cookie: b.cookie, 'accept-encoding': 'gzip, deflate, br' }); // the sale page
      const started = performance.now();
      let answer: { status: number; text: string };
      if (viaCart) {
        const add1 = await call('POST', `${o.base}/v1/shop/orders/cart/products/`, { product: ticket, options: [] }, h);
        if (add1.status !== 201) {
          latencies.push(performance.now() - started);
          if (add1.status > 0 && add1.status < 500) refused++;
          return;
        }
        await call('POST', `${o.base}/v1/shop/orders/cart/products/`, { product: shirt, options: [] }, h);
        answer = await call('POST', `${o.base}/v1/shop/orders/`, INFO, h);
      } else {
        answer = await call('POST', `${o.base}/v1/shop/orders/single/`, { product: ticket, options: [], customer_info: INFO }, h);
      }
      latencies.push(performance.now() - started);
      if (answer.status !== 201) {
        if (answer.status > 0 && answer.status < 500) refused++;
        return;
      }
      succeeded++;
      if (++ticketsHeld === o.tickets) heldAt = performance.now() - t0;
      const { merchant_uid } = JSON.parse(answer.text) as { merchant_uid: string };
      const paid = await call('POST', `${o.sim}/__sim/pay`, { merchant_uid, notify: false });
      const { payment } = JSON.parse(paid.text) as { payment: { imp_uid: string } };
      const payload = JSON.stringify({ imp_uid: payment.imp_uid, merchant_uid, status: 'paid' });
      if (i % 5 === 4) late.push(new Promise((r) => setTimeout(r, o.lateMs)).then(() => deliver(payload, true)));
      else await deliver(payload, true);
    }),
  );
  await Promise.all(late);
  const seconds = (performance.now() - t0) / 1000;

  const counts = await o.client.query<{ sold: number; over_cap: number; refunded: number }>(
    `SELECT
       (SELECT count(*) FROM order_product_relations opr JOIN orders ord ON ord.id = opr.order_id
         WHERE opr.product_id = $1 AND opr.status IN ('paid', 'used') AND opr.deleted_at IS NULL AND ord.deleted_at IS NULL)::int AS sold,
       (SELECT count(*) FROM (SELECT ord.user_id FROM order_product_relations opr JOIN orders ord ON ord.id = opr.order_id
         WHERE opr.product_id = $1 AND opr.status IN ('paid', 'used') AND opr.deleted_at IS NULL AND ord.deleted_at IS NULL
         GROUP BY ord.user_id HAVING count(*) > 1) x)::int AS over_cap,
       (SELECT count(DISTINCT merchant_uid) FROM payment_webhook_events WHERE event_type = 'cancel_succeeded')::int AS refunded`,
    [ticket],
  );
  const c = counts.rows[0]!;
  latencies.sort((a, b) => a - b);
  return {
    buyers: o.buyers.length,
    tickets: o.tickets,
    heldMs: heldAt,
    paidMs: paidAt,
    checkoutP50: pct(latencies, 50),
    checkoutP99: pct(latencies, 99),
    checkouts: latencies.length,
    succeeded,
    refused,
    fiveXx,
    otherErrors,
    oversold: Math.max(0, c.sold - o.tickets),
    overCap: c.over_cap,
    autoRefunded: c.refunded,
    webhooks,
    seconds,
  };
}
