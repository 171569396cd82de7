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

const HAS_HISTORY = literal(
  `EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = "Order"."id" AND ph.deleted_at IS NULL)`,
);

const viewCtx = (deps: ShopDeps, c: CallContext) => ({ lang: c.lang, now: c.now, backendDomain: deps.backendDomain, scancodeSalts: deps.scancodeSalts });

export async function listOrders(deps: ShopDeps, c: CallContext): Promise<OrderDto[]> {
  const orders = await Order.findAll({
    where: { userId: c.userId, [Op.and]: [HAS_HISTORY] },
    order: [['createdAt', 'DESC']],
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

/** Edit free-text answers of a paid item until its group's `response_modifiable_ends_at` (spec §5.10). */
export async function editItemAnswers(deps: ShopDeps, c: CallContext, orderId: string, oprId: string, body: unknown): Promise<OrderDto> {
  if (!Array.isArray(body)) {
    throw ShopError.validation([{ code: 'not_a_list', detail: '항목 목록(JSON 배열)이 필요합니다.', attr: 'non_field_errors' }]);
  }
  await deps.sequelize.transaction(async (t) => {
    const order = await Order.findOne({ where: { id: orderId, userId: c.userId, [Op.and]: [HAS_HISTORY] }, transaction: t, lock: t.LOCK.UPDATE });
    const opr = order ? await OrderProductRelation.findOne({ where: { id: oprId, orderId: order.id, status: 'paid' }, transaction: t }) : null;
    if (!order || !opr) throw ShopError.notFound('주문 상품을 찾을 수 없습니다.');

    // field level: shapes and references, all collected
    const errors: FieldError[] = [];
    const entries: Array<{ opor: OrderProductOptionRelation; group: OptionGroup; answer: string } | null> = [];
    for (const [i, raw] of body.entries()) {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        errors.push({ code: 'invalid', detail: '잘못된 형식입니다.', attr: `${i}.non_field_errors` });
        entries.push(null);
        continue;
      }
      const e = raw as Record<string, unknown>;
      const id = e.order_product_option_relation;
      const answer = e.custom_response;
      let ok = true;
      if (answer === undefined) errors.push(fieldError(FieldMessages.REQUIRED, `${i}.custom_response`)), (ok = false);
      else if (answer === null) errors.push(fieldError(FieldMessages.NULL, `${i}.custom_response`)), (ok = false);
      else if (typeof answer !== 'string') errors.push(fieldError(FieldMessages.INVALID_STRING, `${i}.custom_response`)), (ok = false);
      else if (answer.trim() === '') errors.push(fieldError(FieldMessages.BLANK, `${i}.custom_response`)), (ok = false);
      let opor: OrderProductOptionRelation | null = null;
      let group: OptionGroup | null = null;
      if (id === undefined) errors.push(fieldError(FieldMessages.REQUIRED, `${i}.order_product_option_relation`)), (ok = false);
      else {
        opor = typeof id === 'string' && UUID_RE.test(id) ? await OrderProductOptionRelation.findByPk(id, { transaction: t }) : null;
        const parent = opor ? await OrderProductRelation.findByPk(opor.orderProductRelationId, { transaction: t }) : null;
        group = opor ? await OptionGroup.findByPk(opor.productOptionGroupId, { transaction: t, paranoid: false }) : null;
        if (!opor || !parent || parent.status !== 'paid' || !group?.isCustomResponse) {
          errors.push(fieldError(FieldMessages.DOES_NOT_EXIST, `${i}.order_product_option_relation`, String(id)));
          ok = false;
        }
      }
      entries.push(ok ? { opor: opor!, group: group!, answer: (answer as string).trim() } : null);
    }
    if (errors.length) throw ShopError.validation(errors);

    // then the rules, in order (post-validation errors carry attr null, as in the original)
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
  });
  return (await orderView(orderId, viewCtx(deps, c)))!;
}

export interface PatronDto {
  name: string | null;
  contribution_message: string;
}

/**
 * Patrons of a year (spec §9): live orders whose latest status is completed|partial_refunded holding a paid
 * or used unit of a donation product; sorted by what the order paid (desc), then oldest first. The year is
 * the order's creation year in Asia/Seoul.
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
