/**
 * The hand-written statements of a payment's completion (the PortOne webhook, and the 0-won checkout for the
 * shared steps): the same rows, locks and audit rows as the generic Sequelize path (create / update / destroy
 * + the audit hooks of src/models/index.ts), in fewer round trips — see src/services/checkout-sql.ts for the
 * approach and why.
 *
 * Each statement lives here once:
 *   - `recordLookupAndReadTarget` the webhook's event row of its PortOne look-up (autocommit: it survives
 *                                 whatever follows) together with its reads before any lock: the order or
 *                                 buy-now cart named by the merchant_uid, its live items and option answers,
 *                                 and whether this payment is already recorded;
 *   - `lockOrPromote`             the order's row lock — or the buy-now cart's lock and its promotion to an
 *                                 Order with the same id (order created, item and customer info moved, the
 *                                 cart deleted) with their audit rows — one statement;
 *   - `writePaid`                 the ledger row, the items paid, the hold released, their audit rows and the
 *                                 webhook's `payment_accepted` event row — one statement, sent with the COMMIT
 *                                 and, behind it in the same message, what the order-event handlers read
 *                                 (`orderEventPreloads`: outside the locks).
 * The locks and reads of the re-validation in between are in src/services/payment-revalidation.ts.
 *
 * Audit rows: a created row's `after` comes from the row as written (`auditJsonSql`); an update's `before` /
 * `after` hold the fields the generic path's audit row holds (computed from the locked rows, `updateAudit`);
 * a deleted row's `before` is the row as locked. Rows are written in the order the generic path writes them.
 */
import { randomUUID } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { Order, OrderProductOptionRelation, OrderProductRelation, SingleProductCart, auditJsonSql } from '../models/index.js';
import { currentActor } from '../context.js';
import { hydrate, hydrateAll } from './json-rows.js';
import { commitThenRead, commitWith, send } from '../db/pipeline.js';
import { namedQuery } from '../db/named-query.js';
import { AUDIT_RECORDSET, Params, iso, updateAudit, type AuditRow } from './checkout-sql.js';
import { emitCommittedOrderEvent, emitOrderEvent, orderEventPreloads } from './order-events.js';

/** The values of one payment_webhook_events row (as `logEvent` builds them). */
export interface WebhookEventRow {
  eventType: string;
  impUid: string | null;
  merchantUid: string | null;
  requestPayload: unknown;
  orderId: string | null;
  singleProductCartId: string | null;
  paymentHistoryId: string | null;
  reasonCode: string | null;
  reason: string | null;
  paymentLookupResponse: unknown;
  cancelResponse: unknown;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const jsonb = (p: Params, v: unknown) => p.add(v === null || v === undefined ? null : JSON.stringify(v), 'jsonb');

/** `INSERT … SELECT` of one event row; `ids` (SQL) replace its order / buy-now cart ids when the statement computes them. */
function eventInsert(p: Params, row: WebhookEventRow, ids?: { orderId: string; spcId: string }): string {
  return `INSERT INTO payment_webhook_events (id, order_id, single_product_cart_id, payment_history_id, imp_uid, merchant_uid, event_type,
                                             reason_code, reason, request_payload, payment_lookup_response, cancel_response, created_at)
      SELECT ${p.add(randomUUID(), 'uuid')}, ${ids?.orderId ?? p.add(row.orderId, 'uuid')}, ${ids?.spcId ?? p.add(row.singleProductCartId, 'uuid')},
             ${p.add(row.paymentHistoryId, 'uuid')}, ${p.add(row.impUid, 'text')}, ${p.add(row.merchantUid, 'text')}, ${p.add(row.eventType, 'text')},
             ${p.add(row.reasonCode, 'text')}, ${p.add(row.reason, 'text')}, ${jsonb(p, row.requestPayload)}, ${jsonb(p, row.paymentLookupResponse)},
             ${jsonb(p, row.cancelResponse)}, ${p.add(iso(Date.now()), 'timestamptz')}`;
}

/** Write one event row on its own (autocommit), as a prepared statement (`logEvent`'s first try). */
export async function insertEventRow(sequelize: Sequelize, row: WebhookEventRow): Promise<void> {
  const p = new Params();
  await namedQuery(sequelize, eventInsert(p, row), p.values);
}

// ---------------------------------------------------------------------------------------------------------

export interface PaymentTarget {
  kind: 'order' | 'spc';
  id: string;
  userId: number;
  snapshot: unknown;
  hash: string | null;
}

export interface TargetRead {
  /** the order (or else the buy-now cart) with the merchant_uid's id, whatever its preparation */
  target: PaymentTarget | null;
  /** its live items and their live option answers, as the snapshot sees them */
  items: OrderProductRelation[];
  options: OrderProductOptionRelation[];
  /** a completed ledger row of this order with this imp_uid exists */
  recorded: boolean;
}

/**
 * The event row of the webhook's PortOne look-up (`row`; its order / buy-now cart id filled in here when the
 * target's preparation hash is `hash`) and the reads before any lock, in ONE statement, outside any transaction:
 * the event row is committed with it. `id` is the merchant_uid's order id; `hash` and `impUid` must be storable
 * text (or null, which matches nothing). One snapshot for all reads: the order and the buy-now cart are seen
 * before or after a promotion, never half-way.
 */
export async function recordLookupAndReadTarget(
  sequelize: Sequelize,
  q: { id: string; hash: string | null; impUid: string | null },
  row: WebhookEventRow | null,
): Promise<TargetRead> {
  if (!UUID_RE.test(q.id)) throw new Error('recordLookupAndReadTarget: not a uuid');
  const p = new Params();
  // A prepared statement of its own (src/db/named-query.ts: planning it took longer than running it); its log
  // line and hooks carry the values written in, so the race tests still find this statement — the one moment
  // a twin webhook can run between the reads and the locks — by the order's id in its text.
  const id = p.add(q.id.toLowerCase(), 'uuid');
  const hash = p.add(q.hash, 'text');
  const imp = p.add(q.impUid, 'text');
  const event = row
    ? `, ev AS (${eventInsert(p, row, {
        orderId: `(SELECT t.id FROM t WHERE t.kind = 'order' AND t.prepared_cart_hash = ${hash})`,
        spcId: `(SELECT t.id FROM t WHERE t.kind = 'spc' AND t.prepared_cart_hash = ${hash})`,
      })})`
    : '';
  const [r] = await namedQuery<{ target: (Record<string, unknown> & { kind: 'order' | 'spc' }) | null; items: never; options: never; recorded: boolean }>(
    sequelize,
    `WITH o AS MATERIALIZED (SELECT * FROM "orders" WHERE id = ${id} AND deleted_at IS NULL),
          s AS MATERIALIZED (SELECT * FROM single_product_carts WHERE id = ${id} AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM o)),
          t AS MATERIALIZED (SELECT 'order' AS kind, id, user_id, prepared_cart_snapshot, prepared_cart_hash FROM o
                             UNION ALL SELECT 'spc', id, user_id, prepared_cart_snapshot, prepared_cart_hash FROM s),
          -- \`= ANY(ARRAY(…))\`, not \`IN (subquery)\`: an OR of two IN-subqueries made PostgreSQL read every item
          -- (~20 ms of CPU per webhook at 100,000 items); this form reads the two indexes
          i AS MATERIALIZED (SELECT * FROM order_product_relations
                              WHERE (order_id = ANY(ARRAY(SELECT id FROM o)) OR id = ANY(ARRAY(SELECT order_product_relation_id FROM s))) AND deleted_at IS NULL)
          ${event}
     SELECT (SELECT row_to_json(t) FROM t) AS target,
            (SELECT json_agg(i ORDER BY i.created_at, i.id) FROM i) AS items,
            (SELECT json_agg(x ORDER BY x.created_at, x.id) FROM order_product_option_relations x
              WHERE x.order_product_relation_id IN (SELECT id FROM i) AND x.deleted_at IS NULL) AS options,
            (SELECT count(*) FROM "payment_histories" h
              WHERE h.order_id = ${id} AND h.imp_id = ${imp} AND h.status = 'completed' AND h.deleted_at IS NULL) > 0 AS recorded`,
    p.values,
  );
  const t = r?.target;
  return {
    target: t ? { kind: t.kind, id: String(t.id), userId: Number(t.user_id), snapshot: t.prepared_cart_snapshot ?? null, hash: (t.prepared_cart_hash as string | null) ?? null } : null,
    items: hydrateAll(OrderProductRelation, r?.items),
    options: hydrateAll(OrderProductOptionRelation, r?.options),
    recorded: !!r?.recorded,
  };
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Lock the Order `id` — or lock the buy-now cart `id` and promote it to an Order with the same id (spec §1.8
 * `to_order`) — in ONE statement; if another request promoted the cart first (the cart is gone once its lock
 * is granted), lock that Order with a second one. Null when neither exists.
 *
 * The promotion writes what `Order.create` + `item.update({orderId})` + `CustomerInfo.update(…, individualHooks)`
 * + `spc.destroy({force: true})` write, with their audit rows in that order: the order named after the item's
 * product (`singleOrderName`: Korean, English or else Korean; soft-deleted products too), the cart's
 * preparation and hold carried over. Locks in the generic path's order: order, else cart → item → customer info.
 * (Also the 0-won checkout's way to an Order: src/services/free-checkout.ts.)
 */
export async function lockOrPromote(id: string, t: Transaction): Promise<Order | null> {
  return (await sendLockOrPromote(id, t)).order;
}

/**
 * `lockOrPromote`, its statement handed to the connection at the call (src/db/pipeline.ts): a statement sent
 * right after it runs once it has its locks. `again`: the lock came from the second statement (a concurrent
 * promotion), i.e. after whatever was sent behind the first — read those reads again.
 */
export async function sendLockOrPromote(id: string, t: Transaction): Promise<{ order: Order | null; again: boolean }> {
  const sequelize = Order.sequelize!;
  const actor = currentActor();
  const p = new Params();
  const ref = p.add(id, 'uuid');
  const by = p.add(actor.userId, 'integer');
  const ts = p.add(iso(Date.now()), 'timestamptz');
  // what an update's audit row holds besides its own fields: updatedById, when the actor differs (afterUpdate)
  const byBefore = (alias: string) => `CASE WHEN ${alias}.updated_by_id IS DISTINCT FROM ${by} THEN jsonb_build_object('updatedById', ${alias}.updated_by_id) ELSE '{}'::jsonb END`;
  const byAfter = (alias: string) => `CASE WHEN ${alias}.updated_by_id IS DISTINCT FROM ${by} THEN jsonb_build_object('updatedById', ${by}) ELSE '{}'::jsonb END`;
  const audit = (k: number, table: string, alias: string, action: string, before: string, after: string, from: string) =>
    `SELECT ${k} AS k, ${alias}.id AS sk, '${table}'::text AS table_name, ${alias}.id::text AS record_id, '${action}'::text AS action, ${before} AS before, ${after} AS after FROM ${from}`;
  // The SELECT list takes the locks in its order (order; else cart, item, customer info); the promotion's
  // writes read those locked rows, so they run after them.
  const sent = send<{ locked: Record<string, unknown> | null; promoted: Record<string, unknown> | null }>(
    sequelize,
    t,
    `WITH o AS MATERIALIZED (SELECT * FROM orders WHERE id = ${ref} AND deleted_at IS NULL FOR UPDATE),
          s AS MATERIALIZED (SELECT * FROM single_product_carts WHERE id = ${ref} AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM o) FOR UPDATE),
          it AS MATERIALIZED (SELECT x.* FROM order_product_relations x JOIN s ON x.id = s.order_product_relation_id WHERE x.deleted_at IS NULL FOR UPDATE OF x),
          ci AS MATERIALIZED (SELECT c.* FROM customer_infos c JOIN s ON c.single_product_cart_id = s.id
                               WHERE c.deleted_at IS NULL ORDER BY c.id FOR UPDATE OF c),
          pr AS MATERIALIZED (SELECT name_ko, name_en FROM products WHERE id IN (SELECT product_id FROM it)),
          new_order AS (
            INSERT INTO orders (id, created_by_id, updated_by_id, user_id, name_ko, name_en, prepared_cart_snapshot, prepared_cart_hash,
                                stock_held_until, created_at, updated_at)
            SELECT s.id, ${by}, ${by}, s.user_id, COALESCE(pr.name_ko, ''), COALESCE(NULLIF(pr.name_en, ''), pr.name_ko, ''),
                   s.prepared_cart_snapshot, s.prepared_cart_hash, s.stock_held_until, ${ts}, ${ts}
              FROM s LEFT JOIN pr ON true RETURNING *),
          moved_item AS (
            UPDATE order_product_relations x SET order_id = s.id, updated_at = ${ts}, updated_by_id = ${by}
              FROM it, s WHERE x.id = it.id AND (it.order_id IS DISTINCT FROM s.id OR it.updated_by_id IS DISTINCT FROM ${by}) RETURNING x.id),
          moved_infos AS (
            UPDATE customer_infos x SET order_id = s.id, single_product_cart_id = NULL, updated_at = ${ts}, updated_by_id = ${by}
              FROM ci, s WHERE x.id = ci.id RETURNING x.id),
          gone AS (DELETE FROM single_product_carts x USING s WHERE x.id = s.id RETURNING x.id),
          audit AS (
            INSERT INTO audit_logs (table_name, record_id, action, actor_user_id, actor_label, before, after, created_at)
            SELECT a.table_name, a.record_id, a.action, ${by}, ${p.add(actor.label, 'text')}, a.before, a.after, ${ts}
              FROM (${audit(0, 'orders', 'n', 'create', 'NULL::jsonb', auditJsonSql(Order, 'n'), 'new_order n')}
                    UNION ALL
                    ${audit(1, 'order_product_relations', 'it', 'update',
                      `CASE WHEN it.order_id IS DISTINCT FROM s.id THEN jsonb_build_object('orderId', it.order_id) ELSE '{}'::jsonb END || ${byBefore('it')}`,
                      `CASE WHEN it.order_id IS DISTINCT FROM s.id THEN jsonb_build_object('orderId', s.id) ELSE '{}'::jsonb END || ${byAfter('it')}`,
                      `it, s WHERE it.order_id IS DISTINCT FROM s.id OR it.updated_by_id IS DISTINCT FROM ${by}`)}
                    UNION ALL
                    ${audit(2, 'customer_infos', 'ci', 'update',
                      `jsonb_build_object('orderId', ci.order_id, 'singleProductCartId', ci.single_product_cart_id) || ${byBefore('ci')}`,
                      `jsonb_build_object('orderId', s.id, 'singleProductCartId', NULL) || ${byAfter('ci')}`,
                      'ci, s')}
                    UNION ALL
                    ${audit(3, 'single_product_carts', 's', 'delete', `${auditJsonSql(SingleProductCart, 's')} || jsonb_build_object('deletedById', ${by})`, 'NULL::jsonb', 's')}
                   ) a ORDER BY a.k, a.sk)
     SELECT (SELECT row_to_json(o) FROM o) AS locked, (SELECT count(*) FROM it) AS items, (SELECT count(*) FROM ci) AS infos,
            (SELECT row_to_json(n) FROM new_order n) AS promoted`,
    { bind: p.values },
  );
  const [row] = await sent;
  const found = row?.locked ?? row?.promoted;
  if (found) return { order: hydrate(Order, found), again: false };
  // Neither was there when this statement started, or the cart was gone once its lock was granted: another
  // request promoted it meanwhile (its commit made the Order, which a new statement sees).
  return { order: await Order.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE }), again: true };
}

// ---------------------------------------------------------------------------------------------------------

export interface PaidWrite {
  /** the locked order */
  order: Order;
  /** its live items, locked; the pending ones become paid */
  items: readonly OrderProductRelation[];
  impId: string | null;
  price: number;
  /** the webhook's `payment_accepted` row (its payment_history_id is this ledger row's) */
  event?: WebhookEventRow;
}

/**
 * The payment's writes in ONE statement: the `completed` ledger row, the pending items paid, the order's
 * hold released, the audit rows of `OrderProductRelation.update({status: 'paid'}, individualHooks)` and
 * `order.update({stockHeldUntil: null})` in that order, and the webhook's event row; the order-event
 * handlers' reads ride along (they see the rows as written). Then the `paid` event is raised. Returns the
 * ledger row's id.
 *
 * `commit`: the statement goes with the COMMIT in one message (src/db/pipeline.ts `commitWith`) and the `paid`
 * event is raised once committed (`emitCommittedOrderEvent`: the e-mail is written on its own, outside the
 * locks). The webhook pays this way: every round trip while it holds the product's lock is one every other
 * payment and checkout of that product waits for.
 */
export async function writePaid(sequelize: Sequelize, w: PaidWrite, t: Transaction, opts: { commit?: boolean } = {}): Promise<string> {
  const actor = currentActor();
  const at = Date.now();
  const p = new Params();
  const by = p.add(actor.userId, 'integer');
  const ts = p.add(iso(at), 'timestamptz');
  const orderRef = p.add(w.order.id, 'uuid');
  const phId = randomUUID();
  const audits: AuditRow[] = [];
  const old = (row: { get(o: { plain: true }): unknown }) => row.get({ plain: true }) as Record<string, unknown>;
  const paid = w.items
    .filter((i) => i.status === 'pending' && !i.deletedAt)
    .flatMap((item) => {
      const a = updateAudit(old(item), { status: 'paid' }, actor.userId);
      if (!a) return [];
      audits.push({ k: audits.length, table_name: 'order_product_relations', record_id: item.id, action: 'update', ...a });
      return [{ id: item.id, by: 'updatedById' in a.after }];
    });
  const orderAudit = updateAudit(old(w.order), { stockHeldUntil: null }, actor.userId);
  if (orderAudit) audits.push({ k: audits.length, table_name: 'orders', record_id: w.order.id, action: 'update', ...orderAudit });

  const ctes = [
    `ph AS (
      INSERT INTO payment_histories (id, created_by_id, updated_by_id, order_id, imp_id, status, price, created_at, updated_at)
      VALUES (${p.add(phId, 'uuid')}, ${by}, ${by}, ${orderRef}, ${p.add(w.impId, 'text')}, 'completed', ${p.add(w.price, 'integer')}, ${ts}, ${ts}) RETURNING *)`,
    `paid AS (
      UPDATE order_product_relations x SET status = 'paid', updated_at = ${ts}, updated_by_id = CASE WHEN u.by THEN ${by} ELSE x.updated_by_id END
        FROM unnest(${p.add(paid.map((i) => i.id), 'uuid[]')}, ${p.add(paid.map((i) => i.by), 'boolean[]')}) AS u(id, by)
       WHERE x.id = u.id AND x.status = 'pending' AND x.deleted_at IS NULL RETURNING x.*)`,
  ];
  if (orderAudit) {
    ctes.push(`ord AS (
      UPDATE orders SET stock_held_until = NULL, updated_at = ${ts}${'updatedById' in orderAudit.after ? `, updated_by_id = ${by}` : ''}
       WHERE id = ${orderRef} RETURNING *)`);
  }
  ctes.push(`audit AS (
      INSERT INTO audit_logs (table_name, record_id, action, actor_user_id, actor_label, before, after, created_at)
      SELECT x.table_name, x.record_id, x.action, ${by}, ${p.add(actor.label, 'text')}, x.before, x.after, ${ts}
        FROM ${AUDIT_RECORDSET.replace('%s', p.add(JSON.stringify(audits), 'jsonb'))} ORDER BY x.k)`);
  if (w.event) ctes.push(`ev AS (${eventInsert(p, { ...w.event, paymentHistoryId: phId })})`);
  // through the pipeline: prepared once per connection (planning it cost as much as running it, under the locks)
  const write = `WITH ${ctes.join(',\n    ')}
     SELECT (SELECT count(*) FROM paid) AS paid`;
  if (opts.commit) {
    // The handlers' reads (the paid e-mail's: the order's view, its templates, …) go right behind the COMMIT in
    // the same message, not in the statement under the stock locks: they read the rows as committed, and the
    // locks are gone by then. Should they fail, the whole message reports the failure although the payment
    // may be committed: the webhook answers 500, PortOne sends it again, and the retry finds it recorded.
    const after = orderEventPreloads('paid', '$1::uuid', {});
    if (!after.columns) {
      await commitWith(sequelize, t, write, { bind: p.values });
      await emitCommittedOrderEvent('paid', w.order.id, sequelize);
      return phId;
    }
    const { after: [row] } = await commitThenRead<unknown, Record<string, unknown>>(sequelize, t, write, { bind: p.values }, `SELECT true AS read${after.columns}`, { bind: [w.order.id] });
    await emitCommittedOrderEvent('paid', w.order.id, sequelize, after.read(row ?? {}));
    return phId;
  }
  const preloads = orderEventPreloads('paid', orderRef, { orders: orderAudit ? 'ord' : undefined, items: 'paid', histories: 'ph' });
  const sql = `${write}${preloads.columns}`;
  const [row] = await send<Record<string, unknown>>(sequelize, t, sql, { bind: p.values });
  await emitOrderEvent('paid', w.order.id, t, preloads.read(row ?? {}));
  return phId;
}
