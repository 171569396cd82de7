/**
 * What a signed-in buyer does before paying: add to / remove from the cart, buy now (a single-product
 * cart), and check out the cart. Every checkout re-validates everything on locked rows, claims the units
 * with a time-limited hold (README: "Stock is claimed at checkout"), takes the payment snapshot
 * (merchant_uid) and, after commit, registers the amount with PortOne.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Op, QueryTypes, literal, type Sequelize, type Transaction } from 'sequelize';
import {
  User,
  Order,
  OrderProductRelation,
  OrderProductOptionRelation,
  SingleProductCart,
  TicketInfo,
  auditJsonSql,
} from '../models/index.js';
import { currentActor } from '../context.js';
import {
  checkOrderability,
  checkCartOrderable,
  sortForCartCheck,
  prefixErrors,
  type ItemRequest,
  type OrderabilityMode,
} from '../domain/cart/orderability.js';
import { validateCustomerInfo, type CustomerInfo as CustomerInfoValue } from '../domain/cart/customer-info.js';
import { cartTicketInfoErrors, type TicketInfoValue } from '../domain/cart/ticket-info.js';
import { orderName } from '../domain/cart/order-name.js';
import { preparePayment, canonicalJson, pythonIsoformat } from '../domain/checkout/snapshot.js';
import { snapshotItemsOf } from './snapshot-items.js';
import { Messages, fieldError, type FieldError } from '../domain/messages.js';
import type { Lang } from '../domain/i18n.js';
import type { PortOneClient } from '../portone/client.js';
import { loadOrderabilityFacts, sendRowsBeforeLock, asUuid, type LoadedFacts } from './orderability.js';
import { lockCheckout, lockCartCheckout, cartFactsSource, sendSameBuyNow, writeBuyNow, writeCartCheckout } from './checkout-sql.js';
import { inTransaction, commitWith } from '../db/pipeline.js';
import { orderView, orderViewsFromRow, overlayWritten, singleProductCartView, viewSql, type OrderDto, type ViewContext, type ViewRow } from './order-view.js';
import { logger } from '../logger.js';
import { ServiceError as ShopError } from './errors.js';
import { completeFreeOrder } from './free-checkout.js';

export { ShopError };

export interface ShopDeps {
  sequelize: Sequelize;
  portone: PortOneClient;
  secretKey: string;
  checkoutHoldMs: number;
  backendDomain: string;
  scancodeSalts: readonly string[];
}

export interface CallContext {
  userId: number;
  lang: Lang;
  now: Date;
}

const viewCtx = (deps: ShopDeps, c: CallContext, transaction?: Transaction): ViewContext => ({
  lang: c.lang,
  now: c.now,
  backendDomain: deps.backendDomain,
  scancodeSalts: deps.scancodeSalts,
  transaction,
});

const NO_HISTORY = literal(
  `NOT EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = "Order"."id" AND ph.deleted_at IS NULL)`,
);

/** The buyer's cart: their newest live order without any payment history. */
export async function findCart(userId: number, t?: Transaction, lock = false): Promise<Order | null> {
  return Order.findOne({
    where: { userId, [Op.and]: [NO_HISTORY] },
    order: [['createdAt', 'DESC']],
    transaction: t,
    lock: lock && t ? t.LOCK.UPDATE : undefined,
  });
}

/** Serialize one buyer's cart and checkout calls (double clicks, two tabs): lock their user row. */
async function lockBuyer(userId: number, t: Transaction): Promise<void> {
  const u = await User.findByPk(userId, { transaction: t, lock: t.LOCK.UPDATE, attributes: ['id'] });
  if (!u) throw ShopError.validation([fieldError(Messages.SignIn.USER_NOT_SIGNED_IN, 'product')]);
}

/** Any change to a prepared cart voids its payment preparation and its hold (spec §4.2). */
async function clearPreparation(holder: Order | SingleProductCart, t: Transaction): Promise<void> {
  if (holder.preparedCartHash || holder.preparedCartSnapshot || holder.stockHeldUntil) {
    await holder.update({ preparedCartSnapshot: null, preparedCartHash: null, stockHeldUntil: null }, { transaction: t });
  }
}

function asItemRequest(body: unknown): ItemRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ShopError.validation([{ code: 'invalid', detail: '잘못된 요청 형식입니다. JSON 객체가 필요합니다.', attr: 'non_field_errors' }]);
  }
  return body as ItemRequest;
}

/** Cross-item tag quota at checkout: the units claimed together must fit what the tag has left. */
function tagQuotaErrors(facts: LoadedFacts, productIds: string[]): FieldError[] {
  const claimed = new Map<string, number>();
  for (const pid of productIds) for (const tag of facts.products.get(pid)?.tags ?? []) claimed.set(tag.id, (claimed.get(tag.id) ?? 0) + 1);
  const errors: FieldError[] = [];
  for (const [tagId, n] of claimed) {
    const info = facts.tags.get(tagId)!;
    if (info.stock !== 0 && n > info.stock - info.sold) errors.push(fieldError(Messages.Tag.SOLDOUT, 'non_field_errors', info.name));
  }
  return errors;
}

async function registerWithPortOne(deps: ShopDeps, merchantUid: string, amount: number): Promise<void> {
  try {
    await deps.portone.registerOrUpdatePrepared(merchantUid, amount);
  } catch (e) {
    logger.error('PortOne prepare failed', { merchantUid, error: e instanceof Error ? e.message : String(e) });
    // The checkout is committed and held: calling it again (the client's retry) prepares again.
    throw ShopError.server(502, 'portone_error', '결제 준비에 실패했습니다. 잠시 후 다시 시도해주세요.');
  }
}

// ---------------------------------------------------------------------------------------------------------

export async function getCart(deps: ShopDeps, c: CallContext): Promise<OrderDto | null> {
  const cart = await findCart(c.userId);
  return cart ? orderView(cart.id, viewCtx(deps, c)) : null;
}

export async function addToCart(deps: ShopDeps, c: CallContext, body: unknown): Promise<OrderDto> {
  const request = asItemRequest(body);
  // the BEGIN goes with the first statement and the COMMIT with the write (src/db/pipeline.ts): two round
  // trips fewer
  return inTransaction(deps.sequelize, async (t) => {
    // the buyer's row lock (as lockBuyer) is taken by the statement that reads the catalogue rows; the cart's
    // (as findCart(…, lock)) by the next one, which reads the counts under the buyer's lock
    const facts = await loadOrderabilityFacts(deps.sequelize, c.userId, [request], {
      transaction: t,
      lang: c.lang,
      now: c.now,
      lockBuyer: c.userId,
      lockCart: true,
    });
    if (!facts.buyerLocked) throw ShopError.validation([fieldError(Messages.SignIn.USER_NOT_SIGNED_IN, 'product')]);
    const result = checkOrderability({ mode: 'ADD', request, facts: facts.factsFor(request), taken: facts.taken, now: c.now });
    if (!result.ok) throw ShopError.validation(result.errors);
    const cart = facts.cart ?? null;
    if (cart) await clearPreparation(cart, t);
    return writeItemAndView(deps, c, cart, facts.factsFor(request).product!.id, result.price, result.donationPrice, result.options, result.ticketInfo, t);
  });
}

/**
 * Cart add's writes and its answer in ONE statement: the cart when the buyer has none, the item, its
 * option answers, their audit rows — the same rows, values and audit content (`auditJsonSql`) as
 * `Order.create` + `createItem` with the model hooks, in the same order — and the cart view of `orderView`.
 */
async function writeItemAndView(
  deps: ShopDeps,
  c: CallContext,
  cart: Order | null,
  productId: string,
  price: number,
  donationPrice: number,
  options: Array<{ product_option_group: string; product_option: string | null; custom_response: string | null }>,
  ticketInfo: TicketInfoValue | null,
  t: Transaction,
): Promise<OrderDto> {
  const actor = currentActor();
  const at = Date.now();
  // the timestamps Sequelize would give (JS clock, ms); option answers 1 ms apart keep their request order
  const iso = (ms: number) => new Date(ms).toISOString();
  const cartId = cart?.id ?? randomUUID();
  const itemId = randomUUID();
  const optionIds = options.map(() => randomUUID());
  const bind: unknown[] = [];
  const $ = (value: unknown, type: string) => `$${bind.push(value)}::${type}`;
  const ids = $([cartId], 'uuid[]');
  const cartRef = $(cartId, 'uuid');
  const actorId = $(actor.userId, 'integer');
  const ts = $(iso(at), 'timestamptz');
  const answerIds = $(optionIds, 'uuid[]');
  const audit = (table: string, alias: string, model: Parameters<typeof auditJsonSql>[0]) =>
    `SELECT '${table}'::text AS table_name, ${alias}.id::text AS record_id, ${auditJsonSql(model, alias)} AS after`;
  const sql = `WITH
    ${cart ? '' : `new_cart AS (
      INSERT INTO orders (id, user_id, name_ko, name_en, created_by_id, updated_by_id, created_at, updated_at)
      VALUES (${cartRef}, ${$(c.userId, 'integer')}, '', '', ${actorId}, ${actorId}, ${ts}, ${ts}) RETURNING *),`}
    item AS (
      INSERT INTO order_product_relations (id, order_id, product_id, status, price, donation_price, created_by_id, updated_by_id, created_at, updated_at)
      VALUES (${$(itemId, 'uuid')}, ${cartRef}, ${$(productId, 'uuid')}, 'pending', ${$(price, 'integer')}, ${$(donationPrice, 'integer')},
              ${actorId}, ${actorId}, ${ts}, ${ts}) RETURNING *),
    item_options AS (
      INSERT INTO order_product_option_relations
             (id, order_product_relation_id, product_option_group_id, product_option_id, custom_response, created_by_id, updated_by_id, created_at, updated_at)
      SELECT x.id, item.id, x.g, x.o, x.r, ${actorId}, ${actorId}, x.at, x.at
        FROM item, unnest(${answerIds}, ${$(options.map((o) => o.product_option_group), 'uuid[]')}, ${$(options.map((o) => o.product_option), 'uuid[]')},
                          ${$(options.map((o) => o.custom_response), 'text[]')}, ${$(options.map((_, i) => iso(at + i)), 'timestamptz[]')}) AS x(id, g, o, r, at)
      RETURNING *),
    ${ticketInfo ? `item_ticket AS (
      INSERT INTO ticket_infos (id, order_product_relation_id, name, phone, email, organization, contribution_message, created_by_id, updated_by_id, created_at, updated_at)
      SELECT ${$(randomUUID(), 'uuid')}, item.id, ${$(ticketInfo.name, 'text')}, ${$(ticketInfo.phone, 'text')}, ${$(ticketInfo.email, 'text')},
             ${$(ticketInfo.organization, 'text')}, ${$(ticketInfo.contributionMessage, 'text')}, ${actorId}, ${actorId}, ${ts}, ${ts}
        FROM item RETURNING *),` : ''}
    audit AS (
      INSERT INTO audit_logs (table_name, record_id, action, actor_user_id, actor_label, before, after, created_at)
      SELECT a.table_name, a.record_id, 'create', ${actorId}, ${$(actor.label, 'text')}, NULL, a.after, ${ts}
        FROM (${cart ? '' : `SELECT 0 AS k, w.* FROM (${audit('orders', 'n', Order)} FROM new_cart n) w UNION ALL `}
              SELECT 1 AS k, w.* FROM (${audit('order_product_relations', 'it', OrderProductRelation)} FROM item it) w
              UNION ALL
              SELECT 1 + n.ord AS k, w.* FROM (${audit('order_product_option_relations', 'io', OrderProductOptionRelation)} FROM item_options io) w
                JOIN unnest(${answerIds}) WITH ORDINALITY AS n(id, ord) ON n.id::text = w.record_id
              ${ticketInfo ? `UNION ALL SELECT ${options.length + 2} AS k, w.* FROM (${audit('ticket_infos', 'tk', TicketInfo)} FROM item_ticket tk) w` : ''}) a
       ORDER BY a.k),
    ${viewSql(ids, { orders: cart ? undefined : 'new_cart', items: 'item', options: 'item_options', ticketInfos: ticketInfo ? 'item_ticket' : undefined })}`;
  // a prepared statement with its generic plan (src/db/pipeline.ts): planned on every run, this statement
  // took ~2.2 ms to plan against ~1 ms to run (pg_stat_statements on the bench); the transaction's COMMIT
  // goes with it
  const [row] = await commitWith<ViewRow>(deps.sequelize, t, sql, { bind });
  return orderViewsFromRow([cartId], row, viewCtx(deps, c))[0]!;
}

export async function removeFromCart(deps: ShopDeps, c: CallContext, oprId: string): Promise<OrderDto | null> {
  const cartId = await deps.sequelize.transaction(async (t) => {
    await lockBuyer(c.userId, t);
    const opr = await OrderProductRelation.findOne({ where: { id: oprId, status: 'pending' }, transaction: t });
    const cart = opr?.orderId
      ? await Order.findOne({ where: { id: opr.orderId, userId: c.userId, [Op.and]: [NO_HISTORY] }, transaction: t, lock: t.LOCK.UPDATE })
      : null;
    if (!opr || !cart) throw ShopError.notFound('장바구니에서 해당 상품을 찾을 수 없습니다.');
    await opr.destroy({ transaction: t });
    await clearPreparation(cart, t);
    return cart.id;
  });
  return orderView(cartId, viewCtx(deps, c));
}

function customerInfoFrom(body: Record<string, unknown>, prefix: string): { errors: FieldError[]; value: CustomerInfoValue | null } {
  return validateCustomerInfo(body as never, prefix);
}

/** Buy now: one unit in a single-product cart, prepared for payment at once (spec §5.5). */
export async function checkoutSingle(deps: ShopDeps, c: CallContext, body: unknown): Promise<OrderDto> {
  const request = asItemRequest(body);
  const raw = body as Record<string, unknown>;
  const info =
    raw.customer_info && typeof raw.customer_info === 'object' && !Array.isArray(raw.customer_info)
      ? customerInfoFrom(raw.customer_info as Record<string, unknown>, 'customer_info.')
      : { errors: [fieldError(raw.customer_info === undefined ? { code: 'required', text: '이 필드는 필수 항목입니다.' } : { code: 'invalid', text: '잘못된 형식입니다.' }, 'customer_info')], value: null };
  const fingerprint = createHash('sha256')
    .update(canonicalJson({ product: request.product ?? null, options: request.options ?? null, donation: request.donation_price ?? 0, info: info.value, holder: raw.ticket_info ?? null }))
    .digest('hex');

  const prepared = await inTransaction(deps.sequelize, async (t) => {
    // Under the stock locks every app round trip is lock time (src/db/pipeline.ts): the lock statement (the
    // buyer's row, then the product's and its tags' rows), the double-click lookup, the catalogue rows and
    // the counts go out together — each runs after the one before it, so the reads see what the lock's
    // holder before us committed — and the writes go out with the COMMIT.
    const productId = asUuid(request.product);
    const locked = lockCheckout(deps.sequelize, c.userId, productId ? [productId] : [], t);
    const sameSent = info.value ? sendSameBuyNow(deps.sequelize, t, c.userId, fingerprint, c.now) : Promise.resolve(null);
    const factsSent = loadOrderabilityFacts(deps.sequelize, c.userId, [request], { transaction: t, lang: c.lang, now: c.now, pipelined: true });
    const [buyerThere, same, facts] = await Promise.all([locked, sameSent, factsSent]);
    if (!buyerThere) throw ShopError.validation([fieldError(Messages.SignIn.USER_NOT_SIGNED_IN, 'product')]);
    // A double-clicked "buy": the same request while its hold is live returns the same prepared cart.
    if (same?.preparedCartHash) return { id: same.id, snapshot: same.preparedCartSnapshot as { price: number }, view: null, free: false };
    const result = checkOrderability({ mode: 'SINGLE', request, facts: facts.factsFor(request), taken: facts.taken, now: c.now });
    const errors = [...result.errors, ...info.errors];
    if (errors.length || !info.value) throw ShopError.validation(errors);

    const spcId = randomUUID();
    const item = {
      id: randomUUID(),
      productId: facts.factsFor(request).product!.id,
      price: result.price,
      donationPrice: result.donationPrice,
      options: result.options.map((o) => ({ id: randomUUID(), productOptionGroupId: o.product_option_group, productOptionId: o.product_option, customResponse: o.custom_response })),
    };
    const p = preparePayment(spcId, { id: randomUUID(), prepared_at: pythonIsoformat(c.now) }, [item], deps.secretKey);
    const view = await writeBuyNow(
      deps.sequelize,
      {
        userId: c.userId,
        spcId,
        item,
        ticketInfo: result.ticketInfo,
        fingerprint,
        info: info.value,
        snapshot: p.snapshot,
        hash: p.hash,
        heldUntil: new Date(c.now.getTime() + deps.checkoutHoldMs),
      },
      { ...viewCtx(deps, c), transaction: t },
      p.amount !== 0, // a paid item: the writes end the transaction; a free one completes below first
    );
    // a free item completes here, on the rows this transaction has just locked and validated
    if (p.amount === 0) {
      await completeFreeOrder(spcId, p.amount, t);
      return { id: spcId, snapshot: p.snapshot, view: null, free: true };
    }
    return { id: spcId, snapshot: p.snapshot, view, free: false };
  });
  if (prepared.free) return (await orderView(prepared.id, viewCtx(deps, c)))!;
  const view = prepared.view ?? (await singleProductCartView(prepared.id, viewCtx(deps, c)))!;
  await registerWithPortOne(deps, view.merchant_uid!, prepared.snapshot.price);
  return view;
}

/** Check out the whole cart with the buyer's contact data (spec §5.6). */
export async function checkoutCart(deps: ShopDeps, c: CallContext, body: unknown): Promise<OrderDto> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ShopError.validation([{ code: 'invalid', detail: '잘못된 요청 형식입니다. JSON 객체가 필요합니다.', attr: 'non_field_errors' }]);
  }
  const info = customerInfoFrom(body as Record<string, unknown>, '');
  const mode: OrderabilityMode = 'CART';

  const prepared = await inTransaction(deps.sequelize, async (t) => {
    // locks: the buyer, the cart, then the items' products and their tags (checkout-sql.ts), then the writes
    // with the COMMIT — two messages (src/db/pipeline.ts). In the first, the catalogue rows go between the
    // cart's lock and the stock locks, the counts behind the stock locks: only the counts (with the versions of
    // the rows read: `sendRowsBeforeLock`) are read while the hot product is locked. The ids come from the
    // cart, in SQL: no round trip through the app before the writes.
    let factsSent!: ReturnType<typeof sendRowsBeforeLock>;
    const lockedSent = lockCartCheckout(deps.sequelize, c.userId, t, () => {
      factsSent = sendRowsBeforeLock(deps.sequelize, c.userId, cartFactsSource(c.userId), { transaction: t, lang: c.lang, now: c.now });
    });
    factsSent.sendAfterLocks();
    const locked = await lockedSent;
    if (!locked.buyer) throw ShopError.validation([fieldError(Messages.SignIn.USER_NOT_SIGNED_IN, 'product')]);
    const cart = locked.cart?.cart ?? null;
    const { items: oprs, options: answers, info: existingInfo, holders } = locked.cart ?? { items: [], options: [], info: null, holders: new Set<string>() };
    if (!cart || oprs.length === 0) throw ShopError.validation([fieldError(Messages.Cart.EMPTY, null)]);

    const sameInfo =
      !!info.value && !!existingInfo &&
      (['name', 'phone', 'email', 'organization'] as const).every((k) => (existingInfo[k] ?? '') === (info.value![k] ?? ''));
    if (sameInfo && cart.preparedCartHash && cart.stockHeldUntil && cart.stockHeldUntil > c.now) {
      // Double-clicked checkout: nothing changed since the last one (a change clears the preparation).
      return { id: cart.id, price: (cart.preparedCartSnapshot as { price: number }).price };
    }

    const items = snapshotItemsOf(oprs, answers);
    const requests = items.map<ItemRequest>((i) => ({
      product: i.productId,
      donation_price: i.donationPrice,
      options: i.options.map((o) => ({ product_option_group: o.productOptionGroupId, product_option: o.productOptionId, custom_response: o.customResponse })),
    }));
    const facts = await factsSent.factsOf(requests, cart.id); // the cart's own hold does not count against it
    const errors: FieldError[] = [...info.errors];
    const ordered = sortForCartCheck(items.map((item, index) => ({ item, index, price: item.price })));
    const repriced = new Map<string, number>();
    ordered.forEach(({ item, index }, i) => {
      const r = checkOrderability({ mode, request: requests[index]!, facts: facts.factsFor(requests[index]!), taken: facts.taken, now: c.now });
      errors.push(...prefixErrors(r.errors, `${i}.`));
      if (r.ok && r.price !== item.price) repriced.set(item.id, r.price); // prices are always the server's current ones
    });
    if (errors.length === 0) {
      errors.push(...tagQuotaErrors(facts, items.map((i) => i.productId)));
      const priced = oprs.map((o) => ({ status: o.status, price: repriced.get(o.id) ?? o.price, donationPrice: o.donationPrice }));
      errors.push(...checkCartOrderable({ id: cart.id, currentStatus: 'pending', hasPaymentHistory: false, items: priced }));
    }
    if (errors.length === 0) {
      errors.push(...cartTicketInfoErrors(oprs.map((o) => ({ isTicket: !!facts.products.get(o.productId)?.isTicket, hasTicketInfo: holders.has(o.id) }))));
    }
    if (errors.length || !info.value) throw ShopError.validation(errors);

    const price = (o: OrderProductRelation) => repriced.get(o.id) ?? o.price;
    // every product is live and loaded here (a missing one failed the checks above)
    const product = (id: string) => facts.productRows.get(id)!;
    const name = orderName(oprs.map((o) => ({ price: price(o), productNameKo: product(o.productId).nameKo, productNameEn: product(o.productId).nameEn })));
    const p = preparePayment(cart.id, { id: randomUUID(), prepared_at: pythonIsoformat(c.now) }, items.map((i) => ({ ...i, price: repriced.get(i.id) ?? i.price })), deps.secretKey);
    const written = await writeCartCheckout(
      deps.sequelize,
      {
        userId: c.userId,
        cart,
        repriced: oprs.filter((o) => repriced.has(o.id)).map((o) => ({ item: o, price: repriced.get(o.id)! })),
        info: info.value,
        existingInfo,
        name,
        snapshot: p.snapshot,
        hash: p.hash,
        heldUntil: new Date(c.now.getTime() + deps.checkoutHoldMs),
      },
      t,
      p.amount !== 0, // a paid cart: the writes end the transaction; a free one completes below first
    );
    if (p.amount === 0) {
      await completeFreeOrder(cart.id, p.amount, t);
      return { id: cart.id, price: p.amount, viewRow: null };
    }
    // the answer: the cart's view read with its lock, with the rows the write returned laid over it
    return { id: cart.id, price: p.amount, viewRow: overlayWritten(locked.cart!.view, written) };
  });
  // the view written with the preparation; a free order's after its completion
  const view = prepared.viewRow ? orderViewsFromRow([prepared.id], prepared.viewRow, viewCtx(deps, c))[0]! : (await orderView(prepared.id, viewCtx(deps, c)))!;
  if (prepared.price === 0) return view; // completed at once: no payment window
  await registerWithPortOne(deps, view.merchant_uid!, prepared.price);
  return view;
}
