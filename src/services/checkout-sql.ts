/**
 * The hand-written statements of the two checkouts (buy-now and cart): the same rows, locks and audit rows
 * as the generic Sequelize path (create / update + the audit hooks of src/models/index.ts), in fewer round
 * trips — each statement costs ~0.3–0.5 ms of CPU on each side, and Sequelize's model building, saving and
 * hooks were the largest self time of a checkout profile.
 *
 * Each statement lives here once:
 *   - `lockCheckout`        the buyer's row, then the products' and their tags' rows (id order) — the lock
 *                           order of every stock-claiming path (`stockLockCtes`, shared with the webhook);
 *   - `lockCartCheckout`    the buyer's row, the cart's (with the cart's view), then the cart's items, option
 *                           answers, ticket holders and customer info, read under the cart's lock, with the
 *                           locks of their products and tags (three statements in one message);
 *   - `writeBuyNow`         releases the buyer's other holds and writes the item, its answers, the buy-now
 *                           cart (prepared and held), its customer info and their audit rows, and reads the
 *                           buy-now cart's view — one statement;
 *   - `writeCartCheckout`   releases the other holds, re-prices items, writes the customer info and the
 *                           prepared, held cart, with their audit rows, and returns the rows of the view it
 *                           wrote (laid over the view read with the cart's lock) — one statement.
 * The statements under the stock locks go out through src/db/pipeline.ts (several per message, the writes
 * with the COMMIT): in a rush the rate is 1 / how long the hot product's lock is held.
 *
 * Audit rows: a created row's `after` is built in SQL from the row as written (`auditJsonSql`, the content
 * the afterCreate hook writes); an update's `before` / `after` hold exactly the fields that change, plus
 * `updatedById` when the acting user differs from the row's last one — what the afterUpdate hook writes
 * (`updateAudit`). Rows are written in the order the generic path writes them.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { Order, OrderProductRelation, OrderProductOptionRelation, SingleProductCart, CustomerInfo, TicketInfo, auditJsonSql } from '../models/index.js';
import { currentActor } from '../context.js';
import { ServiceError } from './errors.js';
import { send, commitWith, positional } from '../db/pipeline.js';
import { hydrate, hydrateAll } from './json-rows.js';
import { singleProductCartViewFromRow, viewSql, type OrderDto, type ViewContext, type ViewRow, type ReturnedRows } from './order-view.js';
import { stockLockCtes, type FactsSource } from './orderability.js';
import { CART_ID_SQL, CART_LOCK_CTE } from './stock.js';
import type { CustomerInfo as CustomerInfoValue } from '../domain/cart/customer-info.js';
import type { TicketInfoValue } from '../domain/cart/ticket-info.js';

/** Positional parameters with their SQL types (`$n::type`). */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    return `$${this.values.push(value)}::${type}`;
  }
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Same value as far as an update is concerned (dates by instant, JSON by content). */
function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : false;
  if (a && b && typeof a === 'object' && typeof b === 'object') return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
  return a === b;
}

export interface UpdateAudit {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/**
 * What `row.update(changes)` would change and what its audit row holds: the fields whose value differs, plus
 * `updatedById` (the beforeUpdate hook sets it to the actor) when it differs; null when nothing changes (then
 * Sequelize writes neither the row nor an audit row).
 */
export function updateAudit(old: Record<string, unknown>, changes: Record<string, unknown>, actorUserId: number | null): UpdateAudit | null {
  const fields = Object.keys(changes).filter((k) => !same(old[k], changes[k]));
  if (fields.length === 0) return null;
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const f of fields) {
    before[f] = old[f] ?? null;
    after[f] = changes[f] ?? null;
  }
  if ((old.updatedById ?? null) !== actorUserId) {
    before.updatedById = old.updatedById ?? null;
    after.updatedById = actorUserId;
  }
  return { before, after };
}

/** An audit row computed here (an update), as JSON for `jsonb_to_recordset`. */
export interface AuditRow {
  k: number;
  table_name: string;
  record_id: string;
  action: 'update';
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export const AUDIT_RECORDSET = `jsonb_to_recordset(%s) AS x(k int, table_name text, record_id text, action text, before jsonb, after jsonb)`;

// ---------------------------------------------------------------------------------------------------------

/**
 * Lock the buyer's row, then the rows of these products and of their tags (id order), in one statement.
 * False when the buyer's row is gone (nothing else is locked then). The statement is handed to the
 * connection at the call (src/db/pipeline.ts): statements sent right after it run once it has its locks.
 */
export function lockCheckout(sequelize: Sequelize, userId: number, productIds: string[], t: Transaction): Promise<boolean> {
  return send<{ buyer: number }>(
    sequelize,
    t,
    `WITH u AS MATERIALIZED (SELECT id FROM users WHERE id = $1 FOR UPDATE),
          ${stockLockCtes('$2::uuid[]', 'EXISTS (SELECT 1 FROM u)')}
     SELECT (SELECT count(*) FROM u) AS buyer, (SELECT count(*) FROM locked_products) AS products, (SELECT count(*) FROM locked_tags) AS tags`,
    { bind: [userId, productIds] },
  ).then(([row]) => Number(row?.buyer) > 0);
}

/**
 * The buyer's live buy-now cart made by the same request (`fingerprint`) and still held at `now` — a
 * double-clicked "buy" — as `SingleProductCart.findOne` would find it; sent at the call (after the buyer's
 * lock statement: src/db/pipeline.ts).
 */
export function sendSameBuyNow(
  sequelize: Sequelize,
  t: Transaction,
  userId: number,
  fingerprint: string,
  now: Date,
): Promise<{ id: string; preparedCartHash: string | null; preparedCartSnapshot: unknown } | null> {
  return send<{ id: string; prepared_cart_hash: string | null; prepared_cart_snapshot: unknown }>(
    sequelize,
    t,
    `SELECT id, prepared_cart_hash, prepared_cart_snapshot FROM single_product_carts
      WHERE user_id = $1 AND request_fingerprint = $2 AND stock_held_until > $3 AND deleted_at IS NULL LIMIT 1`,
    { bind: [userId, fingerprint, now.toISOString()] },
  ).then(([r]) => (r ? { id: r.id, preparedCartHash: r.prepared_cart_hash, preparedCartSnapshot: r.prepared_cart_snapshot } : null));
}

export interface LockedCart {
  cart: Order;
  /** the cart's view (`viewSql`) as read right after its lock, before the stock locks */
  view: ViewRow;
  items: OrderProductRelation[];
  options: OrderProductOptionRelation[];
  info: CustomerInfo | null;
  /** the items that have a (live) ticket holder */
  holders: Set<string>;
}

/**
 * Cart checkout's locks and reads, handed to the connection at the call as three statements in one message
 * (src/db/pipeline.ts; `beforeStockLocks` may put more between the second and the third), each run after the
 * one before it has its locks, so each sees what the previous holder of those locks committed:
 *   1. the buyer's row (FOR UPDATE) — false when it is gone;
 *   2. the buyer's cart (as `findCart(userId, t, true)`: locked FOR UPDATE), or null;
 *   3. that cart's live items (created_at, id), their live option answers, its customer info and the items'
 *      ticket holders — read after the cart's lock, so no other writer of the cart is half-way — and the locks
 *      of the items' products and their tags (id order, after the cart's: user → order → products → tags).
 * Statement 3 finds the cart again by the same rule (re-locking a row this transaction holds is free) and
 * names the one it read: the buyer's lock keeps every other checkout and cart change of this buyer out, so
 * it is the cart of statement 2 — unless a webhook holding the cart's lock recorded its payment while
 * statement 2 waited (statement 2's snapshot is older than its lock): then the checkout answers 409.
 */
export function lockCartCheckout(
  sequelize: Sequelize,
  userId: number,
  t: Transaction,
  /** hands over the statements that go between the cart's lock and the stock locks (the catalogue rows) */
  beforeStockLocks: () => void = () => undefined,
): Promise<{ buyer: boolean; cart: LockedCart | null }> {
  const buyer = send<{ id: number }>(sequelize, t, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, { bind: [userId] });
  // with the cart's view (read behind the buyer's lock, which every change of the cart's items takes): the
  // checkout's answer is that view with the rows its write statement returns laid over it (`overlayWritten`),
  // so the statement under the stock locks only writes
  const cartLock = positional(`WITH ${CART_LOCK_CTE}, ${viewSql('ARRAY(SELECT id FROM cart)', {}, {}, ', (SELECT row_to_json(cart) FROM cart) AS cart')}`, { userId });
  const cart = send<ViewRow & { cart: Record<string, unknown> | null }>(sequelize, t, cartLock.sql, { bind: cartLock.bind });
  beforeStockLocks();
  const itemsLock = positional(
    `WITH ${CART_LOCK_CTE},
          i AS MATERIALIZED (SELECT * FROM order_product_relations WHERE order_id = (SELECT id FROM cart) AND deleted_at IS NULL),
          ${stockLockCtes('ARRAY(SELECT DISTINCT product_id FROM i)', 'true')}
     SELECT (SELECT id FROM cart) AS cart_id, (SELECT count(*) FROM locked_products) AS products, (SELECT count(*) FROM locked_tags) AS tags,
            (SELECT json_agg(i ORDER BY i.created_at, i.id) FROM i) AS items,
            (SELECT json_agg(x ORDER BY x.created_at, x.id) FROM order_product_option_relations x
              WHERE x.order_product_relation_id IN (SELECT id FROM i) AND x.deleted_at IS NULL) AS options,
            (SELECT row_to_json(c) FROM customer_infos c WHERE c.order_id = (SELECT id FROM cart) AND c.deleted_at IS NULL LIMIT 1) AS info,
            (SELECT json_agg(ti.order_product_relation_id) FROM ticket_infos ti
              WHERE ti.order_product_relation_id IN (SELECT id FROM i) AND ti.deleted_at IS NULL) AS holders`,
    { userId },
  );
  type ItemsRow = { cart_id: string | null; items: unknown[] | null; options: unknown[] | null; info: Record<string, unknown> | null; holders: string[] | null };
  const items = send<ItemsRow>(sequelize, t, itemsLock.sql, { bind: itemsLock.bind });
  return Promise.all([buyer, cart, items]).then(([[u], [c], [row]]) => {
    if (!u) return { buyer: false, cart: null };
    if (!c?.cart) return { buyer: true, cart: null };
    const order = hydrate(Order, c.cart);
    const { cart: _row, ...view } = c;
    // Statement 2 found the cart in a snapshot taken before it waited for the cart's lock; a webhook that held
    // that lock recorded the cart's payment meanwhile, so statement 3 (after the wait) no longer finds it as
    // the buyer's cart. Not a fault of ours: the cart just stopped being one — a conflict, nothing written.
    if (row?.cart_id !== order.id) {
      throw ServiceError.client(409, 'cart_changed', '장바구니가 방금 결제되었거나 바뀌었습니다. 주문 내역과 장바구니를 확인한 뒤 다시 시도해주세요.');
    }
    return {
      buyer: true,
      cart: {
        cart: order,
        view,
        items: hydrateAll(OrderProductRelation, row.items as never),
        options: hydrateAll(OrderProductOptionRelation, row.options as never),
        info: row.info ? hydrate(CustomerInfo, row.info) : null,
        holders: new Set(row.holders ?? []),
      },
    };
  });
}

/**
 * Where cart checkout's catalogue rows and counts take their ids from, sent in the same message as
 * `lockCartCheckout` right behind it (src/services/orderability.ts `sendOrderabilityFacts`): the buyer's cart
 * by the same rule as the cart lock, its live items' products and their live answers' option groups, and the
 * cart itself as the holder left out — what the checkout reads from the locked items, read by statements that
 * run after those locks.
 */
export function cartFactsSource(userId: number): FactsSource {
  // the cart looked up once per statement (it was three times in the counts, five in the rows)
  const cart = '(SELECT id FROM checkout_cart)';
  return {
    ctes: `checkout_cart AS MATERIALIZED (SELECT ${CART_ID_SQL} AS id)`,
    products: `ARRAY(SELECT DISTINCT i.product_id FROM order_product_relations i WHERE i.order_id = ${cart} AND i.deleted_at IS NULL)`,
    groups: `ARRAY(SELECT DISTINCT x.product_option_group_id FROM order_product_option_relations x
                    JOIN order_product_relations i ON i.id = x.order_product_relation_id
                   WHERE i.order_id = ${cart} AND i.deleted_at IS NULL AND x.deleted_at IS NULL AND x.product_option_group_id IS NOT NULL)`,
    exclude: cart,
    replacements: { userId },
  };
}

// ---------------------------------------------------------------------------------------------------------

export interface NewItem {
  id: string;
  productId: string;
  price: number;
  donationPrice: number;
  options: Array<{ id: string; productOptionGroupId: string; productOptionId: string | null; customResponse: string | null }>;
}

/** The INSERTs of an item (order id: SQL) and its option answers (1 ms apart: they keep their order), as CTEs `item`, `item_options`. */
function itemCtes(p: Params, item: NewItem, orderId: string, actorId: string, at: number): string {
  const ts = p.add(iso(at), 'timestamptz');
  return `item AS (
      INSERT INTO order_product_relations (id, order_id, product_id, status, price, donation_price, created_by_id, updated_by_id, created_at, updated_at)
      VALUES (${p.add(item.id, 'uuid')}, ${orderId}, ${p.add(item.productId, 'uuid')}, 'pending', ${p.add(item.price, 'integer')},
              ${p.add(item.donationPrice, 'integer')}, ${actorId}, ${actorId}, ${ts}, ${ts}) RETURNING *),
    item_options AS (
      INSERT INTO order_product_option_relations
             (id, order_product_relation_id, product_option_group_id, product_option_id, custom_response, created_by_id, updated_by_id, created_at, updated_at)
      SELECT x.id, item.id, x.g, x.o, x.r, ${actorId}, ${actorId}, x.at, x.at
        FROM item, unnest(${p.add(item.options.map((o) => o.id), 'uuid[]')}, ${p.add(item.options.map((o) => o.productOptionGroupId), 'uuid[]')},
                          ${p.add(item.options.map((o) => o.productOptionId), 'uuid[]')}, ${p.add(item.options.map((o) => o.customResponse), 'text[]')},
                          ${p.add(item.options.map((_, i) => iso(at + 1 + i)), 'timestamptz[]')}) AS x(id, g, o, r, at)
      RETURNING *)`;
}

/** Release every live checkout hold of the buyer but `keep`'s (a buyer has one live hold at a time), as CTEs. */
function releaseHoldsCtes(p: Params, userId: number, keep: string | null): string {
  const user = p.add(userId, 'integer');
  const kept = p.add(keep ?? '00000000-0000-0000-0000-000000000000', 'uuid');
  return `released_orders AS (
      UPDATE orders SET stock_held_until = NULL WHERE user_id = ${user} AND stock_held_until IS NOT NULL AND id <> ${kept} RETURNING id),
    released_spcs AS (
      UPDATE single_product_carts SET stock_held_until = NULL WHERE user_id = ${user} AND stock_held_until IS NOT NULL AND id <> ${kept} RETURNING id)`;
}

/** The INSERT of an item's ticket holder (one row per ticket item: `item` is the item's CTE). */
function ticketInfoInsert(p: Params, ti: TicketInfoValue, actorId: string, ts: string): string {
  return `INSERT INTO ticket_infos (id, order_product_relation_id, name, phone, email, organization, contribution_message, created_by_id, updated_by_id, created_at, updated_at)
      SELECT ${p.add(randomUUID(), 'uuid')}, item.id, ${p.add(ti.name, 'text')}, ${p.add(ti.phone, 'text')}, ${p.add(ti.email, 'text')},
             ${p.add(ti.organization, 'text')}, ${p.add(ti.contributionMessage, 'text')}, ${actorId}, ${actorId}, ${ts}, ${ts}
        FROM item RETURNING *`;
}

const auditSelect = (k: string, table: string, alias: string, after: string) =>
  `SELECT ${k} AS k, '${table}'::text AS table_name, ${alias}.id::text AS record_id, 'create'::text AS action, NULL::jsonb AS before, ${after} AS after`;

export interface BuyNowWrite {
  userId: number;
  spcId: string;
  item: NewItem;
  /** the ticket's holder (a ticket product), written with the item */
  ticketInfo: TicketInfoValue | null;
  fingerprint: string;
  info: CustomerInfoValue;
  snapshot: unknown;
  hash: string;
  heldUntil: Date;
}

/**
 * Buy now's writes and its answer in ONE statement: the buyer's other holds released, the item and its
 * option answers, the buy-now cart, its customer info, the cart's preparation (snapshot, hash, hold) and the
 * audit rows of `createItem` + `SingleProductCart.create` + `CustomerInfo.create` + `spc.update(preparation)`,
 * in that order; then the buy-now cart's view.
 */
export async function writeBuyNow(
  sequelize: Sequelize,
  w: BuyNowWrite,
  ctx: ViewContext & { transaction: Transaction },
  /** send the COMMIT right behind the statement (src/db/pipeline.ts): the transaction ends with it */
  commit = false,
): Promise<OrderDto> {
  const actor = currentActor();
  const at = Date.now();
  const p = new Params();
  const actorId = p.add(actor.userId, 'integer');
  const ts = p.add(iso(at), 'timestamptz');
  const spcRef = p.add(w.spcId, 'uuid');
  const infoId = randomUUID();
  const preparation = { preparedCartSnapshot: w.snapshot, preparedCartHash: w.hash, stockHeldUntil: w.heldUntil };
  const created = { preparedCartSnapshot: null, preparedCartHash: null, stockHeldUntil: null };
  const prepared = updateAudit({ ...created, updatedById: actor.userId }, preparation, actor.userId)!;
  const afterCreate = (alias: string) =>
    `(${auditJsonSql(SingleProductCart, alias)} || jsonb_build_object('preparedCartSnapshot', NULL, 'preparedCartHash', NULL, 'stockHeldUntil', NULL))`;
  const sql = `WITH
    ${releaseHoldsCtes(p, w.userId, null)},
    ${itemCtes(p, w.item, 'NULL', actorId, at)},
    ${w.ticketInfo ? `item_ticket AS (${ticketInfoInsert(p, w.ticketInfo, actorId, ts)}),` : ''}
    spc AS (
      INSERT INTO single_product_carts (id, user_id, order_product_relation_id, request_fingerprint, prepared_cart_snapshot, prepared_cart_hash,
                                        stock_held_until, created_by_id, updated_by_id, created_at, updated_at)
      SELECT ${spcRef}, ${p.add(w.userId, 'integer')}, item.id, ${p.add(w.fingerprint, 'text')}, ${p.add(JSON.stringify(w.snapshot), 'jsonb')},
             ${p.add(w.hash, 'text')}, ${p.add(w.heldUntil.toISOString(), 'timestamptz')}, ${actorId}, ${actorId}, ${ts}, ${ts}
        FROM item RETURNING *),
    info AS (
      INSERT INTO customer_infos (id, order_id, single_product_cart_id, name, phone, email, organization, created_by_id, updated_by_id, created_at, updated_at)
      SELECT ${p.add(infoId, 'uuid')}, NULL, spc.id, ${p.add(w.info.name, 'text')}, ${p.add(w.info.phone, 'text')}, ${p.add(w.info.email, 'text')},
             ${p.add(w.info.organization, 'text')}, ${actorId}, ${actorId}, ${ts}, ${ts}
        FROM spc RETURNING *),
    audit AS (
      INSERT INTO audit_logs (table_name, record_id, action, actor_user_id, actor_label, before, after, created_at)
      SELECT a.table_name, a.record_id, a.action, ${actorId}, ${p.add(actor.label, 'text')}, a.before, a.after, ${ts}
        FROM (${auditSelect('1', 'order_product_relations', 'it', auditJsonSql(OrderProductRelation, 'it'))} FROM item it
              UNION ALL
              SELECT 1 + n.ord, w.table_name, w.record_id, w.action, w.before, w.after FROM (${auditSelect('0', 'order_product_option_relations', 'io', auditJsonSql(OrderProductOptionRelation, 'io'))}
                                          FROM item_options io) w
                JOIN unnest(${p.add(w.item.options.map((o) => o.id), 'uuid[]')}) WITH ORDINALITY AS n(id, ord) ON n.id::text = w.record_id
              ${w.ticketInfo ? `UNION ALL ${auditSelect('99999', 'ticket_infos', 'tk', auditJsonSql(TicketInfo, 'tk'))} FROM item_ticket tk` : ''}
              UNION ALL
              ${auditSelect('100000', 'single_product_carts', 's', afterCreate('s'))} FROM spc s
              UNION ALL
              ${auditSelect('100001', 'customer_infos', 'ci', auditJsonSql(CustomerInfo, 'ci'))} FROM info ci
              UNION ALL
              SELECT 100002, 'single_product_carts', s.id::text, 'update', ${p.add(JSON.stringify(prepared.before), 'jsonb')},
                     ${p.add(JSON.stringify(prepared.after), 'jsonb')} FROM spc s) a
       ORDER BY a.k),
    ${viewSql('ARRAY[]::uuid[]', { items: 'item', options: 'item_options', ticketInfos: w.ticketInfo ? 'item_ticket' : undefined })}`;
  const [row] = commit
    ? await commitWith<ViewRow>(sequelize, ctx.transaction, sql, { bind: p.values })
    : await sequelize.query<ViewRow>(sql, { bind: p.values, type: QueryTypes.SELECT, transaction: ctx.transaction });
  const spc = SingleProductCart.build({ id: w.spcId, userId: w.userId, orderProductRelationId: w.item.id, ...preparation, createdAt: new Date(at) }, { isNewRecord: false, raw: true });
  const info = CustomerInfo.build({ id: infoId, singleProductCartId: w.spcId, ...w.info }, { isNewRecord: false, raw: true });
  return singleProductCartViewFromRow(spc, info, row, ctx);
}

export interface CartCheckoutWrite {
  userId: number;
  cart: Order;
  /** items whose price changed (the server's current price) */
  repriced: Array<{ item: OrderProductRelation; price: number }>;
  info: CustomerInfoValue;
  existingInfo: CustomerInfo | null;
  name: { ko: string; en: string };
  snapshot: unknown;
  hash: string;
  heldUntil: Date;
}

/**
 * Cart checkout's writes in ONE statement: the buyer's other holds released, re-priced items, the customer
 * info (updated, or created), the cart's name and preparation (snapshot, hash, hold), and the audit rows the
 * generic path writes for them, in its order (each re-priced item, the info, the cart); it returns the rows
 * it wrote that the cart's view shows (the cart, the re-priced items, the customer info), which the caller
 * lays over the view read with the cart's lock (`overlayWritten`): the checkout's answer without a statement
 * of its own, and no view to read while the stock locks are held.
 */
export async function writeCartCheckout(
  sequelize: Sequelize,
  w: CartCheckoutWrite,
  t: Transaction,
  /** send the COMMIT right behind the statement (src/db/pipeline.ts): the transaction ends with it */
  commit = false,
): Promise<ReturnedRows> {
  const actor = currentActor();
  const at = Date.now();
  const p = new Params();
  const actorId = p.add(actor.userId, 'integer');
  const ts = p.add(iso(at), 'timestamptz');
  const audits: AuditRow[] = [];
  const old = (row: { get(o: { plain: true }): unknown }) => row.get({ plain: true }) as Record<string, unknown>;

  const repriced = w.repriced.flatMap(({ item, price }) => {
    const a = updateAudit(old(item), { price }, actor.userId);
    if (!a) return [];
    audits.push({ k: audits.length, table_name: 'order_product_relations', record_id: item.id, action: 'update', ...a });
    return [{ id: item.id, price, updatedById: a.after.updatedById !== undefined }];
  });
  const infoAudit = w.existingInfo ? updateAudit(old(w.existingInfo), { ...w.info }, actor.userId) : null;
  if (w.existingInfo && infoAudit) audits.push({ k: audits.length, table_name: 'customer_infos', record_id: w.existingInfo.id, action: 'update', ...infoAudit });
  const infoCreateK = audits.length; // a new customer info's audit row comes here (built in SQL)
  const cartChanges = { nameKo: w.name.ko, nameEn: w.name.en, preparedCartSnapshot: w.snapshot, preparedCartHash: w.hash, stockHeldUntil: w.heldUntil };
  const cartAudit = updateAudit(old(w.cart), cartChanges, actor.userId);
  if (cartAudit) audits.push({ k: audits.length + 1, table_name: 'orders', record_id: w.cart.id, action: 'update', ...cartAudit });

  // a field the audit names is written; `updated_by_id` only when it changes, `updated_at` whenever the row is
  const set = (changes: Record<string, unknown>, columns: Record<string, [string, string]>, a: UpdateAudit | null) =>
    Object.entries(columns)
      .filter(([field]) => a && field in a.after)
      .map(([field, [column, type]]) => `${column} = ${p.add(type === 'jsonb' ? JSON.stringify(changes[field]) : changes[field] instanceof Date ? (changes[field] as Date).toISOString() : changes[field], type)}`)
      .concat(a ? [`updated_at = ${ts}`] : [])
      .concat(a && 'updatedById' in a.after ? [`updated_by_id = ${actorId}`] : [])
      .join(', ');
  const infoColumns: Record<string, [string, string]> = { name: ['name', 'text'], phone: ['phone', 'text'], email: ['email', 'text'], organization: ['organization', 'text'] };
  const cartColumns: Record<string, [string, string]> = {
    nameKo: ['name_ko', 'text'],
    nameEn: ['name_en', 'text'],
    preparedCartSnapshot: ['prepared_cart_snapshot', 'jsonb'],
    preparedCartHash: ['prepared_cart_hash', 'text'],
    stockHeldUntil: ['stock_held_until', 'timestamptz'],
  };
  const ctes = [releaseHoldsCtes(p, w.userId, w.cart.id)];
  if (repriced.length) {
    ctes.push(`repriced AS (
      UPDATE order_product_relations o
         SET price = x.price, updated_at = ${ts}, updated_by_id = CASE WHEN x.by THEN ${actorId} ELSE o.updated_by_id END
        FROM unnest(${p.add(repriced.map((r) => r.id), 'uuid[]')}, ${p.add(repriced.map((r) => r.price), 'integer[]')},
                    ${p.add(repriced.map((r) => r.updatedById), 'boolean[]')}) AS x(id, price, by)
       WHERE o.id = x.id RETURNING o.*)`);
  }
  let infoCreated = false;
  if (w.existingInfo) {
    if (infoAudit) ctes.push(`info AS (UPDATE customer_infos SET ${set(w.info as unknown as Record<string, unknown>, infoColumns, infoAudit)} WHERE id = ${p.add(w.existingInfo.id, 'uuid')} RETURNING *)`);
  } else {
    infoCreated = true;
    ctes.push(`info AS (
      INSERT INTO customer_infos (id, order_id, single_product_cart_id, name, phone, email, organization, created_by_id, updated_by_id, created_at, updated_at)
      VALUES (${p.add(randomUUID(), 'uuid')}, ${p.add(w.cart.id, 'uuid')}, NULL, ${p.add(w.info.name, 'text')}, ${p.add(w.info.phone, 'text')},
              ${p.add(w.info.email, 'text')}, ${p.add(w.info.organization, 'text')}, ${actorId}, ${actorId}, ${ts}, ${ts}) RETURNING *)`);
  }
  if (cartAudit) ctes.push(`cart AS (UPDATE orders SET ${set(cartChanges, cartColumns, cartAudit)} WHERE id = ${p.add(w.cart.id, 'uuid')} RETURNING *)`);
  const auditSources = [`SELECT x.k, x.table_name, x.record_id, x.action, x.before, x.after FROM ${AUDIT_RECORDSET.replace('%s', p.add(JSON.stringify(audits), 'jsonb'))}`];
  if (infoCreated) auditSources.push(auditSelect(String(infoCreateK), 'customer_infos', 'ci', auditJsonSql(CustomerInfo, 'ci')) + ' FROM info ci');
  ctes.push(`audit AS (
      INSERT INTO audit_logs (table_name, record_id, action, actor_user_id, actor_label, before, after, created_at)
      SELECT a.table_name, a.record_id, a.action, ${actorId}, ${p.add(actor.label, 'text')}, a.before, a.after, ${ts}
        FROM (${auditSources.join(' UNION ALL ')}) a ORDER BY a.k)`);
  // and the rows it wrote that the cart's view shows, for `overlayWritten` over the view read before the locks
  const hasInfo = infoCreated || !!(w.existingInfo && infoAudit);
  const sql = `WITH ${ctes.join(',\n    ')}
    SELECT ${cartAudit ? '(SELECT json_agg(c) FROM cart c)' : 'NULL::json'} AS orders,
           ${repriced.length ? '(SELECT json_agg(r) FROM repriced r)' : 'NULL::json'} AS items,
           ${hasInfo ? '(SELECT json_agg(i) FROM info i)' : 'NULL::json'} AS infos`;
  type J = Array<Record<string, unknown>> | null;
  const [row] = commit
    ? await commitWith<{ orders: J; items: J; infos: J }>(sequelize, t, sql, { bind: p.values })
    : await send<{ orders: J; items: J; infos: J }>(sequelize, t, sql, { bind: p.values });
  return { orders: row?.orders ?? undefined, items: row?.items ?? undefined, infos: row?.infos ?? undefined };
}
