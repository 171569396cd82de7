/**
 * The one refund service (spec §3.6), used by every path: the buyer (whole order or one item, refund
 * window enforced), operators in the admin panel and the registration desk (window skipped, TOTP of a
 * named staff authorizer required).
 *
 * A refund holds at most ONE database connection at any moment, and never while PortOne is asked:
 *
 *   1. begin (short transaction): lock the order → settle or wait for an open attempt of this order →
 *      (admin/desk) verify + consume the authorizer's code → re-evaluate the reason on the locked rows →
 *      insert the refund attempt `requested` with its plan (items, next status, balance after) → commit.
 *      The open attempt is the order's refund lease: a concurrent refund of the same order waits (polling,
 *      with no connection held) until it is settled, so PortOne's checksum always matches.
 *   2. PortOne cancel {imp_uid, amount, checksum = balance}, no connection held. On any error or timeout the
 *      payment is looked up (GET /payments/{imp_uid}) and its balance tells what happened (cancelVerdict).
 *   3. settle (short transaction): lock the order and the attempt → cancelled: items refunded +
 *      PaymentHistory + audit, attempt `completed`, all in one commit; not cancelled: attempt `failed`.
 *
 * When nothing can be learnt (the cancel's answer and the lookups lost) the attempt stays open as `pending`
 * and is settled by the next refund of the order, the `refund-settle` job or reconciliation — never by hand.
 * When the local commit fails after PortOne cancelled, the attempt is marked `cancelled_at_portone` (or stays
 * `requested` until its lease runs out) and is recorded the same way.
 */
import type { Sequelize, Transaction } from 'sequelize';
import { Op } from 'sequelize';
import {
  AuditLog,
  OPEN_REFUND_ATTEMPT_STATUSES,
  Order,
  OrderProductRelation,
  PaymentHistory,
  Product,
  RefundAttempt,
  type RefundAttemptPlan,
} from '../models/index.js';
import { deriveOrderPayment, type PaymentStatus } from '../domain/payment/status.js';
import {
  notFullyRefundableReason,
  notRefundableReason,
  planFullRefund,
  planItemRefund,
  type RefundOrderFacts,
} from '../domain/refund/reasons.js';
import { Messages, fieldError } from '../domain/messages.js';
import type { PortOneClient, PortOnePayment } from '../portone/client.js';
import { cancelVerdict, refundRecorded } from '../domain/refund/settlement.js';
import { enqueueNow } from '../jobs/enqueue.js';
import { JOB } from '../jobs/names.js';
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
  /** How long a refund waits for another refund of the same order before answering 409. Default 20 s. */
  waitMs?: number;
  /**
   * How long a `requested` attempt belongs to the request that made it (which is asking PortOne); after that
   * it is treated as abandoned (a crashed process) and settled by whoever comes next. Default 60 s: longer
   * than a cancel plus the look-ups at the PortOne client's timeouts.
   */
  leaseMs?: number;
  /** Pauses between the look-ups after a failed cancel. Default [200, 600, 1500] ms. */
  lookupBackoffMs?: number[];
}

/** What settling needs (no authorizer codes are checked when settling). */
export type SettleDeps = Pick<RefundDeps, 'sequelize' | 'portone' | 'leaseMs' | 'lookupBackoffMs'>;

const DEFAULT_WAIT_MS = 20_000;
const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_LOOKUP_BACKOFF_MS = [200, 600, 1500];

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
      isComp: !!order.compReason,
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

type Begun =
  | { kind: 'started'; attempt: RefundAttempt; outcome: RefundOutcome }
  | { kind: 'wait' }
  | { kind: 'settle'; attempt: RefundAttempt };

/** Is this open attempt still owned by a live request (it may be talking to PortOne right now)? */
function inFlight(a: RefundAttempt, leaseMs: number, nowMs: number): boolean {
  return a.status === 'requested' && nowMs - a.updatedAt.getTime() < leaseMs;
}

/** Step 1: one short transaction; writes nothing unless it starts a refund. */
async function begin(deps: RefundDeps, req: RefundRequest, now: Date): Promise<Begun> {
  const actor = currentActor();
  return deps.sequelize.transaction(async (t) => {
    const loaded = await load(req.orderId, t, true);
    if (!loaded || (req.channel === 'buyer' && loaded.order.userId !== req.buyerUserId)) throw notFound();
    const { order, facts } = loaded;

    const open = await RefundAttempt.findOne({
      where: { orderId: order.id, status: { [Op.in]: [...OPEN_REFUND_ATTEMPT_STATUSES] } },
      order: [['createdAt', 'ASC']],
      transaction: t,
    });
    if (open) return inFlight(open, deps.leaseMs ?? DEFAULT_LEASE_MS, Date.now()) ? { kind: 'wait' } : { kind: 'settle', attempt: open };

    // a comp order is refused before the authorizer's code is checked: the code is not spent on a refusal
    if (facts.isComp) throw ServiceError.validation([fieldError(Messages.NotRefundable.COMP_ORDER_NOT_REFUNDABLE, 'non_field_errors')]);

    let authorizerId: number | null = null;
    if (req.channel !== 'buyer') {
      const authorizer = await verifyAuthorizer(req.authorizerUserId, req.totp, { secretKey: deps.secretKey, transaction: t, now });
      authorizerId = authorizer.id;
    }
    const ignoreWindow = req.channel !== 'buyer';

    let amount: number;
    let checksum: number;
    let nextStatus: RefundAttemptPlan['nextStatus'];
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

    // Same transaction, same connection: committed before PortOne is asked, so it outlives this request.
    const attempt = await RefundAttempt.create(
      {
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
        plan: {
          itemIds,
          nextStatus,
          remaining,
          before: { status: facts.currentStatus, paid: facts.currentPaidPrice },
          actorUserId: actor.userId,
        } satisfies RefundAttemptPlan,
      },
      { transaction: t },
    );
    return { kind: 'started', attempt, outcome: { orderId: order.id, refunded: amount, status: nextStatus, remaining, itemIds } };
  });
}

/** What became of an attempt: PortOne's answer or, failing that, what a look-up shows. */
type Finding =
  | { kind: 'cancelled'; payment: unknown }
  | { kind: 'not_cancelled'; error: string }
  | { kind: 'unresolved'; error: string }
  | { kind: 'unknown'; error: string };

/** Ask PortOne what happened to this attempt's cancel (a few tries: the answer may be lost again). */
async function lookUp(deps: SettleDeps, attempt: RefundAttempt, cause: string): Promise<Finding> {
  const pauses = deps.lookupBackoffMs ?? DEFAULT_LOOKUP_BACKOFF_MS;
  let lastError = '';
  for (let i = 0; i <= pauses.length; i++) {
    try {
      const payment: PortOnePayment = await deps.portone.findPayment(attempt.impUid!);
      const verdict = cancelVerdict(attempt, payment);
      if (verdict === 'cancelled') return { kind: 'cancelled', payment };
      const held = Math.round(payment.amount - (payment.cancel_amount ?? 0));
      if (verdict === 'not_cancelled') return { kind: 'not_cancelled', error: cause };
      return { kind: 'unresolved', error: `PortOne 잔액 ${held}원: 환불 전 ${attempt.checksum}원도, 환불 후 ${attempt.checksum - attempt.amount}원도 아닙니다 (${cause})` };
    } catch (e) {
      lastError = errText(e);
    }
    if (i < pauses.length) await sleep(pauses[i]!);
  }
  return { kind: 'unknown', error: `${cause}; 결제 조회 실패: ${lastError}` };
}

/** Step 2: the cancel itself (no connection held), and a look-up when its answer is not a success. */
async function askPortOne(deps: RefundDeps, attempt: RefundAttempt, req: RefundRequest): Promise<Finding> {
  try {
    const payment = await deps.portone.cancelPayment({
      impUid: attempt.impUid!,
      amount: attempt.amount,
      checksum: attempt.checksum,
      reason: req.reason ?? (req.itemId ? '주문 상품 환불' : '주문 전체 환불'),
    });
    return { kind: 'cancelled', payment };
  } catch (e) {
    // A refusal, a 5xx, a timeout or a lost answer: PortOne may have cancelled all the same.
    return lookUp(deps, attempt, errText(e));
  }
}

/** The plan of an attempt written before plans were stored: derived from the ledger as it is now. */
function legacyPlan(attempt: RefundAttempt, loaded: Loaded): RefundAttemptPlan {
  const { facts } = loaded;
  const remaining = Math.max(0, facts.currentPaidPrice - attempt.amount);
  const itemIds = attempt.orderProductRelationId
    ? [attempt.orderProductRelationId]
    : facts.items.filter((i) => i.status === 'paid').map((i) => i.id);
  return { itemIds, nextStatus: remaining > 0 ? 'partial_refunded' : 'refunded', remaining, before: { status: facts.currentStatus, paid: facts.currentPaidPrice }, actorUserId: null };
}

/**
 * Step 3: record a finding in one short transaction (order lock, then the attempt). A finding for an attempt
 * that someone else settled meanwhile changes nothing. Returns the attempt as it ends up.
 */
async function settle(deps: SettleDeps, attemptId: string, finding: Finding): Promise<RefundAttempt> {
  return deps.sequelize.transaction(async (t) => {
    const first = await RefundAttempt.findByPk(attemptId, { transaction: t, attributes: ['id', 'orderId'] });
    if (!first) throw new Error(`refund attempt ${attemptId} not found`);
    const order = await Order.findByPk(first.orderId, { transaction: t, lock: t.LOCK.UPDATE, attributes: ['id'] });
    const attempt = (await RefundAttempt.findByPk(attemptId, { transaction: t, lock: t.LOCK.UPDATE }))!;
    if (!OPEN_REFUND_ATTEMPT_STATUSES.includes(attempt.status)) return attempt;

    // The webhook's cancel of a payment it refused: that payment was never recorded, so the attempt alone
    // records what PortOne did — no ledger row, no item changes (`cancelUnrecordedPayment`).
    if (attempt.channel === 'webhook') {
      if (finding.kind === 'cancelled') return attempt.update({ status: 'completed', portoneResponse: finding.payment, error: null }, { transaction: t });
      const status = finding.kind === 'not_cancelled' ? 'failed' : finding.kind === 'unresolved' ? 'unresolved' : 'pending';
      return attempt.update({ status, error: finding.error }, { transaction: t });
    }

    // Already in the ledger (an attempt written by an older version, whose "completed" update was lost after
    // its commit): only the attempt is out of date. The ledger is written only after PortOne cancelled, and
    // recording it again would refund twice in the ledger.
    const ledger = await PaymentHistory.findAll({ where: { orderId: attempt.orderId }, transaction: t });
    if (refundRecorded(attempt, ledger)) {
      const response = finding.kind === 'cancelled' ? finding.payment : attempt.portoneResponse;
      return attempt.update({ status: 'completed', portoneResponse: response, error: null }, { transaction: t });
    }

    if (finding.kind === 'not_cancelled') return attempt.update({ status: 'failed', error: finding.error }, { transaction: t });
    if (finding.kind === 'unresolved') return attempt.update({ status: 'unresolved', error: finding.error }, { transaction: t });
    if (finding.kind === 'unknown') return attempt.update({ status: 'pending', error: finding.error }, { transaction: t });
    if (!order) throw new Error(`order ${attempt.orderId} of refund attempt ${attempt.id} not found`);

    const balance = deriveOrderPayment(ledger).currentPaidPrice;
    if (balance !== attempt.checksum) {
      const error = `장부 잔액 ${balance}원이 이 환불의 기준 잔액 ${attempt.checksum}원과 다릅니다: 자동으로 기록할 수 없습니다`;
      return attempt.update({ status: 'unresolved', error }, { transaction: t });
    }

    const plan = attempt.plan ?? legacyPlan(attempt, (await load(attempt.orderId, t, false))!);
    const orderId = attempt.orderId;
    await OrderProductRelation.update({ status: 'refunded' }, { where: { id: plan.itemIds, orderId }, transaction: t, individualHooks: true });
    await PaymentHistory.create({ orderId, impId: attempt.impUid, status: plan.nextStatus, price: plan.remaining }, { transaction: t });
    await AuditLog.create(
      {
        tableName: 'orders',
        recordId: orderId,
        action: attempt.orderProductRelationId ? 'shop.order.item_refunded' : 'shop.order.refunded',
        actorUserId: plan.actorUserId,
        actorLabel: attempt.actorLabel,
        reason: attempt.reason,
        before: plan.before,
        after: {
          status: plan.nextStatus,
          paid: plan.remaining,
          refunded: attempt.amount,
          items: plan.itemIds,
          channel: attempt.channel,
          authorizer_user_id: attempt.authorizerUserId,
          refund_attempt_id: attempt.id,
        },
      },
      { transaction: t },
    );
    await emitOrderEvent('refunded', orderId, t);
    return attempt.update({ status: 'completed', portoneResponse: finding.payment, error: null }, { transaction: t });
  });
}

/** Settle an attempt nobody is working on any more (abandoned `requested`, `pending`, `cancelled_at_portone`). */
export async function settleAttempt(deps: SettleDeps, attempt: RefundAttempt): Promise<RefundAttempt> {
  const finding: Finding =
    attempt.status === 'cancelled_at_portone' && attempt.portoneResponse
      ? { kind: 'cancelled', payment: attempt.portoneResponse }
      : attempt.impUid
        ? await lookUp(deps, attempt, attempt.error ?? 'PortOne의 응답을 받지 못한 환불')
        : { kind: 'unresolved', error: 'imp_uid가 없는 환불 시도' };
  const settled = await settle(deps, attempt.id, finding);
  if (settled.status === 'completed') logger.warn('refund attempt settled from PortOne: cancelled there, now recorded', { orderId: attempt.orderId, attempt: attempt.id });
  return settled;
}

/**
 * Settle every open attempt that no live request owns (of one order, or all): used by the `refund-settle`
 * job and by reconciliation. Returns how many ended up settled.
 */
export async function settleOpenAttempts(deps: SettleDeps, opts: { orderId?: string } = {}): Promise<{ settled: number; recorded: number; open: number }> {
  const open = await RefundAttempt.findAll({
    where: { status: { [Op.in]: [...OPEN_REFUND_ATTEMPT_STATUSES] }, ...(opts.orderId ? { orderId: opts.orderId } : {}) },
    order: [['createdAt', 'ASC']],
  });
  let settled = 0;
  let recorded = 0;
  let still = 0;
  for (const a of open) {
    if (inFlight(a, deps.leaseMs ?? DEFAULT_LEASE_MS, Date.now())) {
      still++;
      continue;
    }
    try {
      const after = await settleAttempt(deps, a);
      if (OPEN_REFUND_ATTEMPT_STATUSES.includes(after.status)) still++;
      else settled++;
      if (after.status === 'completed') recorded++;
    } catch (e) {
      still++;
      logger.error('refund attempt could not be settled', { attempt: a.id, orderId: a.orderId, error: errText(e) });
    }
  }
  return { settled, recorded, open: still };
}

/** A job that settles this order's open attempt soon (best effort: the recurring sweep catches a miss). */
async function scheduleSettlement(deps: SettleDeps, orderId: string): Promise<void> {
  try {
    await enqueueNow(JOB.REFUND_SETTLE, { orderId }, { sequelize: deps.sequelize, at: new Date(Date.now() + 5_000) });
  } catch (e) {
    logger.error('refund settlement job not enqueued (the recurring sweep will settle it)', { orderId, error: errText(e) });
  }
}

export interface UnrecordedCancel {
  /** skipped: nothing to give back (not paid, no balance) or another request is giving it back right now */
  outcome: 'cancelled' | 'not_cancelled' | 'unresolved' | 'unknown' | 'skipped';
  /** what PortOne answered, or the payment as a look-up found it cancelled */
  payment?: unknown;
  error?: string;
  attempt?: RefundAttempt;
}

/**
 * Give back a payment the webhook refused to record (forged, changed, sold out, a second payment…): its whole
 * balance, by the refunds' own recorded path. A refund attempt (channel `webhook`, no plan: nothing is in the
 * ledger) is committed before PortOne is asked; when the cancel's answer is not a success (a refusal, an error,
 * a timeout, a lost answer) the payment is looked up before deciding; the outcome is settled on the attempt
 * (completed / failed / unresolved, or pending — then the `refund-settle` job looks again). `orderId`: the order
 * or buy-now cart the payment named.
 */
export async function cancelUnrecordedPayment(deps: SettleDeps, req: { orderId: string; payment: PortOnePayment; reason: string }): Promise<UnrecordedCancel> {
  const { payment } = req;
  const balance = Math.round(payment.amount - (payment.cancel_amount ?? 0));
  if (payment.status !== 'paid' || balance <= 0) return { outcome: 'skipped' };
  // A duplicate notification already giving this payment back: PortOne's checksum would refuse a second
  // cancel anyway; do not send it.
  const open = await RefundAttempt.findOne({ where: { impUid: payment.imp_uid, channel: 'webhook', status: { [Op.in]: [...OPEN_REFUND_ATTEMPT_STATUSES] } }, attributes: ['id'] });
  if (open) return { outcome: 'skipped' };
  const actor = currentActor();
  const attempt = await RefundAttempt.create({
    orderId: req.orderId,
    orderProductRelationId: null,
    impUid: payment.imp_uid,
    amount: balance,
    checksum: balance,
    channel: 'webhook',
    status: 'requested',
    actorLabel: actor.label,
    authorizerUserId: null,
    reason: req.reason,
    plan: null,
  });
  let finding: Finding;
  try {
    finding = { kind: 'cancelled', payment: await deps.portone.cancelPayment({ impUid: payment.imp_uid, amount: balance, checksum: balance, reason: req.reason }) };
  } catch (e) {
    // A refusal, a 5xx, a timeout or a lost answer: PortOne may have cancelled all the same.
    finding = await lookUp(deps, attempt, errText(e));
  }
  let settled: RefundAttempt;
  try {
    settled = await settle(deps, attempt.id, finding);
  } catch (e) {
    if (finding.kind === 'cancelled') {
      await attempt.update({ status: 'cancelled_at_portone', portoneResponse: finding.payment, error: errText(e) }).catch(() => {});
    }
    await scheduleSettlement(deps, req.orderId);
    return { outcome: finding.kind === 'cancelled' ? 'cancelled' : 'unknown', payment: finding.kind === 'cancelled' ? finding.payment : undefined, error: errText(e), attempt };
  }
  if (settled.status === 'pending') await scheduleSettlement(deps, req.orderId);
  const outcome = settled.status === 'completed' ? 'cancelled' : settled.status === 'failed' ? 'not_cancelled' : settled.status === 'unresolved' ? 'unresolved' : 'unknown';
  return { outcome, payment: outcome === 'cancelled' ? settled.portoneResponse : undefined, error: settled.error ?? undefined, attempt: settled };
}

export async function refund(deps: RefundDeps, req: RefundRequest, now = new Date()): Promise<RefundOutcome> {
  const deadline = Date.now() + (deps.waitMs ?? DEFAULT_WAIT_MS);
  let begun: Begun;
  for (let round = 0; ; round++) {
    // While another refund of this order is in flight, wait without touching the order's row lock (the
    // refund in flight needs it to record its result); `begin` checks again under the lock.
    const busy = await RefundAttempt.findOne({ where: { orderId: req.orderId, status: 'requested' }, attributes: ['id', 'status', 'updatedAt'] });
    begun = busy && inFlight(busy, deps.leaseMs ?? DEFAULT_LEASE_MS, Date.now()) ? { kind: 'wait' } : await begin(deps, req, now);
    if (begun.kind === 'started') break;
    if (begun.kind === 'settle') {
      // A refund of this order whose outcome is not in the ledger yet: find out and record it first, so this
      // refund's checksum is right (instead of PortOne refusing every later refund of the order).
      const settled = await settleAttempt(deps, begun.attempt);
      if (OPEN_REFUND_ATTEMPT_STATUSES.includes(settled.status)) {
        await scheduleSettlement(deps, settled.orderId);
        throw ServiceError.server(502, 'refund_pending', '이 주문의 이전 환불 결과를 PortOne에서 아직 확인하지 못했습니다. 잠시 후 다시 시도해주세요.');
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw ServiceError.client(409, 'refund_in_progress', '이 주문의 다른 환불이 처리 중입니다. 잠시 후 다시 시도해주세요.');
    }
    await sleep(Math.min(25 * 2 ** Math.min(round, 3), 200) + Math.floor(Math.random() * 25));
  }
  const { attempt, outcome } = begun;

  const finding = await askPortOne(deps, attempt, req);
  let settled: RefundAttempt;
  try {
    settled = await settle(deps, attempt.id, finding);
  } catch (e) {
    if (finding.kind === 'cancelled') {
      // PortOne returned the money but our commit failed: keep what PortOne said, so the next settlement
      // records it without asking again (if even this write fails, the attempt stays `requested` and is
      // looked up once its lease runs out).
      logger.error('refund cancelled at PortOne but not recorded yet', { orderId: req.orderId, attempt: attempt.id, error: errText(e) });
      await attempt.update({ status: 'cancelled_at_portone', portoneResponse: finding.payment, error: errText(e) }).catch(() => {});
      await scheduleSettlement(deps, attempt.orderId);
    }
    throw e;
  }
  if (settled.status === 'completed') return outcome;
  if (settled.status === 'pending') {
    logger.error('PortOne cancel outcome unknown: settlement scheduled', { orderId: req.orderId, attempt: attempt.id });
    await scheduleSettlement(deps, attempt.orderId);
    throw ServiceError.server(502, 'refund_pending', 'PortOne의 환불 결과를 아직 확인하지 못했습니다. 결과는 자동으로 확인되어 반영됩니다.');
  }
  if (settled.status === 'unresolved') {
    logger.error('PortOne balance does not match the refund attempt: operator review needed', { orderId: req.orderId, attempt: attempt.id });
    throw ServiceError.server(502, 'refund_unresolved', `PortOne의 결제 잔액이 장부와 다릅니다. 관리자 확인이 필요합니다. (${settled.error ?? ''})`);
  }
  throw ServiceError.server(502, 'portone_error', `PortOne 환불 요청에 실패했습니다. 잠시 후 다시 시도해주세요. (${settled.error ?? ''})`);
}
