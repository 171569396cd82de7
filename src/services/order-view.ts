/**
 * The one place the contract's `Order` shape is produced (cart, buy-now cart, purchased order), loaded in a
 * constant number of queries for any number of orders. Soft-deleted items, options and ledger rows are
 * never shown; catalogue rows are read even when soft-deleted later (a past order keeps its product name).
 */
import type { Model, ModelStatic, Transaction } from 'sequelize';
import { hydrate } from './json-rows.js';
import { preparedRead } from '../db/named-query.js';
import {
  Order,
  OrderProductRelation,
  OrderProductOptionRelation,
  PaymentHistory,
  CustomerInfo,
  SingleProductCart,
  Product,
  Category,
  OptionGroup,
  Option,
  TicketInfo,
  type PlaceholderMode,
} from '../models/index.js';
import { ticketInfoDto, type TicketInfoDto } from '../domain/cart/ticket-info.js';
import { tr, type Lang } from '../domain/i18n.js';
import { deriveOrderPayment, type PaymentStatus } from '../domain/payment/status.js';
import { notRefundableReason, notFullyRefundableReason, type RefundOrderFacts } from '../domain/refund/reasons.js';
import { merchantUid } from '../domain/checkout/snapshot.js';
import { signScancodeToken, scancodeUrl } from '../domain/scancode/token.js';
import { certificateStatus } from '../domain/document/certificate.js';

export interface CustomerInfoDto {
  name: string;
  phone: string;
  email: string;
  organization: string | null;
}

export interface OrderOptionDto {
  id: string;
  product_option_group: {
    id: string;
    name: string;
    is_custom_response: boolean;
    custom_response_pattern: string | null;
    response_modifiable_ends_at: string | null;
    placeholder_mode: PlaceholderMode;
  };
  product_option: { id: string; name: string; additional_price: number } | null;
  custom_response: string | null;
}

export interface OrderItemDto {
  id: string;
  status: 'pending' | 'paid' | 'used' | 'refunded';
  price: number;
  donation_price: number;
  not_refundable_reason: string | null;
  scancode_url: string | null;
  is_ticket: boolean;
  ticket_info: TicketInfoDto | null;
  /** participation certificate (src/domain/document/certificate.ts) */
  certificate_status: CertificateStatus;
  product: { id: string; name: string; price: number; image: string | null; donation_allowed: boolean };
  options: OrderOptionDto[];
}

export type { CertificateStatus } from '../domain/document/certificate.js';
import type { CertificateStatus } from '../domain/document/certificate.js';

export interface OrderDto {
  id: string;
  name: string;
  merchant_uid: string | null;
  first_paid_price: number;
  current_paid_price: number;
  current_status: PaymentStatus;
  not_fully_refundable_reason: string | null;
  created_at: string;
  first_paid_at: string | null;
  scancode_url: string | null;
  payment_histories: Array<{ price: number; status: PaymentStatus }>;
  products: OrderItemDto[];
  customer_info: CustomerInfoDto | null;
}

export interface ViewContext {
  lang: Lang;
  now: Date;
  backendDomain: string;
  scancodeSalts: readonly string[];
  transaction?: Transaction;
}

/**
 * Run queries in parallel — except inside a transaction: it has one connection, and overlapping queries on
 * one pg client are deprecated (pg 9 refuses them), so they run one after another there.
 */
async function parallel<T extends unknown[]>(t: Transaction | undefined, ...fns: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if (!t) return (await Promise.all(fns.map((f) => f()))) as T;
  const out: unknown[] = [];
  for (const f of fns) out.push(await f());
  return out as T;
}

interface LoadedItems {
  items: Map<string, OrderProductRelation[]>; // by owner key (order id, or spc id)
  options: Map<string, OrderProductOptionRelation[]>;
  /** live holders by OPR id */
  ticketInfos: Map<string, TicketInfo>;
  products: Map<string, Product & { category?: Category }>;
  groups: Map<string, OptionGroup>;
  optionRows: Map<string, Option>;
  /** certificates: the live issued document by OPR id, and the live events */
  documents?: Map<string, { revokedAt: string | null }>;
  liveEvents?: Set<string>;
}

async function loadItems(oprs: OrderProductRelation[], t?: Transaction): Promise<Omit<LoadedItems, 'items'>> {
  const oprIds = oprs.map((o) => o.id);
  const productIds = [...new Set(oprs.map((o) => o.productId))];
  const [options, products, ticketInfos] = await parallel(
    t,
    async () => (oprIds.length ? OrderProductOptionRelation.findAll({ where: { orderProductRelationId: oprIds }, order: [['createdAt', 'ASC'], ['id', 'ASC']], transaction: t }) : []),
    async () =>
      productIds.length
        ? Product.findAll({ where: { id: productIds }, paranoid: false, include: [{ model: Category, as: 'category', paranoid: false }], transaction: t })
        : [],
    async () => (oprIds.length ? TicketInfo.findAll({ where: { orderProductRelationId: oprIds }, transaction: t }) : []),
  );
  const groupIds = [...new Set(options.map((o) => o.productOptionGroupId))];
  const optionIds = [...new Set(options.map((o) => o.productOptionId).filter((x): x is string => !!x))];
  const [groups, optionRows] = await parallel(
    t,
    async () => (groupIds.length ? OptionGroup.findAll({ where: { id: groupIds }, paranoid: false, transaction: t }) : []),
    async () => (optionIds.length ? Option.findAll({ where: { id: optionIds }, paranoid: false, transaction: t }) : []),
  );
  const byOpr = new Map<string, OrderProductOptionRelation[]>();
  for (const o of options) byOpr.set(o.orderProductRelationId, [...(byOpr.get(o.orderProductRelationId) ?? []), o]);
  return {
    options: byOpr,
    ticketInfos: new Map(ticketInfos.map((x) => [x.orderProductRelationId, x])),
    products: new Map(products.map((p) => [p.id, p])),
    groups: new Map(groups.map((g) => [g.id, g])),
    optionRows: new Map(optionRows.map((o) => [o.id, o])),
  };
}

function itemDto(
  opr: OrderProductRelation,
  loaded: Omit<LoadedItems, 'items'>,
  refundFacts: RefundOrderFacts | null,
  ctx: ViewContext,
): OrderItemDto {
  const product = loaded.products.get(opr.productId)!;
  const category = product.get('category') as Category | undefined;
  const isTicket = !!category?.isTicket;
  const holder = loaded.ticketInfos.get(opr.id);
  const reason = refundFacts
    ? notRefundableReason(
        { id: opr.id, status: opr.status, price: opr.price, donationPrice: opr.donationPrice, refundableEndsAt: product.refundableEndsAt },
        refundFacts,
        ctx.now,
      )
    : notRefundableReason(
        { id: opr.id, status: opr.status, price: opr.price, donationPrice: opr.donationPrice, refundableEndsAt: product.refundableEndsAt },
        null,
        ctx.now,
      );
  return {
    id: opr.id,
    status: opr.status,
    price: opr.price,
    donation_price: opr.donationPrice,
    not_refundable_reason: reason?.text ?? null,
    scancode_url: isTicket ? scancodeUrl(ctx.backendDomain, signScancodeToken('opr', opr.id, ctx.scancodeSalts)) : null,
    is_ticket: isTicket,
    ticket_info: holder ? ticketInfoDto(holder) : null,
    certificate_status: certificateStatus({
      itemStatus: opr.status,
      isTicket,
      hasEvent: !!category?.eventId && !!loaded.liveEvents?.has(category.eventId),
      document: loaded.documents?.get(opr.id) ?? null,
    }),
    product: {
      id: product.id,
      name: tr(ctx.lang, product.nameKo, product.nameEn),
      price: product.price,
      image: product.image,
      donation_allowed: product.donationAllowed,
    },
    options: (loaded.options.get(opr.id) ?? []).map((o) => {
      const g = loaded.groups.get(o.productOptionGroupId)!;
      const opt = o.productOptionId ? loaded.optionRows.get(o.productOptionId) : undefined;
      return {
        id: o.id,
        product_option_group: {
          id: g.id,
          name: tr(ctx.lang, g.nameKo, g.nameEn),
          is_custom_response: g.isCustomResponse,
          custom_response_pattern: g.isCustomResponse ? g.customResponsePattern : null,
          response_modifiable_ends_at: g.responseModifiableEndsAt?.toISOString() ?? null,
          placeholder_mode: g.placeholderMode,
        },
        product_option: opt ? { id: opt.id, name: tr(ctx.lang, opt.nameKo, opt.nameEn), additional_price: opt.additionalPrice } : null,
        custom_response: g.isCustomResponse ? o.customResponse : null,
      };
    }),
  };
}

const customerDto = (c: CustomerInfo | undefined | null): CustomerInfoDto | null =>
  c ? { name: c.name, phone: c.phone, email: c.email, organization: c.organization } : null;

/**
 * Everything the views of these orders show, in ONE statement (the cart view used to cost six):
 * the live orders, their live items (created_at, id), ledger rows (newest first), customer infos and option
 * answers (created_at, id), and the catalogue rows they name — products with their categories, option
 * groups and options, soft-deleted ones included (a past order keeps its names).
 *
 * `viewSql` is the statement's CTEs (without `WITH`) and SELECT for the order ids `ids` (SQL of a uuid[]);
 * `written` names CTEs of rows the same statement inserts (`… RETURNING *`), which its snapshot cannot see:
 * they are added to the orders / items / option answers / ledger rows / customer infos read (cart add writes
 * and views in one statement); `updated` names CTEs of rows it updates (`… RETURNING *`): they replace the rows
 * with the same id (the webhook's paid write and its notification's view, cart checkout's write and its answer).
 */
export function viewSql(
  ids: string,
  written: { orders?: string; items?: string; options?: string; ticketInfos?: string; histories?: string; infos?: string } = {},
  updated: { orders?: string; items?: string; infos?: string } = {},
  /** more columns for the SELECT list (`, (…) AS name`) */
  extra = '',
): string {
  const plus = (cte: string | undefined) => (cte ? ` UNION ALL SELECT * FROM ${cte}` : '');
  const replaced = (cte: string | undefined) => (cte ? ` AND id NOT IN (SELECT id FROM ${cte}) UNION ALL SELECT * FROM ${cte}` : '');
  // products, categories, option groups and options by \`id = ANY(ARRAY(…))\`, not \`id IN (SELECT …)\`: the
  // generic plan expects ~20 rows from the CTE and hashes it against a sequential scan of the whole table (all
  // 2,000 options: 0.9 ms of the webhook's 1.2 ms view read on the bench); an array of ids is looked up in the
  // primary key
  return `
  i AS MATERIALIZED (
         SELECT * FROM order_product_relations WHERE order_id = ANY(${ids}) AND deleted_at IS NULL${replaced(updated.items)}${plus(written.items)}),
       op AS MATERIALIZED (
         SELECT * FROM order_product_option_relations
          WHERE order_product_relation_id IN (SELECT id FROM i) AND deleted_at IS NULL${plus(written.options)}),
       p AS MATERIALIZED (SELECT * FROM products WHERE id = ANY(ARRAY(SELECT DISTINCT product_id FROM i)))
  SELECT
    (SELECT json_agg(o) FROM (SELECT * FROM orders WHERE id = ANY(${ids}) AND deleted_at IS NULL${replaced(updated.orders)}${plus(written.orders)}) o) AS orders,
    (SELECT json_agg(i ORDER BY i.created_at, i.id) FROM i) AS items,
    (SELECT json_agg(h ORDER BY h.created_at DESC, h.id DESC)
       FROM (SELECT * FROM payment_histories WHERE order_id = ANY(${ids}) AND deleted_at IS NULL${plus(written.histories)}) h) AS histories,
    (SELECT json_agg(c) FROM (SELECT * FROM customer_infos WHERE order_id = ANY(${ids}) AND deleted_at IS NULL${replaced(updated.infos)}${plus(written.infos)}) c) AS infos,
    (SELECT json_agg(op ORDER BY op.created_at, op.id) FROM op) AS options,
    (SELECT json_agg(ti) FROM (SELECT * FROM ticket_infos
                                WHERE order_product_relation_id IN (SELECT id FROM i) AND deleted_at IS NULL${plus(written.ticketInfos)}) ti) AS ticket_infos,
    (SELECT json_agg(p) FROM p) AS products,
    (SELECT json_agg(c) FROM categories c WHERE c.id = ANY(ARRAY(SELECT DISTINCT category_id FROM p))) AS categories,
    (SELECT json_agg(g) FROM option_groups g WHERE g.id = ANY(ARRAY(SELECT DISTINCT product_option_group_id FROM op))) AS groups,
    (SELECT json_agg(x) FROM options x WHERE x.id = ANY(ARRAY(SELECT DISTINCT product_option_id FROM op))) AS option_rows,
    (SELECT json_agg(json_build_object('opr', d.order_product_relation_id, 'revoked_at', d.revoked_at)) FROM issued_documents d
      WHERE d.order_product_relation_id IN (SELECT id FROM i WHERE status = 'used') AND d.deleted_at IS NULL) AS documents,
    (SELECT json_agg(e.id) FROM events e
      WHERE e.id IN (SELECT c.event_id FROM categories c WHERE c.id IN (SELECT category_id FROM p)) AND e.deleted_at IS NULL) AS live_events${extra}`;
}

const VIEW_SQL = `WITH ${viewSql('$1::uuid[]')}`;

/**
 * Rows a statement wrote, as it returned them (`… RETURNING *` as JSON), for `overlayWritten` (not the CTE
 * names of src/services/order-events.ts `WrittenRows`).
 */
export interface ReturnedRows {
  orders?: Array<Record<string, unknown>>;
  items?: Array<Record<string, unknown>>;
  infos?: Array<Record<string, unknown>>;
}

/**
 * A `viewSql` row read before a statement that wrote some of its rows, with those rows as written: each
 * replaces the row with its id (in place: the order of the list stays), a new one is added — what `viewSql`'s
 * `written` / `updated` CTEs give when the view is read by the writing statement itself. Cart checkout reads
 * its view before it takes the stock locks, so that the statement under them only writes.
 */
export function overlayWritten(row: ViewRow, written: ReturnedRows): ViewRow {
  const overlay = (list: JsonRows, rows: Array<Record<string, unknown>> | undefined): JsonRows => {
    if (!rows?.length) return list;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const out = (list ?? []).map((r) => byId.get(r.id) ?? r);
    const read = new Set((list ?? []).map((r) => r.id));
    return out.concat(rows.filter((r) => !read.has(r.id)));
  };
  return { ...row, orders: overlay(row.orders, written.orders), items: overlay(row.items, written.items), infos: overlay(row.infos, written.infos) };
}

type JsonRows = Array<Record<string, unknown>> | null;

/** Orders (carts or purchased) by id, in the given order. */
export async function orderViews(orderIds: string[], ctx: ViewContext): Promise<OrderDto[]> {
  if (orderIds.length === 0) return [];
  const t = ctx.transaction;
  // prepared (planned on every run, this statement took ~1.6 ms to plan against ~0.4 ms to run): in a
  // transaction with its generic plan (src/db/pipeline.ts), else as a named statement of the connection,
  // whose plan PostgreSQL keeps (src/db/named-query.ts)
  const [r] = await preparedRead<ViewRow>(Order.sequelize!, t, VIEW_SQL, [orderIds]);
  return orderViewsFromRow(orderIds, r, ctx);
}

/** The columns `viewSql` selects. */
export type ViewRow = Record<'orders' | 'items' | 'histories' | 'infos' | 'options' | 'ticket_infos' | 'products' | 'categories' | 'groups' | 'option_rows', JsonRows> & {
  documents?: Array<{ opr: string; revoked_at: string | null }> | null;
  live_events?: string[] | null;
};

const jsonRows = <M extends Model>(model: ModelStatic<M>, list: JsonRows | undefined): M[] => (list ?? []).map((row) => hydrate(model, row));

/** The catalogue rows and option answers of the one row of `viewSql`, as `loadItems` gives them. */
function loadedFromRow(r: ViewRow | undefined): Omit<LoadedItems, 'items'> {
  const categories = new Map(jsonRows(Category, r?.categories).map((c) => [c.id, c]));
  const products = jsonRows(Product, r?.products);
  for (const p of products) p.setDataValue('category' as never, (categories.get(p.categoryId) ?? null) as never);
  const byOpr = new Map<string, OrderProductOptionRelation[]>();
  for (const o of jsonRows(OrderProductOptionRelation, r?.options)) byOpr.set(o.orderProductRelationId, [...(byOpr.get(o.orderProductRelationId) ?? []), o]);
  return {
    options: byOpr,
    ticketInfos: new Map(jsonRows(TicketInfo, r?.ticket_infos).map((x) => [x.orderProductRelationId, x])),
    products: new Map(products.map((p) => [p.id, p])),
    groups: new Map(jsonRows(OptionGroup, r?.groups).map((g) => [g.id, g])),
    optionRows: new Map(jsonRows(Option, r?.option_rows).map((o) => [o.id, o])),
    documents: new Map((r?.documents ?? []).map((d) => [d.opr, { revokedAt: d.revoked_at }])),
    liveEvents: new Set(r?.live_events ?? []),
  };
}

/** The views of these orders from the one row of `viewSql`. */
export function orderViewsFromRow(orderIds: string[], r: ViewRow | undefined, ctx: ViewContext): OrderDto[] {
  const orders = jsonRows(Order, r?.orders);
  const oprs = jsonRows(OrderProductRelation, r?.items);
  const histories = jsonRows(PaymentHistory, r?.histories);
  const infos = jsonRows(CustomerInfo, r?.infos);
  const loaded = loadedFromRow(r);
  const byId = new Map(orders.map((o) => [o.id, o]));
  return orderIds
    .map((id) => byId.get(id))
    .filter((o): o is Order => !!o)
    .map((order) => {
      const items = oprs.filter((o) => o.orderId === order.id);
      const phs = histories.filter((h) => h.orderId === order.id);
      const derived = deriveOrderPayment(phs.map((h) => ({ status: h.status, price: h.price, impId: h.impId, createdAt: h.createdAt })));
      const refundFacts: RefundOrderFacts = {
        latestImpId: derived.latestImpId,
        currentStatus: derived.currentStatus,
        currentPaidPrice: derived.currentPaidPrice,
        items: items.map((i) => ({
          id: i.id,
          status: i.status,
          price: i.price,
          donationPrice: i.donationPrice,
          refundableEndsAt: loaded.products.get(i.productId)!.refundableEndsAt,
        })),
      };
      const fullReason = notFullyRefundableReason(refundFacts, ctx.now);
      return {
        id: order.id,
        name: tr(ctx.lang, order.nameKo, order.nameEn),
        merchant_uid: order.preparedCartHash ? merchantUid(order.id, order.preparedCartHash) : null,
        first_paid_price: items.reduce((s, i) => s + i.price + i.donationPrice, 0),
        current_paid_price: derived.currentPaidPrice,
        current_status: derived.currentStatus,
        not_fully_refundable_reason: fullReason?.text ?? null,
        created_at: order.createdAt.toISOString(),
        first_paid_at: derived.firstPaidAt?.toISOString() ?? null,
        scancode_url: scancodeUrl(ctx.backendDomain, signScancodeToken('order', order.id, ctx.scancodeSalts)),
        payment_histories: phs.map((h) => ({ price: h.price, status: h.status })),
        products: items.map((i) => itemDto(i, loaded, phs.length ? refundFacts : null, ctx)),
        customer_info: customerDto(infos.find((c) => c.orderId === order.id)),
      };
    });
}

export async function orderView(orderId: string, ctx: ViewContext): Promise<OrderDto | null> {
  return (await orderViews([orderId], ctx))[0] ?? null;
}

/** A buy-now cart in the Order shape (spec §1.11: no history, pending, nothing paid yet). */
export async function singleProductCartView(spcId: string, ctx: ViewContext): Promise<OrderDto | null> {
  const t = ctx.transaction;
  const spc = await SingleProductCart.findByPk(spcId, { transaction: t });
  if (!spc) return null;
  const [opr, info] = await parallel(
    t,
    () => OrderProductRelation.findByPk(spc.orderProductRelationId, { transaction: t }),
    () => CustomerInfo.findOne({ where: { singleProductCartId: spc.id }, transaction: t }),
  );
  if (!opr) return null;
  return spcDto(spc, opr, info, await loadItems([opr], t), ctx);
}

/**
 * A buy-now cart's view from the row of `viewSql` of a statement that wrote its item (no order id: `ids` is
 * empty, the item and its answers come from `written`) — the cart and its customer info as just written.
 */
export function singleProductCartViewFromRow(spc: SingleProductCart, info: CustomerInfo | null, r: ViewRow | undefined, ctx: ViewContext): OrderDto {
  const opr = jsonRows(OrderProductRelation, r?.items).find((i) => i.id === spc.orderProductRelationId)!;
  return spcDto(spc, opr, info, loadedFromRow(r), ctx);
}

function spcDto(spc: SingleProductCart, opr: OrderProductRelation, info: CustomerInfo | null, loaded: Omit<LoadedItems, 'items'>, ctx: ViewContext): OrderDto {
  const product = loaded.products.get(opr.productId)!;
  return {
    id: spc.id,
    name: tr(ctx.lang, product.nameKo, product.nameEn),
    merchant_uid: spc.preparedCartHash ? merchantUid(spc.id, spc.preparedCartHash) : null,
    first_paid_price: opr.price + opr.donationPrice,
    current_paid_price: 0,
    current_status: 'pending',
    not_fully_refundable_reason: null,
    created_at: spc.createdAt.toISOString(),
    first_paid_at: null,
    scancode_url: null,
    payment_histories: [],
    products: [itemDto(opr, loaded, null, ctx)],
    customer_info: customerDto(info),
  };
}
