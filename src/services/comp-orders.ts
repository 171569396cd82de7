/**
 * Comp orders (무료 발급): an operator creates a paid 0-won order for an existing user — a speaker's or a
 * volunteer's ticket, a T-shirt — from the panel. Rules in src/domain/cart/comp-order.ts; decisions in
 * docs/admin-guide.md ("Comp orders").
 *
 * One transaction, the checkout's locks and order: the user's row, then the products' rows, then their tags'
 * rows (id order, `lockCheckout`); the facts (stock sold + live holds, the user's own counts) are read after
 * the locks, so two comps — or a comp and a checkout — racing for the last unit serialize and one is refused.
 * Every unit is checked as the checkout checks a buy-now, except the sales / visibility windows (opened for
 * operators); stock and per-user caps hold. The order is written through the models (their audit rows name
 * the operator) with items at 0 won and their list price kept in `list_price`, the reason in
 * `orders.comp_reason`, and is completed by the 0-won checkout's own completion (`completeFreeOrder`: the
 * `completed` ledger row of 0 without imp_id, items paid, the paid event → the paid e-mail with the QR links
 * after commit). A `shop.order.comp_created` audit row sums it up. Any refusal rolls everything back.
 *
 * Comp orders are never refunded (src/services/refund.ts refuses them with COMP_ORDER_NOT_REFUNDABLE: no money
 * was taken). An operator takes a unit back with `cancelCompItem`, which frees its stock.
 */
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { AuditLog, Category, CustomerInfo, Option, OptionGroup, Order, OrderProductOptionRelation, OrderProductRelation, PaymentHistory, Product, TicketInfo, User } from '../models/index.js';
import { productCurrentStatus } from '../domain/catalog/windows.js';
import { soldCounts } from './stock.js';
import { checkCompOrder, compReasonErrors, COMP_MAX_UNITS, type CompLine } from '../domain/cart/comp-order.js';
import { validateCustomerInfo } from '../domain/cart/customer-info.js';
import { orderName } from '../domain/cart/order-name.js';
import { Messages, fieldError, type FieldError } from '../domain/messages.js';
import { currentActor } from '../context.js';
import { ServiceError } from './errors.js';
import { lockCheckout } from './checkout-sql.js';
import { loadOrderabilityFacts, asUuid } from './orderability.js';
import { completeFreeOrder } from './free-checkout.js';
import { findUserByEmail } from './auth.js';

/** The request (the panel posts it as JSON): who, why, the buyer's contact data and the lines. */
export const CompOrderSchema = z
  .object({
    /** the user's id, or their account e-mail */
    user: z.union([z.number().int().positive(), z.string().trim().min(1).max(320)]),
    /** checked by the domain (a Korean message of its own) */
    reason: z.unknown().optional(),
    /** validated as the checkout validates it */
    customer_info: z.record(z.string(), z.unknown()),
    items: z
      .array(
        z
          .object({
            product: z.string().max(64),
            quantity: z.number().int().min(1).max(COMP_MAX_UNITS).default(1),
            /** the checkout's option entries, checked by the checkout's item check */
            options: z.array(z.unknown()).max(50).default([]),
            /** a ticket's holder; default: the customer info */
            ticket_info: z.unknown().optional(),
          })
          .strict(),
      )
      .min(1)
      .max(COMP_MAX_UNITS),
  })
  .strict();

export type CompOrderRequest = z.input<typeof CompOrderSchema>;

export interface CompOrderResult {
  orderId: string;
  userId: number;
  items: Array<{ id: string; productId: string; listPrice: number }>;
  /** Σ list prices: what the order would have cost */
  listTotal: number;
}

function zodErrors(err: z.ZodError): FieldError[] {
  return err.issues.map((issue) => {
    const attr = issue.path.map(String).join('.') || null;
    const code = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.code === 'unrecognized_keys' ? 'unknown_field' : issue.code === 'too_big' ? 'max_value' : issue.code === 'too_small' ? 'min_value' : 'invalid';
    return { code, detail: issue.message, attr };
  });
}

/** The live, active user `ref` names (an id, a numeric string, or an account e-mail), or null. */
async function findUser(ref: number | string): Promise<User | null> {
  const byId = typeof ref === 'number' ? ref : /^\d{1,10}$/.test(ref) ? Number(ref) : null;
  const user = byId !== null ? (byId <= 2 ** 31 - 1 ? await User.findByPk(byId) : null) : await findUserByEmail(String(ref));
  return user?.isActive ? user : null;
}

/** Create a comp order (see the file comment). Throws a 400 ServiceError listing every problem; writes nothing then. */
export async function createCompOrder(sequelize: Sequelize, body: unknown, now = new Date()): Promise<CompOrderResult> {
  const parsed = CompOrderSchema.safeParse(body);
  const errors: FieldError[] = parsed.success ? [] : zodErrors(parsed.error);
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  errors.push(...compReasonErrors(raw.reason).filter((e) => !errors.some((x) => x.attr === e.attr)));
  const info = validateCustomerInfo((raw.customer_info && typeof raw.customer_info === 'object' ? raw.customer_info : {}) as Record<string, unknown>, 'customer_info.');
  errors.push(...info.errors.filter((e) => !errors.some((x) => x.attr === 'customer_info')));
  if (errors.length || !parsed.success || !info.value) throw ServiceError.validation(errors);
  const input = parsed.data;
  const reason = String(raw.reason).trim();

  const found = await findUser(input.user);
  if (!found) throw ServiceError.validation([fieldError(Messages.Comp.USER_NOT_FOUND, 'user', String(input.user))]);
  const userId = found.id;
  const customer = info.value;
  const lines: CompLine[] = input.items.map((l) => ({
    quantity: l.quantity,
    request: { product: l.product, options: l.options as never, ...(l.ticket_info !== undefined && l.ticket_info !== null ? { ticket_info: l.ticket_info } : {}) },
  }));
  const productIds = [...new Set(lines.map((l) => asUuid(l.request.product)).filter((x): x is string => !!x))];

  return sequelize.transaction(async (t) => {
    // the checkout's lock order: the user, then the products, then their tags (id order)
    if (!(await lockCheckout(sequelize, userId, productIds, t))) {
      throw ServiceError.validation([fieldError(Messages.Comp.USER_NOT_FOUND, 'user', String(input.user))]);
    }
    const facts = await loadOrderabilityFacts(sequelize, userId, lines.map((l) => l.request), { transaction: t, lang: 'ko', now });
    const check = checkCompOrder({
      lines,
      factsFor: (r) => facts.factsFor(r),
      taken: facts.taken,
      now,
      defaultHolder: { name: customer.name, phone: customer.phone, email: customer.email, organization: customer.organization, contributionMessage: null },
    });
    if (check.errors.length) throw ServiceError.validation(check.errors);

    const product = (id: string) => facts.productRows.get(id)!;
    const name = orderName(check.units.map((u) => ({ price: u.result.price, productNameKo: product(u.productId).nameKo, productNameEn: product(u.productId).nameEn })));
    const order = await Order.create({ userId, nameKo: name.ko, nameEn: name.en, compReason: reason }, { transaction: t });
    const items: CompOrderResult['items'] = [];
    for (const unit of check.units) {
      // written pending, then completed by the 0-won checkout's completion below (the one way a 0-won order becomes paid)
      const opr = await OrderProductRelation.create(
        { orderId: order.id, productId: unit.productId, status: 'pending', price: 0, donationPrice: 0, listPrice: unit.result.price },
        { transaction: t },
      );
      for (const o of unit.result.options) {
        await OrderProductOptionRelation.create(
          { orderProductRelationId: opr.id, productOptionGroupId: o.product_option_group, productOptionId: o.product_option, customResponse: o.custom_response },
          { transaction: t },
        );
      }
      if (unit.result.ticketInfo) await TicketInfo.create({ orderProductRelationId: opr.id, ...unit.result.ticketInfo }, { transaction: t });
      items.push({ id: opr.id, productId: unit.productId, listPrice: unit.result.price });
    }
    await CustomerInfo.create({ orderId: order.id, ...customer }, { transaction: t });
    await completeFreeOrder(order.id, 0, t);
    const listTotal = items.reduce((s, i) => s + i.listPrice, 0);
    const actor = currentActor();
    await AuditLog.create(
      {
        tableName: 'orders',
        recordId: order.id,
        action: 'shop.order.comp_created',
        actorUserId: actor.userId,
        actorLabel: actor.label,
        reason,
        before: null,
        after: { user_id: userId, status: 'completed', paid: 0, list_total: listTotal, items: items.map((i) => ({ id: i.id, product_id: i.productId, list_price: i.listPrice })) },
      },
      { transaction: t },
    );
    return { orderId: order.id, userId, items, listTotal };
  });
}

/**
 * Take back one unit of a comp order (paid, not checked in): the item becomes `refunded` — the items' only
 * end state, so it stops counting against stock and the user's caps — and the ledger gets a 0-won row with
 * the order's next status (partially refunded / refunded), as a refund would, but nothing is sent to PortOne
 * and no "refunded" e-mail goes out (no money moved). Audited as `shop.order.comp_item_cancelled`.
 */
export async function cancelCompItem(sequelize: Sequelize, itemId: string, reason: unknown): Promise<{ orderId: string; status: 'partial_refunded' | 'refunded' }> {
  const why = typeof reason === 'string' && reason.trim() ? reason.trim().slice(0, 500) : null;
  const id = asUuid(itemId);
  return sequelize.transaction(async (t) => {
    const first = id ? await OrderProductRelation.findByPk(id, { transaction: t, attributes: ['id', 'orderId'] }) : null;
    if (!first?.orderId) throw ServiceError.notFound('주문 상품을 찾을 수 없습니다.');
    const order = await Order.findByPk(first.orderId, { transaction: t, lock: t.LOCK.UPDATE });
    if (!order) throw ServiceError.notFound('주문을 찾을 수 없습니다.');
    if (!order.compReason) throw ServiceError.validation([fieldError(Messages.Comp.NOT_COMP_ORDER, 'non_field_errors')]);
    // read under the order's lock: a check-in or another cancel of this order has finished
    const items = await OrderProductRelation.findAll({ where: { orderId: order.id }, transaction: t, lock: t.LOCK.UPDATE });
    const item = items.find((i) => i.id === id);
    if (!item || item.status !== 'paid') throw ServiceError.validation([fieldError(Messages.Comp.ITEM_NOT_CANCELLABLE, 'non_field_errors')]);
    const stillHeld = items.some((i) => i.id !== id && (i.status === 'paid' || i.status === 'used'));
    const status = stillHeld ? 'partial_refunded' : 'refunded';
    await item.update({ status: 'refunded' }, { transaction: t });
    await PaymentHistory.create({ orderId: order.id, impId: null, status, price: 0 }, { transaction: t });
    const actor = currentActor();
    await AuditLog.create(
      {
        tableName: 'orders',
        recordId: order.id,
        action: 'shop.order.comp_item_cancelled',
        actorUserId: actor.userId,
        actorLabel: actor.label,
        reason: why,
        before: { item: item.id, item_status: 'paid' },
        after: { item: item.id, item_status: 'refunded', status, list_price: item.listPrice },
      },
      { transaction: t },
    );
    return { orderId: order.id, status };
  });
}

// ---------------------------------------------------------------------------------------------------------
// what the panel's form offers

export interface CompCatalogueProduct {
  id: string;
  name: string;
  category: string;
  price: number;
  /** units left (sold and live holds counted); null = unlimited */
  leftover: number | null;
  isTicket: boolean;
  /** 판매 중 / 판매 기간 아님 / 숨김: operators may comp all three */
  saleStatus: 'active' | 'out_of_orderable_period' | 'out_of_visible_period';
  optionGroups: Array<{
    id: string;
    name: string;
    isCustomResponse: boolean;
    customResponsePattern: string | null;
    minQuantityPerProduct: number;
    maxQuantityPerProduct: number;
    placeholderMode: string;
    options: Array<{ id: string; name: string; additionalPrice: number }>;
  }>;
}

/** Every live product (hidden and closed ones too), with its live option groups and options, for the form. */
export async function compCatalogue(sequelize: Sequelize, now = new Date()): Promise<CompCatalogueProduct[]> {
  const products = await Product.findAll({ order: [['priority', 'ASC'], ['createdAt', 'ASC']] });
  const ids = products.map((p) => p.id);
  const [categories, groups, sold] = await Promise.all([
    Category.findAll({ where: { id: [...new Set(products.map((p) => p.categoryId))] }, paranoid: false }),
    ids.length ? OptionGroup.findAll({ where: { productId: ids }, order: [['priority', 'ASC'], ['createdAt', 'DESC']] }) : [],
    soldCounts(sequelize, { productIds: products.filter((p) => p.stock !== 0).map((p) => p.id), tagIds: [], optionIds: [] }, { now }),
  ]);
  const options = groups.length ? await Option.findAll({ where: { groupId: groups.map((g) => g.id) }, order: [['priority', 'ASC']] }) : [];
  const category = new Map(categories.map((c) => [c.id, c]));
  return products.map((p) => ({
    id: p.id,
    name: p.nameKo,
    category: category.get(p.categoryId)?.name ?? '',
    price: p.price,
    leftover: p.stock === 0 ? null : p.stock - (sold.product.get(p.id) ?? 0),
    isTicket: !!category.get(p.categoryId)?.isTicket,
    saleStatus: productCurrentStatus(p, now),
    optionGroups: groups
      .filter((g) => g.productId === p.id)
      .map((g) => ({
        id: g.id,
        name: g.nameKo,
        isCustomResponse: g.isCustomResponse,
        customResponsePattern: g.customResponsePattern,
        minQuantityPerProduct: g.minQuantityPerProduct,
        maxQuantityPerProduct: g.maxQuantityPerProduct,
        placeholderMode: g.placeholderMode,
        options: options.filter((o) => o.groupId === g.id).map((o) => ({ id: o.id, name: o.nameKo, additionalPrice: o.additionalPrice })),
      })),
  }));
}

/** The user a form is opened for (from the users list): what pre-fills the customer info. */
export async function compUser(ref: unknown): Promise<{ id: number; email: string; name: string } | null> {
  if (typeof ref !== 'string' && typeof ref !== 'number') return null;
  const u = await findUser(typeof ref === 'string' ? ref.trim() : ref).catch(() => null);
  return u ? { id: u.id, email: u.email, name: u.nicknameKo || u.nicknameEn || u.username } : null;
}
