/**
 * The one refund service (spec §3.6), used by every path: the buyer (whole order or one item, refund
 * window enforced), operators in the admin panel and the registration desk (window skipped, TOTP of a
 * named staff authorizer required).
 *
 * Steps, all under the order's row lock so concurrent refunds of one order refund once:
 *   lock order → (admin/desk) verify + consume the authorizer's code → re-evaluate the reason on the locked
 *   rows → record a refund attempt (own connection) → PortOne cancel {imp_uid, amount, checksum = balance}
 *   → items refunded + PaymentHistory appended + audit → commit → attempt completed.
 * PortOne failing (HTTP error or code ≠ 0) changes nothing and answers 502. PortOne succeeding and the local
 * commit failing leaves the attempt in `cancelled_at_portone` for reconciliation; PortOne's checksum makes a
 * retry of the same refund fail safely instead of cancelling twice.
 */
import type { Sequelize, Transaction } from 'sequelize';
import { AuditLog, Order, OrderProductRelation, PaymentHistory, Product, RefundAttempt } from '../models/index.js';
import { deriveOrderPayment, type PaymentStatus } from '../domain/payment/status.js';
import {
  notFullyRefundableReason,
  notRefundableReason,
  planFullRefund,
  planItemRefund,
  type RefundOrderFacts,
} from '../domain/refund/reasons.js';
import { fieldError } from '../domain/messages.js';
import type { PortOneClient } from '../portone/client.js';
import { ServiceError } from './errors.js';
import { verifyAuthorizer } from './totp.js';
import { emitOrderEvent } from './order-events.js';
import { currentActor } from '../context.js';
import { logger } from '../logger.js';

export type RefundChannel = 'buyer' | 'admin' | 'desk';

export interface RefundDeps {
  sequelize: Sequelize;
  portone: PortOneClient;
  secretKey: string;
}

export interface RefundRequest {
  orderId: string;
  /** an OPR id for a per-item refund; absent = the whole order */
  itemId?: string | null;
  channel: RefundChannel;
  /** channel 'buyer': the order must belong to this user */
  buyerUserId?: number;
  /** channel 'admin' | 'desk': the staff member authorizing, and their current TOTP code */
  authorizerUserId?: number | null;
  totp?: string | null;
  reason?: string | null;
}

export interface RefundOutcome {
  orderId: string;
  refunded: number;
  status: PaymentStatus;
  remaining: number;
  itemIds: string[];
}

export interface RefundPreview {
  orderId: string;
  kind: 'full' | 'item';
  amount: number;
  checksum: number;
  resultingStatus: PaymentStatus;
  refundable: boolean;
  reason: string | null;
  items: Array<{ id: string; productName: string; status: string; amount: number; notRefundableReason: string | null }>;
}

interface Loaded {
  order: Order;
  facts: RefundOrderFacts;
  names: Map<string, string>;
}

async function load(orderId: string, t: Transaction | undefined, lock: boolean): Promise<Loaded | null> {
  const order = await Order.findByPk(orderId, { transaction: t, lock: lock && t ? t.LOCK.UPDATE : undefined });
  if (!order) return null;
  const [items, phs] = await Promise.all([
    OrderProductRelation.findAll({ where: { orderId }, order: [['createdAt', 'ASC'], ['id', 'ASC']], transaction: t }),
    PaymentHistory.findAll({ where: { orderId }, transaction: t }),
  ]);
  if (phs.length === 0) return null; // a cart is not an order
  const products = await Product.findAll({ where: { id: [...new Set(items.map((i) => i.productId))] }, paranoid: false, transaction: t });
  const byId = new Map(products.map((p) => [p.id, p]));
  const d = deriveOrderPayment(phs);
  return {
    order,
    names: new Map(items.map((i) => [i.id, byId.get(i.productId)?.nameKo ?? ''])),
    facts: {
      latestImpId: d.latestImpId,
      currentStatus: d.currentStatus,
      currentPaidPrice: d.currentPaidPrice,
      items: items.map((i) => ({
        id: i.id,
        status: i.status,
        price: i.price,
        donationPrice: i.donationPrice,
        refundableEndsAt: byId.has(i.productId) ? byId.get(i.productId)!.refundableEndsAt : new Date(0), // null = not refundable
      })),
    },
  };
}

function notFound(): ServiceError {
  return ServiceError.notFound('주문을 찾을 수 없습니다.');
}

/** What a refund would do, without doing it (the admin refund view shows this). */
export async function previewRefund(req: RefundRequest, now = new Date()): Promise<RefundPreview> {
  const loaded = await load(req.orderId, undefined, false);
  if (!loaded || (req.channel === 'buyer' && loaded.order.userId !== req.buyerUserId)) throw notFound();
  const ignoreWindow = req.channel !== 'buyer';
  const { facts } = loaded;
  const items = facts.items.map((i) => ({
    id: i.id,
    productName: loaded.names.get(i.id) ?? '',
    status: i.status,
    amount: i.price + i.donationPrice,
    notRefundableReason: notRefundableReason(i, facts, now, { ignoreWindow })?.text ?? null,
  }));
  if (req.itemId) {
    const item = facts.items.find((i) => i.id === req.itemId);
    if (!item) throw ServiceError.notFound('주문 상품을 찾을 수 없습니다.');
    const reason = notRefundableReason(item, facts, now, { ignoreWindow });
    const plan = planItemRefund(item, facts);
    return { orderId: req.orderId, kind: 'item', amount: plan.refund, checksum: plan.checksum, resultingStatus: plan.nextStatus, refundable: !reason, reason: reason?.text ?? null, items };
  }
  const reason = notFullyRefundableReason(facts, now, { ignoreWindow });
  const plan = planFullRefund(facts);
  return { orderId: req.orderId, kind: 'full', amount: plan.amount, checksum: plan.checksum, resultingStatus: 'refunded', refundable: !reason, reason: reason?.text ?? null, items };
}

export async function refund(deps: RefundDeps, req: RefundRequest, now = new Date()): Promise<RefundOutcome> {
  const actor = currentActor();
  let attempt: RefundAttempt | null = null;
  let cancelled = false;
  try {
    const outcome = await deps.sequelize.transaction(async (t) => {
      const loaded = await load(req.orderId, t, true);
      if (!loaded || (req.channel === 'buyer' && loaded.order.userId !== req.buyerUserId)) throw notFound();
      const { order, facts } = loaded;

      let authorizerId: number | null = null;
      if (req.channel !== 'buyer') {
        const authorizer = await verifyAuthorizer(req.authorizerUserId, req.totp, { secretKey: deps.secretKey, transaction: t, now });
        authorizerId = authorizer.id;
      }
      const ignoreWindow = req.channel !== 'buyer';

      let amount: number;
      let checksum: number;
      let nextStatus: PaymentStatus;
      let remaining: number;
      let itemIds: string[];
      if (req.itemId) {
        const item = facts.items.find((i) => i.id === req.itemId);
        if (!item || (req.channel === 'buyer' && item.status !== 'paid')) throw ServiceError.notFound('주문 상품을 찾을 수 없습니다.');
        const reason = notRefundableReason(item, facts, now, { ignoreWindow });
        if (reason) throw ServiceError.validation([fieldError(reason, 'non_field_errors')]);
        const plan = planItemRefund(item, facts);
        ({ refund: amount, checksum, nextStatus, after: remaining } = plan);
        itemIds = [item.id];
      } else {
        const reason = notFullyRefundableReason(facts, now, { ignoreWindow });
        if (reason) throw ServiceError.validation([fieldError(reason, 'non_field_errors')]);
        const plan = planFullRefund(facts);
        ({ amount, checksum, nextStatus, itemIds } = plan);
        remaining = 0;
      }

      // Recorded on its own connection, before PortOne is asked: survives a rollback of this transaction.
      attempt = await RefundAttempt.create({
        orderId: order.id,
        orderProductRelationId: req.itemId ?? null,
        impUid: facts.latestImpId,
        amount,
        checksum,
        channel: req.channel,
        status: 'requested',
        actorLabel: actor.label,
        authorizerUserId: authorizerId,
        reason: req.reason ?? null,
      });
      let response: unknown;
      try {
        response = await deps.portone.cancelPayment({
          impUid: facts.latestImpId!,
          amount,
          checksum,
          reason: req.reason ?? (req.itemId ? '주문 상품 환불' : '주문 전체 환불'),
        });
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        await attempt.update({ status: 'failed', error: detail });
        throw ServiceError.server(502, 'portone_error', `PortOne 환불 요청에 실패했습니다. 잠시 후 다시 시도해주세요. (${detail})`);
      }
      cancelled = true;
      await attempt.update({ status: 'cancelled_at_portone', portoneResponse: response });

      await OrderProductRelation.update({ status: 'refunded' }, { where: { id: itemIds, orderId: order.id }, transaction: t, individualHooks: true });
      await PaymentHistory.create({ orderId: order.id, impId: facts.latestImpId, status: nextStatus, price: remaining }, { transaction: t });
      await AuditLog.create(
        {
          tableName: 'orders',
          recordId: order.id,
          action: req.itemId ? 'shop.order.item_refunded' : 'shop.order.refunded',
          actorUserId: actor.userId,
          actorLabel: actor.label,
          reason: req.reason ?? null,
          before: { status: facts.currentStatus, paid: facts.currentPaidPrice },
          after: { status: nextStatus, paid: remaining, refunded: amount, items: itemIds, channel: req.channel, authorizer_user_id: authorizerId },
        },
        { transaction: t },
      );
      await emitOrderEvent('refunded', order.id, t);
      return { orderId: order.id, refunded: amount, status: nextStatus, remaining, itemIds };
    });
    await (attempt as RefundAttempt | null)?.update({ status: 'completed' });
    return outcome;
  } catch (e) {
    if (cancelled && attempt) {
      // PortOne returned the money but our commit failed: never lose it (reconciliation lists these).
      logger.error('refund cancelled at PortOne but not recorded locally', { orderId: req.orderId, attempt: (attempt as RefundAttempt).id });
      await (attempt as RefundAttempt).update({ error: e instanceof Error ? e.message : String(e) }).catch(() => {});
    }
    throw e;
  }
}
