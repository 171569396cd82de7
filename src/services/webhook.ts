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
import { QueryTypes, type Sequelize } from 'sequelize';
import { PaymentWebhookEvent, type WebhookEventType } from '../models/index.js';
import { parseMerchantUid, matchesPreparation } from '../domain/checkout/snapshot.js';
import { deriveOrderPayment } from '../domain/payment/status.js';
import { Messages, type MessageDef, type FieldError } from '../domain/messages.js';
import type { PortOneClient, PortOnePayment } from '../portone/client.js';
import { lockForPayment, paymentFactsSource, revalidateForPayment } from './payment-revalidation.js';
import { sendOrderabilityFacts } from './orderability.js';
import { cancelUnrecordedPayment } from './refund.js';
import { snapshotItemsOf } from './snapshot-items.js';
import { sendLockOrPromote, recordLookupAndReadTarget, writePaid, insertEventRow, type TargetRead, type WebhookEventRow } from './payment-sql.js';
import { logger } from '../logger.js';
import { inTransaction } from '../db/pipeline.js';
import { runAs } from '../context.js';
import { storableJson, storableText } from '../domain/storable.js';

export interface WebhookDeps {
  sequelize: Sequelize;
  portone: PortOneClient;
  secretKey: string;
}

export const WEBHOOK_SUCCESS = { status: 'success', message: '일반 결제 성공' } as const;

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

type EventBase = { impUid: string | null; merchantUid: string | null; payload: unknown };
type EventExtra = Partial<{ orderId: string | null; spcId: string | null; phId: string | null; reasonCode: string; reason: string; lookup: unknown; cancel: unknown }>;

/** The values of an event row (text PostgreSQL cannot hold stored escaped). */
function eventRow(type: WebhookEventType, base: EventBase, extra: EventExtra = {}): WebhookEventRow {
  return {
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
}

/**
 * Write one event row on its own (committed at once). Resolves with whether it was stored as given; a row
 * that is not storable (e.g. nested deeper than jsonb allows) is stored with its body as text instead.
 */
export async function logEvent(type: WebhookEventType, base: EventBase, extra: EventExtra = {}): Promise<boolean> {
  const row = eventRow(type, base, extra);
  try {
    await insertEventRow(PaymentWebhookEvent.sequelize!, row);
    return true;
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
    return false;
  }
}

export interface WebhookResult {
  status: number;
  body: unknown;
}

/** Process one webhook body. Always resolves with what to answer (never throws for expected failures). */
export async function processWebhook(deps: WebhookDeps, payload: unknown, now = new Date()): Promise<WebhookResult> {
  return runAs({ userId: null, label: 'webhook:portone' }, () => process(deps, payload, now));
}

/** Storable text as it is, else null (a value with a NUL byte or a lone surrogate is never one of ours). */
const sqlText = (s: string | null) => (s !== null && storableText(s) === s ? s : null);

/**
 * Record the look-up's outcome (an event row of `type`) and read the target by the merchant_uid, in one
 * statement. The event row goes on its own (`logEvent`, with its text fallback) when the body needed that
 * fallback (`storable` false) or the merchant_uid names none of ours (nothing to read).
 */
async function lookupAndTarget(
  deps: WebhookDeps,
  base: EventBase,
  type: 'payment_lookup_succeeded' | 'payment_lookup_failed',
  extra: EventExtra,
  storable: boolean,
): Promise<{ read: TargetRead | null; knownId: string | null; ids: { orderId: string | null; spcId: string | null } }> {
  const parsed = parseMerchantUid(base.merchantUid);
  if (!parsed) {
    await logEvent(type, base, extra);
    return { read: null, knownId: null, ids: { orderId: null, spcId: null } };
  }
  const q = { id: parsed.id, hash: sqlText(parsed.hash), impUid: sqlText(base.impUid) };
  let read: TargetRead | null = null;
  if (storable) {
    try {
      read = await recordLookupAndReadTarget(deps.sequelize, q, eventRow(type, base, extra));
    } catch (e) {
      logger.warn('webhook event row not written with its reads: written on its own', { type, error: e instanceof Error ? e.message : String(e) });
    }
  }
  const recorded = read !== null;
  read ??= await recordLookupAndReadTarget(deps.sequelize, q, null);
  // the target only when its preparation is the one this merchant_uid names
  const target = read.target && read.target.hash === parsed.hash ? read.target : null;
  const ids = { orderId: target?.kind === 'order' ? target.id : null, spcId: target?.kind === 'spc' ? target.id : null };
  if (!recorded) await logEvent(type, base, { ...extra, ...ids });
  return { read: { ...read, target }, knownId: read.target?.id ?? null, ids };
}

async function process(deps: WebhookDeps, payload: unknown, now: Date): Promise<WebhookResult> {
  const body = (payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : null);
  const impUid = str(body.imp_uid);
  const merchantUid = str(body.merchant_uid);
  // the body as received (an array or a string too), not only the object view of it
  const base = { impUid, merchantUid, payload: payload === undefined ? null : payload };
  // whether the body is stored as it is: then the later event rows ride in the statements that follow
  const storable = await logEvent('webhook_received', base);

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

  // Ask PortOne first (no connection held meanwhile), then record what it said together with the reads
  // that need no lock: the target by merchant_uid (never trusting the body), its items, and whether this
  // payment is already recorded.
  let payment: PortOnePayment | null = null;
  let lookupError: string | null = null;
  try {
    payment = await deps.portone.findPayment(impUid!);
  } catch (e) {
    lookupError = e instanceof Error ? e.message : String(e);
  }
  const { read, knownId, ids } = await lookupAndTarget(
    deps,
    base,
    lookupError !== null ? 'payment_lookup_failed' : 'payment_lookup_succeeded',
    lookupError !== null ? { reasonCode: 'portone_error', reason: lookupError } : { lookup: payment },
    storable,
  );
  if (lookupError !== null || !payment) {
    return { status: 400, body: { type: 'client_error', errors: [{ code: 'portone_error', detail: lookupError ?? '', attr: null }] } };
  }

  const target = read?.target ?? null;
  const paidHere = payment.status === 'paid' && payment.merchant_uid === merchantUid;
  if (!target) {
    // A real payment for one of our orders whose preparation no longer matches (the cart changed after
    // checkout): nobody will receive anything for it, so give the money back instead of leaving it to a
    // manual refund.
    return rejected(reject(Messages.Webhook.ORDER_NOT_FOUND, paidHere && knownId !== null), ids, payment);
  }
  if (payment.status !== 'paid') return rejected(reject(Messages.Webhook.UNEXPECTED_RETRIEVED_ORDER_STATUS), ids, payment);
  if (payment.merchant_uid !== merchantUid) return rejected(reject(Messages.Webhook.UNEXPECTED_RETRIEVED_ORDER_ID), ids, payment);
  if (payment.currency !== 'KRW') return rejected(reject(Messages.Webhook.UNSUPPORTED_CURRENCY, true), ids, payment);
  // 0-won orders complete at checkout, never through PortOne: a paid amount ≤ 0 is not one of ours
  if (!(Number(payment.amount) > 0)) return rejected(reject(Messages.Webhook.UNEXPECTED_PAID_PRICE, true), ids, payment);

  // Idempotency first: the same payment already recorded → 200, nothing changes.
  if (read!.recorded) return { status: 200, body: WEBHOOK_SUCCESS };

  const prepared = matchesPreparation({
    id: target.id,
    storedSnapshot: target.snapshot,
    storedHash: target.hash,
    merchantUid,
    amount: payment.amount,
    currentItems: snapshotItemsOf(read!.items, read!.options),
    secret: deps.secretKey,
  });
  if (!prepared) {
    // A duplicate of this notification may have just promoted the buy-now cart and committed (its items now
    // belong to the Order): that is this very payment, recorded — never cancel it.
    if (await alreadyRecorded(deps.sequelize, target.id, impUid!)) return { status: 200, body: WEBHOOK_SUCCESS };
    return rejected(reject(Messages.Webhook.UNEXPECTED_PAID_PRICE, true), ids, payment);
  }

  const paid = payment;
  try {
    const phId = await inTransaction(deps.sequelize, async (t) => {
      // The order's lock (or the buy-now cart's, promoted to an order with the same id), then the ledger and
      // (only while it is empty) the re-validation's locks, in one message: the second statement runs once the
      // first has its locks, so it sees what their previous holder committed (src/db/pipeline.ts).
      const orderSent = sendLockOrPromote(target.id, t);
      const lockedSent = lockForPayment(deps.sequelize, target.id, t);
      // and behind them the re-validation's catalogue rows and counts (their ids from the order's items, in SQL)
      const factsOf = sendOrderabilityFacts(deps.sequelize, target.userId, paymentFactsSource(target.id), { transaction: t, lang: 'ko', now });
      const [{ order, again }, first] = await Promise.all([orderSent, lockedSent]);
      if (!order) throw reject(Messages.Webhook.ORDER_NOT_FOUND, true);
      // locked by a second statement (a concurrent promotion): the ledger and the locks after it
      const locked = again ? await lockForPayment(deps.sequelize, order.id, t) : first;
      if (locked.histories.some((h) => h.status === 'completed' && h.impId === impUid)) return null; // a concurrent duplicate won
      const derived = deriveOrderPayment(locked.histories);
      // A second, different payment for an order that is already paid: give it back.
      if (derived.currentStatus !== 'pending') throw reject(Messages.Webhook.ILLEGAL_STATUS_TRANSITION, true);

      const lockedItems = snapshotItemsOf(locked.items, locked.options);
      const stillPrepared = matchesPreparation({
        id: order.id,
        storedSnapshot: order.preparedCartSnapshot,
        storedHash: order.preparedCartHash,
        merchantUid,
        amount: paid.amount,
        currentItems: lockedItems,
        secret: deps.secretKey,
      });
      if (!stillPrepared) throw reject(Messages.Webhook.UNEXPECTED_PAID_PRICE, true);

      // Still orderable, and the units still there for this buyer (a hold may have expired while paying)?
      const preparedAt = new Date(String((order.preparedCartSnapshot as { attempt?: { prepared_at?: string } } | null)?.attempt?.prepared_at));
      const problems = await revalidateForPayment(
        deps.sequelize,
        {
          orderId: order.id,
          userId: order.userId,
          single: target.kind === 'spc',
          items: lockedItems,
          holders: locked.holders,
          preparedAt: Number.isNaN(preparedAt.getTime()) ? now : preparedAt,
          now,
        },
        t,
        // read before a second statement locked the order (`again`): not behind its locks, so read again
        again ? undefined : { factsOf, userId: target.userId },
      );
      if (problems.length) throw new Rejection(problems[0]!, true, problems.slice(1));

      // the ledger row, the items paid, the hold released, their audit rows and — when the body is stored as
      // it is — the `payment_accepted` event row, all in one statement sent with the COMMIT (the event row
      // commits with the payment); the paid e-mail is written once committed, outside the locks
      return writePaid(
        deps.sequelize,
        {
          order,
          items: locked.items,
          impId: impUid,
          price: Math.round(paid.amount),
          event: storable ? eventRow('payment_accepted', base, { orderId: target.id }) : undefined,
        },
        t,
        { commit: true },
      );
    });
    if (phId && !storable) await logEvent('payment_accepted', base, { orderId: target.id, phId });
    return { status: 200, body: WEBHOOK_SUCCESS };
  } catch (e) {
    if (e instanceof Rejection) {
      // a rejection after the lock: the promotion is rolled back too; the target id is the same either way
      return rejected(e, { orderId: target.kind === 'order' ? target.id : null, spcId: target.kind === 'spc' ? target.id : null }, payment);
    }
    throw e;
  }
}

async function alreadyRecorded(sequelize: Sequelize, orderId: string, impUid: string): Promise<boolean> {
  const [row] = await sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM payment_histories WHERE order_id = $1 AND imp_id = $2 AND status = 'completed' AND deleted_at IS NULL`,
    { bind: [orderId, sqlText(impUid)], type: QueryTypes.SELECT },
  );
  return Number(row?.n) > 0;
}

/**
 * Give back the whole remaining balance of a payment we will not honour, through the refunds' recorded path
 * (`cancelUnrecordedPayment`: a refund attempt before the call, a look-up when the answer is lost); the
 * outcome is also logged as an event row. Null when the money is back (or there was nothing to give back).
 */
async function cancelAtPortOne(
  deps: WebhookDeps,
  payment: PortOnePayment,
  reason: string,
  base: EventBase,
  ids: { orderId?: string | null; spcId?: string | null },
): Promise<FieldError | null> {
  const orderId = ids.orderId ?? ids.spcId ?? parseMerchantUid(payment.merchant_uid)?.id ?? null;
  const balance = Math.round(payment.amount - (payment.cancel_amount ?? 0));
  if (payment.status !== 'paid' || balance <= 0) return null;
  if (!orderId) {
    // not a payment for one of our ids: never cancelled (the callers only cancel payments for ours)
    logger.error('automatic cancel without an order id: not sent', { impUid: payment.imp_uid, merchantUid: payment.merchant_uid });
    return null;
  }
  const result = await cancelUnrecordedPayment(deps, { orderId, payment, reason });
  if (result.outcome === 'skipped') return null;
  if (result.outcome === 'cancelled') {
    await logEvent('cancel_succeeded', base, { ...ids, reason, cancel: result.payment });
    return null;
  }
  const detail =
    result.outcome === 'unknown'
      ? `PortOne의 취소 결과를 확인하지 못했습니다: 자동으로 다시 확인합니다 (${result.error ?? ''})`
      : result.outcome === 'unresolved'
        ? `PortOne의 잔액이 취소 전후 어느 쪽과도 맞지 않습니다: 확인이 필요합니다 (${result.error ?? ''})`
        : (result.error ?? 'PortOne 취소 실패');
  await logEvent('cancel_failed', base, { ...ids, reasonCode: 'portone_cancel_error', reason: detail });
  logger.error('automatic cancel not done: money must be returned', { impUid: payment.imp_uid, merchantUid: payment.merchant_uid, outcome: result.outcome, attempt: result.attempt?.id });
  return { code: 'portone_cancel_error', detail, attr: null };
}
