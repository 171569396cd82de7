/**
 * The webhook's re-validation of a paid order before its items become paid (second line of defence after the
 * checkout hold). Inside the webhook's transaction, with the order row already locked, the rows it reads are
 * locked in ONE fixed order — the order's items (by id) → products (by id) → tags → option groups → options
 * → option answers → ticket holders — so concurrent payments, refunds and desk edits never deadlock.
 *
 * Two checks, on the locked rows:
 * - the units are still there for this buyer: stock left for others and the buyer's own caps, counted for the
 *   whole order at once (`purchaseRecheckError`);
 * - the order is still orderable as it was checked out: every item's product, option groups and options still
 *   live and consistent, donation and price bounds, the ticket holders (required for tickets, refused for
 *   others) — the checkout's own item check (single-checkout mode for a buy-now cart, cart mode otherwise),
 *   with its sales windows evaluated at the preparation time: the buyer started paying inside them, and a
 *   window closing during the payment window must not cancel the payment.
 * Any failure → `ORDER_NOT_ORDERABLE` (plus the reason); the webhook cancels the payment at PortOne.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { TicketInfo } from '../models/index.js';
import { checkOrderability, type OrderabilityFacts, type ProductFacts } from '../domain/cart/orderability.js';
import { purchaseRecheckError } from '../domain/cart/purchase-recheck.js';
import { cartTicketInfoErrors, ticketInfoDto } from '../domain/cart/ticket-info.js';
import { Messages, fieldError, type FieldError } from '../domain/messages.js';
import type { SnapshotItemInput } from '../domain/checkout/snapshot.js';
import { loadOrderabilityFacts } from './orderability.js';

export interface RevalidationInput {
  orderId: string;
  userId: number;
  /** a buy-now cart (single-checkout mode) rather than a cart */
  single: boolean;
  /** the order's live items as the snapshot sees them */
  items: readonly SnapshotItemInput[];
  /** when the checkout prepared the payment (sales windows are judged then) */
  preparedAt: Date;
  now: Date;
}

const lockIds = (sequelize: Sequelize, sql: string, ids: string[], t: Transaction) =>
  ids.length ? sequelize.query(`${sql} ORDER BY id FOR UPDATE`, { bind: [ids], type: QueryTypes.SELECT, transaction: t }) : Promise.resolve([]);

/** Errors (empty = the payment may be accepted); the first one is ORDER_NOT_ORDERABLE. */
export async function revalidateForPayment(sequelize: Sequelize, input: RevalidationInput, t: Transaction): Promise<FieldError[]> {
  const oprIds = input.items.map((i) => i.id);
  await lockIds(sequelize, `SELECT id FROM order_product_relations WHERE id = ANY($1::uuid[])`, oprIds, t);
  // products and their tags (id order) are locked by the loader, as every stock-claiming path does
  const requests = input.items.map((i) => ({
    product: i.productId,
    donation_price: i.donationPrice,
    options: i.options.map((o) => ({ product_option_group: o.productOptionGroupId, product_option: o.productOptionId, custom_response: o.customResponse })),
  }));
  const facts = await loadOrderabilityFacts(sequelize, input.userId, requests, { transaction: t, lang: 'ko', now: input.now, lock: true, excludeHolderId: input.orderId });
  const productIds = [...new Set(input.items.map((i) => i.productId))];
  await lockIds(sequelize, `SELECT id FROM option_groups WHERE product_id = ANY($1::uuid[]) AND deleted_at IS NULL`, productIds, t);
  await sequelize.query(
    `SELECT o.id FROM options o JOIN option_groups g ON g.id = o.group_id
      WHERE g.product_id = ANY($1::uuid[]) AND g.deleted_at IS NULL AND o.deleted_at IS NULL ORDER BY o.id FOR UPDATE OF o`,
    { bind: [productIds], type: QueryTypes.SELECT, transaction: t },
  );
  await lockIds(sequelize, `SELECT id FROM order_product_option_relations WHERE order_product_relation_id = ANY($1::uuid[])`, oprIds, t);
  const holders = oprIds.length
    ? await TicketInfo.findAll({ where: { orderProductRelationId: oprIds }, order: [['id', 'ASC']], transaction: t, lock: t.LOCK.UPDATE })
    : [];
  const holderOf = new Map(holders.map((h) => [h.orderProductRelationId, h]));

  const reasons: FieldError[] = [];
  const stock = purchaseRecheckError(
    input.items.map((i) => ({ productId: i.productId, options: i.options.map((o) => ({ groupId: o.productOptionGroupId, optionId: o.productOptionId })) })),
    facts.products,
    facts.taken,
  );
  if (stock) reasons.push(stock);

  // the checkout's item check, counts left to the check above (a whole-order count, not a per-item one)
  const mode = input.single ? 'SINGLE' : 'CART';
  input.items.forEach((item, index) => {
    if (reasons.length) return;
    const holder = holderOf.get(item.id);
    const request = { ...requests[index]!, ticket_info: holder ? ticketInfoDto(holder) : null };
    const r = checkOrderability({ mode, request, facts: withoutCounts(facts.factsFor(request)), taken: {}, now: input.preparedAt });
    reasons.push(...r.errors);
  });
  if (!reasons.length && !input.single) {
    reasons.push(...cartTicketInfoErrors(input.items.map((i) => ({ isTicket: !!facts.products.get(i.productId)?.isTicket, hasTicketInfo: holderOf.has(i.id) }))));
  }
  return reasons.length ? [fieldError(Messages.Webhook.ORDER_NOT_ORDERABLE, null), ...reasons.map((r) => ({ ...r, attr: null }))] : [];
}

/** The facts with every sold count at 0: validity only (stock and caps are judged for the whole order). */
function withoutCounts(facts: OrderabilityFacts): OrderabilityFacts {
  const clear = (p: ProductFacts): ProductFacts => ({
    ...p,
    sold: 0,
    tags: p.tags.map((tag) => ({ ...tag, sold: 0 })),
    optionGroups: p.optionGroups.map((g) => ({ ...g, options: g.options.map((o) => ({ ...o, sold: 0 })) })),
  });
  return { ...facts, product: facts.product ? clear(facts.product) : null };
}
