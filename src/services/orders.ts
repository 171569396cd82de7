/**
 * The buyer's purchased orders (spec §5.7, §5.10) and the public patron list (§9).
 */
import { Op, QueryTypes, literal, type Sequelize } from 'sequelize';
import { Order, OrderProductRelation, OrderProductOptionRelation, OptionGroup } from '../models/index.js';
import { answerNotEditableReason } from '../domain/catalog/windows.js';
import { matchesCustomResponse } from '../domain/cart/orderability.js';
import { Messages, fieldError, type FieldError } from '../domain/messages.js';
import { FieldMessages } from '../domain/cart/customer-info.js';
import { orderView, orderViews, type OrderDto } from './order-view.js';
import { ShopError, type CallContext, type ShopDeps } from './cart.js';
import { prepareHolderEdit } from './ticket-info.js';

const HAS_HISTORY = literal(
  `EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = "Order"."id" AND ph.deleted_at IS NULL)`,
);

const viewCtx = (deps: ShopDeps, c: CallContext) => ({ lang: c.lang, now: c.now, backendDomain: deps.backendDomain, scancodeSalts: deps.scancodeSalts });

/** first_paid_at of an order: its oldest live ledger row. */
const FIRST_PAID_AT = literal(`(SELECT min(ph.created_at) FROM payment_histories ph WHERE ph.order_id = "Order"."id" AND ph.deleted_at IS NULL)`);

/** The buyer's purchased orders, by first payment time (newest first, none last), then newest created. */
export async function listOrders(deps: ShopDeps, c: CallContext): Promise<OrderDto[]> {
  const orders = await Order.findAll({
    where: { userId: c.userId, [Op.and]: [HAS_HISTORY] },
    order: [[FIRST_PAID_AT, 'DESC NULLS LAST'], ['createdAt', 'DESC'], ['id', 'DESC']],
    attributes: ['id'],
  });
  return orderViews(orders.map((o) => o.id), viewCtx(deps, c));
}

/** The buyer's purchased order (one with payment history), or null. */
export async function findPurchasedOrder(userId: number, orderId: string): Promise<Order | null> {
  return Order.findOne({ where: { id: orderId, userId, [Op.and]: [HAS_HISTORY] } });
}

export async function getOrder(deps: ShopDeps, c: CallContext, orderId: string): Promise<OrderDto> {
  const order = await findPurchasedOrder(c.userId, orderId);
  if (!order) throw ShopError.notFound('주문을 찾을 수 없습니다.');
  return (await orderView(order.id, viewCtx(deps, c)))!;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The old client's answer edit (`PATCH …/{oprId}/options/`, spec §5.10): the body is the answers array; the
 * answer is the whole order.
 */
export async function editItemAnswers(deps: ShopDeps, c: CallContext, orderId: string, oprId: string, body: unknown): Promise<OrderDto> {
  if (!Array.isArray(body)) {
    throw ShopError.validation([{ code: 'not_a_list', detail: '항목 목록(JSON 배열)이 필요합니다.', attr: 'non_field_errors' }]);
  }
  await updateItem(deps, c, orderId, oprId, { options: body }, '');
  return (await orderView(orderId, viewCtx(deps, c)))!;
}

/**
 * The current client's item edit (`PATCH …/{oprId}/`, body `{options?, ticket_info?}`, answered 204): the
 * free-text answers (their rules and deadline as above) and the ticket holder (no deadline; created when
 * missing, else the given keys updated), saved together or not at all. Only the buyer's own `paid` item of a
 * purchased order; anything else is 404.
 */
export async function editItem(deps: ShopDeps, c: CallContext, orderId: string, oprId: string, body: unknown): Promise<void> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ShopError.validation([{ code: 'invalid', detail: '잘못된 요청 형식입니다. JSON 객체가 필요합니다.', attr: 'non_field_errors' }]);
  }
  const b = body as Record<string, unknown>;
  if (b.options !== undefined && !Array.isArray(b.options)) {
    throw ShopError.validation([fieldError(FieldMessages.NOT_A_LIST, 'options', typeof b.options === 'string' ? 'str' : typeof b.options)]);
  }
  await updateItem(deps, c, orderId, oprId, { options: b.options as unknown[] | undefined, ticketInfo: b.ticket_info ?? undefined }, 'options.');
}

async function updateItem(
  deps: ShopDeps,
  c: CallContext,
  orderId: string,
  oprId: string,
  edit: { options?: unknown[]; ticketInfo?: unknown },
  optionsPrefix: string,
): Promise<void> {
  await deps.sequelize.transaction(async (t) => {
    const order = await Order.findOne({ where: { id: orderId, userId: c.userId, [Op.and]: [HAS_HISTORY] }, transaction: t, lock: t.LOCK.UPDATE });
    const opr = order ? await OrderProductRelation.findOne({ where: { id: oprId, orderId: order.id, status: 'paid' }, transaction: t }) : null;
    if (!order || !opr) throw ShopError.notFound('주문 상품을 찾을 수 없습니다.');

    // field level: shapes and references, all collected (the holder's too)
    const errors: FieldError[] = [];
    const entries: Array<{ opor: OrderProductOptionRelation; group: OptionGroup; answer: string } | null> = [];
    for (const [i, raw] of (edit.options ?? []).entries()) {
      const at = (f: string) => `${optionsPrefix}${i}.${f}`;
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        errors.push({ code: 'invalid', detail: '잘못된 형식입니다.', attr: at('non_field_errors') });
        entries.push(null);
        continue;
      }
      const e = raw as Record<string, unknown>;
      const id = e.order_product_option_relation;
      const answer = e.custom_response;
      let ok = true;
      if (answer === undefined) errors.push(fieldError(FieldMessages.REQUIRED, at('custom_response'))), (ok = false);
      else if (answer === null) errors.push(fieldError(FieldMessages.NULL, at('custom_response'))), (ok = false);
      else if (typeof answer !== 'string') errors.push(fieldError(FieldMessages.INVALID_STRING, at('custom_response'))), (ok = false);
      else if (answer.trim() === '') errors.push(fieldError(FieldMessages.BLANK, at('custom_response'))), (ok = false);
      let opor: OrderProductOptionRelation | null = null;
      let group: OptionGroup | null = null;
      if (id === undefined) errors.push(fieldError(FieldMessages.REQUIRED, at('order_product_option_relation'))), (ok = false);
      else {
        opor = typeof id === 'string' && UUID_RE.test(id) ? await OrderProductOptionRelation.findByPk(id, { transaction: t }) : null;
        const parent = opor ? await OrderProductRelation.findByPk(opor.orderProductRelationId, { transaction: t }) : null;
        group = opor ? await OptionGroup.findByPk(opor.productOptionGroupId, { transaction: t, paranoid: false }) : null;
        if (!opor || !parent || parent.status !== 'paid' || !group?.isCustomResponse) {
          errors.push(fieldError(FieldMessages.DOES_NOT_EXIST, at('order_product_option_relation'), String(id)));
          ok = false;
        }
      }
      entries.push(ok ? { opor: opor!, group: group!, answer: (answer as string).trim() } : null);
    }
    const holder = edit.ticketInfo === undefined ? null : await prepareHolderEdit(opr.id, opr.productId, { raw: edit.ticketInfo }, c.lang, t);
    if (holder) errors.push(...holder.errors);
    if (errors.length) throw ShopError.validation(errors);

    // then the answers' rules, in order (post-validation errors carry attr null, as in the original)
    for (const entry of entries) {
      const { opor, group, answer } = entry!;
      if (opor.orderProductRelationId !== opr.id) throw ShopError.validation([fieldError(Messages.NotModifiable.ORDER_PRODUCT_OPTION_RELATION_MISMATCH, null)]);
      const notEditable = answerNotEditableReason(group.responseModifiableEndsAt, c.now);
      if (notEditable) throw ShopError.validation([fieldError(notEditable, null)]);
      if (!matchesCustomResponse(group.customResponsePattern, answer)) {
        throw ShopError.validation([fieldError(Messages.NotModifiable.CUSTOM_RESPONSE_PATTERN_MISMATCH, null)]);
      }
      await opor.update({ customResponse: answer }, { transaction: t });
    }
    await holder?.apply();
  });
}

export interface PatronDto {
  name: string | null;
  contribution_message: string;
}

/**
 * Patrons of a year (spec §9): live orders whose latest status is completed|partial_refunded holding a paid
 * or used unit of a donation product; sorted by what the order paid (desc), then oldest first. The year is
 * the order's creation year in Asia/Seoul. The message is the first non-empty `contribution_message` of the
 * order's ticket holders; orders without one (non-ticket patron products, orders from before holders) keep
 * the old source, the "후원자…" free-text answer.
 */
export async function listPatrons(sequelize: Sequelize, year: number | null): Promise<PatronDto[]> {
  return sequelize.query<PatronDto>(
    `WITH latest AS (
       SELECT DISTINCT ON (ph.order_id) ph.order_id, ph.status
         FROM payment_histories ph WHERE ph.deleted_at IS NULL
        ORDER BY ph.order_id, ph.created_at DESC, ph.id DESC
     ), paid AS (
       SELECT opr.order_id, sum(opr.price + opr.donation_price) AS total, bool_or(p.donation_allowed) AS patron
         FROM order_product_relations opr JOIN products p ON p.id = opr.product_id
        WHERE opr.deleted_at IS NULL AND opr.status IN ('paid', 'used')
        GROUP BY opr.order_id
     )
     SELECT ci.name AS name,
            COALESCE((
              SELECT ti.contribution_message
                FROM order_product_relations opr1
                JOIN ticket_infos ti ON ti.order_product_relation_id = opr1.id AND ti.deleted_at IS NULL
               WHERE opr1.order_id = o.id AND opr1.deleted_at IS NULL AND COALESCE(ti.contribution_message, '') <> ''
               ORDER BY opr1.created_at, opr1.id LIMIT 1), (
              SELECT opor.custom_response
                FROM order_product_relations opr2
                JOIN order_product_option_relations opor ON opor.order_product_relation_id = opr2.id AND opor.deleted_at IS NULL
                JOIN option_groups og ON og.id = opor.product_option_group_id
               WHERE opr2.order_id = o.id AND opr2.deleted_at IS NULL AND og.is_custom_response AND og.name_ko LIKE '%후원자%'
               ORDER BY opor.created_at, opor.id LIMIT 1), '') AS contribution_message
       FROM orders o
       JOIN latest l ON l.order_id = o.id AND l.status IN ('completed', 'partial_refunded')
       JOIN paid ON paid.order_id = o.id AND paid.patron
       LEFT JOIN customer_infos ci ON ci.order_id = o.id AND ci.deleted_at IS NULL
      WHERE o.deleted_at IS NULL
        AND (CAST(:year AS int) IS NULL OR extract(year FROM o.created_at AT TIME ZONE 'Asia/Seoul') = CAST(:year AS int))
      ORDER BY paid.total DESC, o.created_at ASC`,
    { type: QueryTypes.SELECT, replacements: { year } },
  );
}
