/**
 * PortOne webhook processing (spec §4.3 + [Δ c15d377], stricter where money is at stake):
 *
 *   1. record `webhook_received`; reject ready / failed / cancelled notifications
 *   2. find the target by merchant_uid (Order, else buy-now cart) — never trust the body
 *   3. fetch the payment from PortOne; require paid, the same merchant_uid, KRW, and the amount + cart hash
 *      of the prepared snapshot; a forged / tampered payment is cancelled at PortOne automatically
 *   4. one transaction: lock (or lock and promote) the order, re-check the preparation, re-validate the
 *      order on rows locked in the fixed order (src/services/payment-revalidation.ts: stock / per-person caps,
 *      items, holders), append PaymentHistory(completed), mark the items paid
 *   5. not orderable any more (e.g. a unit sold meanwhile) → roll back, cancel the payment at PortOne with
 *      ORDER_NOT_ORDERABLE and the reason
 *
 * Every step is logged as PaymentWebhookEvent rows written outside the processing transaction, so the
 * log survives a rollback. Every received webhook leaves at least its `webhook_received` row whatever its
 * body: text PostgreSQL cannot hold (NUL, unpaired surrogates) is stored escaped, and a body that still
 * cannot be stored is kept as (truncated) text. A repeated webhook for an already recorded payment answers 200 and changes
 * nothing.
 */
import type { Sequelize, Transaction } from 'sequelize';
import {
  Order,
  OrderProductRelation,
  SingleProductCart,
  CustomerInfo,
  PaymentHistory,
  PaymentWebhookEvent,
  Product,
  type WebhookEventType,
} from '../models/index.js';
import { parseMerchantUid, matchesPreparation, type SnapshotItemInput } from '../domain/checkout/snapshot.js';
import { deriveOrderPayment } from '../domain/payment/status.js';
import { singleOrderName } from '../domain/cart/order-name.js';
import { Messages, type MessageDef, type FieldError } from '../domain/messages.js';
import type { PortOneClient, PortOnePayment } from '../portone/client.js';
import { PortOneError } from '../portone/client.js';
import { revalidateForPayment } from './payment-revalidation.js';
import { snapshotItems } from './snapshot-items.js';
import { emitOrderEvent } from './order-events.js';
import { logger } from '../logger.js';
import { runAs } from '../context.js';
import { storableJson, storableText } from '../domain/storable.js';

export interface WebhookDeps {
  sequelize: Sequelize;
  portone: PortOneClient;
  secretKey: string;
}

export const WEBHOOK_SUCCESS = { status: 'success', message: '일반 결제 성공' } as const;

interface Target {
  kind: 'order' | 'spc';
  id: string;
  userId: number;
}

class Rejection extends Error {
  constructor(
    readonly error: FieldError,
    readonly cancel: boolean,
    /** further errors of the answer (the reasons behind ORDER_NOT_ORDERABLE) */
    readonly more: FieldError[] = [],
  ) {
    super(error.detail);
  }
}

const reject = (msg: MessageDef, cancel = false, detail?: string) =>
  new Rejection({ code: msg.code, detail: detail ?? msg.text, attr: null }, cancel);

const PAYLOAD_TEXT_MAX = 8000;
const maybeText = (s: string | null | undefined, max?: number) => (s === null || s === undefined ? null : storableText(max ? s.slice(0, max) : s));

export async function logEvent(
  type: WebhookEventType,
  base: { impUid: string | null; merchantUid: string | null; payload: unknown },
  extra: Partial<{ orderId: string | null; spcId: string | null; phId: string | null; reasonCode: string; reason: string; lookup: unknown; cancel: unknown }> = {},
): Promise<void> {
  const row = {
    eventType: type,
    impUid: maybeText(base.impUid, 256),
    merchantUid: maybeText(base.merchantUid, 256),
    requestPayload: storableJson(base.payload ?? null),
    orderId: extra.orderId ?? null,
    singleProductCartId: extra.spcId ?? null,
    paymentHistoryId: extra.phId ?? null,
    reasonCode: maybeText(extra.reasonCode, 128),
    reason: maybeText(extra.reason),
    paymentLookupResponse: storableJson(extra.lookup ?? null),
    cancelResponse: storableJson(extra.cancel ?? null),
  };
  try {
    await PaymentWebhookEvent.create(row);
  } catch (e) {
    // Still not storable (e.g. nested deeper than jsonb allows): keep the body as text rather than nothing.
    let text: string;
    try {
      text = JSON.stringify(base.payload) ?? String(base.payload);
    } catch {
      text = String(base.payload);
    }
    try {
      await PaymentWebhookEvent.create({
        ...row,
        requestPayload: { unstorable_body: storableText(text.slice(0, PAYLOAD_TEXT_MAX)), truncated: text.length > PAYLOAD_TEXT_MAX },
        paymentLookupResponse: null,
        cancelResponse: null,
        reason: storableText(`${row.reason ? `${row.reason} / ` : ''}stored as text: ${e instanceof Error ? e.message : String(e)}`),
      });
    } catch (e2) {
      logger.error('could not write a webhook event', { type, error: String(e2) });
    }
  }
}

/** The active items of an Order or of a buy-now cart, as the snapshot sees them. */
async function currentItems(target: Target, t?: Transaction): Promise<SnapshotItemInput[]> {
  let oprs: OrderProductRelation[];
  if (target.kind === 'order') {
    oprs = await OrderProductRelation.findAll({ where: { orderId: target.id }, transaction: t });
  } else {
    const spc = await SingleProductCart.findByPk(target.id, { transaction: t });
    const opr = spc ? await OrderProductRelation.findByPk(spc.orderProductRelationId, { transaction: t }) : null;
    oprs = opr ? [opr] : [];
  }
  return snapshotItems(oprs, t);
}

async function findTarget(merchantUid: string, t?: Transaction): Promise<{ target: Target | null; knownId: string | null; snapshot: unknown; hash: string | null }> {
  const parsed = parseMerchantUid(merchantUid);
  if (!parsed) return { target: null, knownId: null, snapshot: null, hash: null };
  const found = (kind: Target['kind'], row: Order | SingleProductCart) => ({
    target: row.preparedCartHash === parsed.hash ? { kind, id: row.id, userId: row.userId } : null,
    knownId: row.id,
    snapshot: row.preparedCartSnapshot,
    hash: row.preparedCartHash,
  });
  const order = await Order.findByPk(parsed.id, { transaction: t });
  if (order) return found('order', order);
  const spc = await SingleProductCart.findByPk(parsed.id, { transaction: t });
  if (spc) return found('spc', spc);
  // Neither: a twin webhook may have promoted the buy-now cart between our two reads (the Order did not exist
  // yet, the cart no longer does). The promotion commits both at once, so the Order is there now. (The race
  // test caught this as ORDER_NOT_FOUND answered to a duplicate of a paid buy-now payment.)
  const promoted = await Order.findByPk(parsed.id, { transaction: t });
  if (promoted) return found('order', promoted);
  return { target: null, knownId: null, snapshot: null, hash: null };
}

/** Promote a locked buy-now cart to an Order with the same id (spec §1.8 `to_order`). */
async function promote(spc: SingleProductCart, t: Transaction): Promise<Order> {
  const opr = await OrderProductRelation.findByPk(spc.orderProductRelationId, { transaction: t });
  const product = opr ? await Product.findByPk(opr.productId, { transaction: t, paranoid: false }) : null;
  const name = singleOrderName(product?.nameKo ?? '', product?.nameEn);
  const order = await Order.create(
    {
      id: spc.id,
      userId: spc.userId,
      nameKo: name.ko,
      nameEn: name.en,
      preparedCartSnapshot: spc.preparedCartSnapshot,
      preparedCartHash: spc.preparedCartHash,
      stockHeldUntil: spc.stockHeldUntil,
    },
    { transaction: t },
  );
  if (opr) await opr.update({ orderId: order.id }, { transaction: t });
  await CustomerInfo.update({ orderId: order.id, singleProductCartId: null }, { where: { singleProductCartId: spc.id }, transaction: t, individualHooks: true });
  await spc.destroy({ transaction: t, force: true });
  return order;
}

/**
 * Lock the Order, or lock and promote the buy-now cart; if another webhook promoted it first, lock the Order.
 * (Also the 0-won checkout's way to an Order: src/services/free-checkout.ts.)
 */
export async function lockOrPromote(id: string, t: Transaction): Promise<Order | null> {
  const order = await Order.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
  if (order) return order;
  const spc = await SingleProductCart.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
  if (spc) return promote(spc, t);
  return Order.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
}

export interface WebhookResult {
  status: number;
  body: unknown;
}

/** Process one webhook body. Always resolves with what to answer (never throws for expected failures). */
export async function processWebhook(deps: WebhookDeps, payload: unknown, now = new Date()): Promise<WebhookResult> {
  return runAs({ userId: null, label: 'webhook:portone' }, () => process(deps, payload, now));
}

async function process(deps: WebhookDeps, payload: unknown, now: Date): Promise<WebhookResult> {
  const body = (payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : null);
  const impUid = str(body.imp_uid);
  const merchantUid = str(body.merchant_uid);
  // the body as received (an array or a string too), not only the object view of it
  const base = { impUid, merchantUid, payload: payload === undefined ? null : payload };
  await logEvent('webhook_received', base);

  const fieldErrors: FieldError[] = [];
  if (!impUid) fieldErrors.push({ code: body.imp_uid === undefined ? 'required' : 'invalid', detail: '이 필드는 필수 항목입니다.', attr: 'imp_uid' });
  if (!merchantUid) fieldErrors.push({ code: body.merchant_uid === undefined ? 'required' : 'invalid', detail: '이 필드는 필수 항목입니다.', attr: 'merchant_uid' });
  const status = body.status;
  if (!['paid', 'ready', 'failed', 'cancelled'].includes(String(status))) {
    fieldErrors.push({ code: status === undefined ? 'required' : 'invalid_choice', detail: `"${String(status)}"이 유효하지 않은 선택(choice)입니다.`, attr: 'status' });
  }
  if (fieldErrors.length) {
    await logEvent('payment_rejected', base, { reasonCode: 'validation_error', reason: fieldErrors.map((e) => `${e.attr}: ${e.detail}`).join('; ') });
    return { status: 400, body: { type: 'validation_error', errors: fieldErrors } };
  }

  const rejected = async (r: Rejection, ids: { orderId?: string | null; spcId?: string | null }, payment: PortOnePayment | null): Promise<WebhookResult> => {
    const reason = [r.error, ...r.more].map((e) => e.detail).join(' ');
    await logEvent('payment_rejected', base, { ...ids, reasonCode: r.error.code, reason });
    if (r.cancel && payment) {
      const cancelError = await cancelAtPortOne(deps, payment, r.error.detail, base, ids);
      if (cancelError) return { status: 400, body: { type: 'client_error', errors: [r.error, ...r.more, cancelError] } };
    }
    return { status: 400, body: { type: 'client_error', errors: [r.error, ...r.more] } };
  };

  if (status === 'ready') return rejected(reject(Messages.Webhook.VIRTUAL_ACCOUNT_NOT_SUPPORTED), {}, null);
  if (status === 'failed') return rejected(reject(Messages.Webhook.PURCHASE_FAILED), {}, null);
  if (status === 'cancelled') return rejected(reject(Messages.Webhook.CANCELLED_NOT_SUPPORTED), {}, null);

  const found = await findTarget(merchantUid!);
  const ids = { orderId: found.target?.kind === 'order' ? found.target.id : null, spcId: found.target?.kind === 'spc' ? found.target.id : null };

  let payment: PortOnePayment;
  try {
    payment = await deps.portone.findPayment(impUid!);
    await logEvent('payment_lookup_succeeded', base, { ...ids, lookup: payment });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    await logEvent('payment_lookup_failed', base, { ...ids, reasonCode: 'portone_error', reason: detail });
    return { status: 400, body: { type: 'client_error', errors: [{ code: 'portone_error', detail, attr: null }] } };
  }

  const paidHere = payment.status === 'paid' && payment.merchant_uid === merchantUid;
  if (!found.target) {
    // A real payment for one of our orders whose preparation no longer matches (the cart changed after
    // checkout): nobody will receive anything for it, so give the money back instead of leaving it to a
    // manual refund.
    return rejected(reject(Messages.Webhook.ORDER_NOT_FOUND, paidHere && found.knownId !== null), ids, payment);
  }
  if (payment.status !== 'paid') return rejected(reject(Messages.Webhook.UNEXPECTED_RETRIEVED_ORDER_STATUS), ids, payment);
  if (payment.merchant_uid !== merchantUid) return rejected(reject(Messages.Webhook.UNEXPECTED_RETRIEVED_ORDER_ID), ids, payment);
  if (payment.currency !== 'KRW') return rejected(reject(Messages.Webhook.UNSUPPORTED_CURRENCY, true), ids, payment);
  // 0-won orders complete at checkout, never through PortOne: a paid amount ≤ 0 is not one of ours
  if (!(Number(payment.amount) > 0)) return rejected(reject(Messages.Webhook.UNEXPECTED_PAID_PRICE, true), ids, payment);

  // Idempotency first: the same payment already recorded → 200, nothing changes.
  if (await alreadyRecorded(found.target.id, impUid!)) return { status: 200, body: WEBHOOK_SUCCESS };

  const items = await currentItems(found.target);
  const prepared = matchesPreparation({
    id: found.target.id,
    storedSnapshot: found.snapshot,
    storedHash: found.hash,
    merchantUid,
    amount: payment.amount,
    currentItems: items,
    secret: deps.secretKey,
  });
  if (!prepared) {
    // A duplicate of this notification may have just promoted the buy-now cart and committed (its items now
    // belong to the Order): that is this very payment, recorded — never cancel it.
    if (await alreadyRecorded(found.target.id, impUid!)) return { status: 200, body: WEBHOOK_SUCCESS };
    return rejected(reject(Messages.Webhook.UNEXPECTED_PAID_PRICE, true), ids, payment);
  }

  try {
    const phId = await deps.sequelize.transaction(async (t) => {
      const order = await lockOrPromote(found.target!.id, t);
      if (!order) throw reject(Messages.Webhook.ORDER_NOT_FOUND, true);
      const phs = await PaymentHistory.findAll({ where: { orderId: order.id }, transaction: t });
      if (phs.some((h) => h.status === 'completed' && h.impId === impUid)) return null; // a concurrent duplicate won
      const derived = deriveOrderPayment(phs);
      // A second, different payment for an order that is already paid: give it back.
      if (derived.currentStatus !== 'pending') throw reject(Messages.Webhook.ILLEGAL_STATUS_TRANSITION, true);

      const target: Target = { kind: 'order', id: order.id, userId: order.userId };
      const lockedItems = await currentItems(target, t);
      const stillPrepared = matchesPreparation({
        id: order.id,
        storedSnapshot: order.preparedCartSnapshot,
        storedHash: order.preparedCartHash,
        merchantUid,
        amount: payment.amount,
        currentItems: lockedItems,
        secret: deps.secretKey,
      });
      if (!stillPrepared) throw reject(Messages.Webhook.UNEXPECTED_PAID_PRICE, true);

      // Still orderable, and the units still there for this buyer (a hold may have expired while paying)?
      const preparedAt = new Date(String((order.preparedCartSnapshot as { attempt?: { prepared_at?: string } } | null)?.attempt?.prepared_at));
      const problems = await revalidateForPayment(
        deps.sequelize,
        { orderId: order.id, userId: order.userId, single: found.target!.kind === 'spc', items: lockedItems, preparedAt: Number.isNaN(preparedAt.getTime()) ? now : preparedAt, now },
        t,
      );
      if (problems.length) throw new Rejection(problems[0]!, true, problems.slice(1));

      const ph = await PaymentHistory.create({ orderId: order.id, impId: impUid, status: 'completed', price: Math.round(payment.amount) }, { transaction: t });
      await OrderProductRelation.update(
        { status: 'paid' },
        { where: { orderId: order.id, status: 'pending' }, transaction: t, individualHooks: true },
      );
      await order.update({ stockHeldUntil: null }, { transaction: t });
      await emitOrderEvent('paid', order.id, t);
      return ph.id;
    });
    if (phId) await logEvent('payment_accepted', base, { orderId: found.target.id, phId });
    return { status: 200, body: WEBHOOK_SUCCESS };
  } catch (e) {
    if (e instanceof Rejection) {
      // a rejection after the lock: the promotion is rolled back too; the target id is the same either way
      return rejected(e, { orderId: found.target.kind === 'order' ? found.target.id : null, spcId: found.target.kind === 'spc' ? found.target.id : null }, payment);
    }
    throw e;
  }
}

async function alreadyRecorded(orderId: string, impUid: string): Promise<boolean> {
  const n = await PaymentHistory.count({ where: { orderId, impId: impUid, status: 'completed' } });
  return n > 0;
}

/** Cancel the whole remaining balance of a payment we will not honour; record the outcome. */
async function cancelAtPortOne(
  deps: WebhookDeps,
  payment: PortOnePayment,
  reason: string,
  base: { impUid: string | null; merchantUid: string | null; payload: unknown },
  ids: { orderId?: string | null; spcId?: string | null },
): Promise<FieldError | null> {
  const balance = Math.round(payment.amount - (payment.cancel_amount ?? 0));
  if (payment.status !== 'paid' || balance <= 0) return null;
  try {
    const res = await deps.portone.cancelPayment({ impUid: payment.imp_uid, amount: balance, checksum: balance, reason });
    await logEvent('cancel_succeeded', base, { ...ids, reason, cancel: res });
    return null;
  } catch (e) {
    const detail = e instanceof PortOneError || e instanceof Error ? e.message : String(e);
    await logEvent('cancel_failed', base, { ...ids, reasonCode: 'portone_cancel_error', reason: detail });
    logger.error('automatic cancel failed: money must be returned by hand', { impUid: payment.imp_uid, merchantUid: payment.merchant_uid });
    return { code: 'portone_cancel_error', detail, attr: null };
  }
}

