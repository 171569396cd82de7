/**
 * The webhook's re-validation of a paid order before its items become paid (second line of defence after the
 * checkout hold). Inside the webhook's transaction, with the order row already locked, the rows it reads are
 * locked in ONE fixed order — the order's items (by id) → products (by id) → tags → option groups → options
 * → option answers → ticket holders — so concurrent payments, refunds and desk edits never deadlock. All of
 * these locks are taken by one statement (`lockForPayment`, which also reads the order's ledger); the
 * catalogue rows and the counts are read after it (two statements: `loadOrderabilityFacts`).
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
import type { Sequelize, Transaction } from 'sequelize';
import { OrderProductOptionRelation, OrderProductRelation, PaymentHistory, TicketInfo } from '../models/index.js';
import { checkOrderability, type ItemRequest, type OrderabilityFacts, type ProductFacts } from '../domain/cart/orderability.js';
import { purchaseRecheckError } from '../domain/cart/purchase-recheck.js';
import { cartTicketInfoErrors, ticketInfoDto } from '../domain/cart/ticket-info.js';
import { Messages, fieldError, type FieldError } from '../domain/messages.js';
import type { SnapshotItemInput } from '../domain/checkout/snapshot.js';
import { loadOrderabilityFacts, stockLockCtes, type FactsSource, type LoadedFacts } from './orderability.js';
import { hydrateAll } from './json-rows.js';
import { send } from '../db/pipeline.js';

export interface LockedForPayment {
  /** the order's live ledger rows */
  histories: PaymentHistory[];
  /** its live items (created_at, id), their live option answers and live ticket holders — all locked; empty when `histories` is not */
  items: OrderProductRelation[];
  options: OrderProductOptionRelation[];
  holders: TicketInfo[];
}

/**
 * Under the order's row lock (taken by an earlier statement, so this statement's snapshot sees every ledger
 * row written under it): the order's ledger rows and — only while it has none, i.e. it is still waiting for
 * its payment — the locks of the re-validation in their fixed order, returning the locked items, option
 * answers and ticket holders as they are once locked. An order that has a ledger row already (a duplicate
 * notification, or a second payment) takes no further lock, as before.
 */
export async function lockForPayment(sequelize: Sequelize, orderId: string, t: Transaction): Promise<LockedForPayment> {
  type J = Array<Record<string, unknown>> | null;
  // The SELECT list takes the locks in its order; each lock CTE is MATERIALIZED and FOR UPDATE, so the rows it
  // returns are the latest versions (a lock waited for returns the row as its holder committed it). Handed to
  // the connection at the call (src/db/pipeline.ts): the caller may send it right behind the order's lock.
  const [row] = await send<{ histories: J; items: J; options: J; holders: J }>(
    sequelize,
    t,
    `WITH h AS MATERIALIZED (SELECT * FROM payment_histories WHERE order_id = $1 AND deleted_at IS NULL),
          li AS MATERIALIZED (SELECT * FROM order_product_relations
                               WHERE order_id = $1 AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM h) ORDER BY id FOR UPDATE),
          ${stockLockCtes('ARRAY(SELECT DISTINCT product_id FROM li)', 'true')},
          lg AS MATERIALIZED (SELECT id FROM option_groups WHERE product_id IN (SELECT product_id FROM li) AND deleted_at IS NULL ORDER BY id FOR UPDATE),
          lo AS MATERIALIZED (SELECT o.id FROM options o JOIN option_groups g ON g.id = o.group_id
                               WHERE g.product_id IN (SELECT product_id FROM li) AND g.deleted_at IS NULL AND o.deleted_at IS NULL ORDER BY o.id FOR UPDATE OF o),
          lop AS MATERIALIZED (SELECT * FROM order_product_option_relations WHERE order_product_relation_id IN (SELECT id FROM li) ORDER BY id FOR UPDATE),
          lti AS MATERIALIZED (SELECT * FROM ticket_infos WHERE order_product_relation_id IN (SELECT id FROM li) AND deleted_at IS NULL ORDER BY id FOR UPDATE)
     SELECT (SELECT json_agg(h) FROM h) AS histories,
            (SELECT json_agg(li ORDER BY li.created_at, li.id) FROM li) AS items,
            (SELECT count(*) FROM locked_products) AS products, (SELECT count(*) FROM locked_tags) AS tags,
            (SELECT count(*) FROM lg) AS groups, (SELECT count(*) FROM lo) AS option_rows,
            (SELECT json_agg(x ORDER BY x.created_at, x.id) FROM lop x WHERE x.deleted_at IS NULL) AS options,
            (SELECT json_agg(lti ORDER BY lti.id) FROM lti) AS holders`,
    { bind: [orderId] },
  );
  return {
    histories: hydrateAll(PaymentHistory, row?.histories),
    items: hydrateAll(OrderProductRelation, row?.items),
    options: hydrateAll(OrderProductOptionRelation, row?.options),
    holders: hydrateAll(TicketInfo, row?.holders),
  };
}

/**
 * Where the re-validation's catalogue rows and counts take their ids from when they are sent in the same
 * message as `lockForPayment`, right behind it (`sendOrderabilityFacts`): the order's live items' products,
 * their live answers' option groups, and the order as the holder left out — what the re-validation reads
 * from the locked items, read by statements that run after those locks.
 */
export function paymentFactsSource(orderId: string): FactsSource {
  const items = `SELECT i.id, i.product_id FROM order_product_relations i WHERE i.order_id = CAST(:orderId AS uuid) AND i.deleted_at IS NULL`;
  return {
    products: `ARRAY(SELECT DISTINCT product_id FROM (${items}) i)`,
    groups: `ARRAY(SELECT DISTINCT x.product_option_group_id FROM order_product_option_relations x
                   WHERE x.order_product_relation_id IN (SELECT id FROM (${items}) i) AND x.deleted_at IS NULL AND x.product_option_group_id IS NOT NULL)`,
    exclude: 'CAST(:orderId AS uuid)',
    replacements: { orderId },
  };
}

export interface RevalidationInput {
  orderId: string;
  userId: number;
  /** a buy-now cart (single-checkout mode) rather than a cart */
  single: boolean;
  /** the order's live items as the snapshot sees them, locked (`lockForPayment`) */
  items: readonly SnapshotItemInput[];
  /** their live ticket holders, locked with them */
  holders: readonly TicketInfo[];
  /** when the checkout prepared the payment (sales windows are judged then) */
  preparedAt: Date;
  now: Date;
}

/**
 * Errors (empty = the payment may be accepted); the first one is ORDER_NOT_ORDERABLE. Call after `lockForPayment`.
 * `sent`: the facts sent right behind it (`sendOrderabilityFacts` with `paymentFactsSource`) for the buyer
 * `userId` — used when this order's buyer is that user; else they are read now.
 */
export async function revalidateForPayment(
  sequelize: Sequelize,
  input: RevalidationInput,
  t: Transaction,
  sent?: { factsOf: (requests: readonly ItemRequest[], excludeHolderId: string | null) => Promise<LoadedFacts>; userId: number },
): Promise<FieldError[]> {
  const requests = input.items.map((i) => ({
    product: i.productId,
    donation_price: i.donationPrice,
    options: i.options.map((o) => ({ product_option_group: o.productOptionGroupId, product_option: o.productOptionId, custom_response: o.customResponse })),
  }));
  // the products and their tags are locked already (`lockForPayment`): the rows and counts read now are the latest
  // (the rows and the counts in one message: src/db/pipeline.ts)
  const facts =
    sent && sent.userId === input.userId
      ? await sent.factsOf(requests, input.orderId)
      : await loadOrderabilityFacts(sequelize, input.userId, requests, { transaction: t, lang: 'ko', now: input.now, excludeHolderId: input.orderId, pipelined: true });
  const holderOf = new Map(input.holders.map((h) => [h.orderProductRelationId, h]));

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
