/**
 * Reconciliation with PortOne (beyond the original): compares what we recorded with what PortOne holds
 * and lists the drift, for an operator to act on. Only real drift is listed: first, refund attempts whose
 * outcome is not in the ledger yet are settled (PortOne looked up, what it did recorded — the same
 * settlement as the refund service's); refunds in flight right now are not compared (they are settled in a
 * moment). Never changes anything at PortOne; the report is stored.
 *
 *   paid_there_pending_here  a prepared cart / buy-now cart whose webhook never came, paid at PortOne
 *   amount_mismatch          the paid amount differs from our completed ledger row
 *   refunded_there_not_here  PortOne cancelled more than our ledger says (e.g. a console cancel)
 *   refunded_here_not_there  our ledger says refunded, PortOne still holds the money
 *   refund_not_recorded      PortOne cancelled for a refund attempt that still could not be recorded
 *   refund_outcome_unknown   a refund attempt whose outcome PortOne could not tell (look-ups failed)
 *   refund_unresolved        PortOne's balance matches neither outcome of a refund attempt
 *   auto_cancel_failed       a payment the webhook refused (forged amount, a second payment, sold out…)
 *                            whose automatic cancel failed, and PortOne still holds its money
 *   lookup_failed            PortOne could not be asked
 */
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { Order, PaymentHistory, ReconciliationReport, RefundAttempt, SingleProductCart, type DriftRow } from '../models/index.js';
import { deriveOrderPayment } from '../domain/payment/status.js';
import { merchantUid as toMerchantUid } from '../domain/checkout/snapshot.js';
import type { PortOneClient } from '../portone/client.js';
import { PortOneError } from '../portone/client.js';
import { settleOpenAttempts } from './refund.js';

export interface ReconcileDeps {
  sequelize: Sequelize;
  portone: PortOneClient;
}

export interface ReconcileResult {
  reportId: string;
  since: Date;
  checked: number;
  drifts: DriftRow[];
  /** open refund attempts this run settled from PortOne (their outcome is in the ledger now: not drift) */
  settled: number;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function reconcile(deps: ReconcileDeps, opts: { since: Date }): Promise<ReconcileResult> {
  const drifts: DriftRow[] = [];
  let checked = 0;

  // 0. settle what can be settled, so that a refund PortOne made is in the ledger before comparing
  const { settled } = await settleOpenAttempts({ sequelize: deps.sequelize, portone: deps.portone });
  const inFlight = new Set(
    (await RefundAttempt.findAll({ where: { status: 'requested' }, attributes: ['orderId'] })).map((a) => a.orderId),
  );

  // 1. every order paid since `since`: compare amount and refunds with PortOne
  const paidOrderIds = (
    await deps.sequelize.query<{ order_id: string }>(
      `SELECT DISTINCT order_id FROM payment_histories WHERE deleted_at IS NULL AND status = 'completed' AND imp_id IS NOT NULL AND created_at >= :since`,
      { type: QueryTypes.SELECT, replacements: { since: opts.since } },
    )
  ).map((r) => r.order_id);
  const histories = paidOrderIds.length ? await PaymentHistory.findAll({ where: { orderId: paidOrderIds } }) : [];
  for (const orderId of paidOrderIds) {
    if (inFlight.has(orderId)) continue; // a refund is being made right now: its settlement follows
    const phs = histories.filter((h) => h.orderId === orderId);
    const completed = phs.find((h) => h.status === 'completed')!;
    const d = deriveOrderPayment(phs);
    checked++;
    try {
      const p = await deps.portone.findPayment(completed.impId!);
      const held = Math.round(p.amount - (p.cancel_amount ?? 0));
      if (Math.round(p.amount) !== completed.price) {
        drifts.push({ kind: 'amount_mismatch', order_id: orderId, imp_uid: p.imp_uid, merchant_uid: p.merchant_uid, detail: `PortOne ${p.amount}원, 장부 ${completed.price}원` });
      }
      if (held < d.currentPaidPrice) {
        drifts.push({ kind: 'refunded_there_not_here', order_id: orderId, imp_uid: p.imp_uid, merchant_uid: p.merchant_uid, detail: `PortOne 잔액 ${held}원, 장부 잔액 ${d.currentPaidPrice}원` });
      } else if (held > d.currentPaidPrice) {
        drifts.push({ kind: 'refunded_here_not_there', order_id: orderId, imp_uid: p.imp_uid, merchant_uid: p.merchant_uid, detail: `PortOne 잔액 ${held}원, 장부 잔액 ${d.currentPaidPrice}원` });
      }
    } catch (e) {
      drifts.push({ kind: 'lookup_failed', order_id: orderId, imp_uid: completed.impId, merchant_uid: null, detail: errText(e) });
    }
  }

  // 2. prepared but never paid here: did PortOne take the money?
  const pendingOrders = await Order.findAll({
    where: {
      preparedCartHash: { [Op.ne]: null },
      updatedAt: { [Op.gte]: opts.since },
      id: { [Op.notIn]: deps.sequelize.literal(`(SELECT order_id FROM payment_histories WHERE deleted_at IS NULL)`) },
    },
  });
  const pendingCarts = await SingleProductCart.findAll({ where: { preparedCartHash: { [Op.ne]: null }, updatedAt: { [Op.gte]: opts.since } } });
  for (const holder of [...pendingOrders, ...pendingCarts]) {
    const mu = toMerchantUid(holder.id, holder.preparedCartHash!);
    checked++;
    try {
      const p = await deps.portone.findPaymentByMerchantUid(mu);
      if (p.status === 'paid') {
        drifts.push({ kind: 'paid_there_pending_here', order_id: holder.id, imp_uid: p.imp_uid, merchant_uid: mu, detail: `PortOne에서 ${p.amount}원 결제 완료, 주문은 결제 대기 상태` });
      }
    } catch (e) {
      if (e instanceof PortOneError && (e.kind === 'not_found' || e.httpStatus === 404)) continue; // never paid: fine
      drifts.push({ kind: 'lookup_failed', order_id: holder.id, imp_uid: null, merchant_uid: mu, detail: errText(e) });
    }
  }

  // 3. refund attempts the settlement above could not close
  const stuck = await RefundAttempt.findAll({
    where: {
      [Op.or]: [{ status: ['cancelled_at_portone', 'pending'] }, { status: 'unresolved', createdAt: { [Op.gte]: opts.since } }],
    },
    order: [['createdAt', 'ASC']],
  });
  for (const a of stuck) {
    const why = a.error ?? '원인 미상';
    const [kind, detail] =
      a.status === 'cancelled_at_portone'
        ? ['refund_not_recorded', `${a.amount}원 환불이 PortOne에서 처리되었으나 장부에 기록되지 않았습니다 (${why})`]
        : a.status === 'pending'
          ? ['refund_outcome_unknown', `${a.amount}원 환불 요청의 결과를 PortOne에서 확인하지 못했습니다 (${why})`]
          : ['refund_unresolved', `${a.amount}원 환불 요청: PortOne 잔액이 환불 전후 어느 쪽과도 맞지 않습니다 (${why})`];
    drifts.push({ kind, order_id: a.orderId, imp_uid: a.impUid, merchant_uid: null, detail });
  }

  // 4. payments the webhook refused and could not give back (no ledger row: they were never recorded, so no
  // step above sees them — a refused second payment of a paid order is in none of them). Listed while
  // PortOne still holds money of them; one already given back some other way (the console) is not drift.
  const failedCancels = await RefundAttempt.findAll({
    where: { channel: 'webhook', status: 'failed', impUid: { [Op.ne]: null }, createdAt: { [Op.gte]: opts.since } },
    order: [['createdAt', 'ASC']],
  });
  const listed = new Set<string>();
  for (const a of failedCancels) {
    if (listed.has(a.impUid!)) continue; // several refused notifications of one payment: one row
    listed.add(a.impUid!);
    checked++;
    try {
      const p = await deps.portone.findPayment(a.impUid!);
      const held = Math.round(p.amount - (p.cancel_amount ?? 0));
      if (p.status !== 'paid' || held <= 0) continue;
      // the same payment may also look like "paid there, pending here" (step 2): this row says what it is
      for (let i = drifts.length - 1; i >= 0; i--) if (drifts[i]!.kind === 'paid_there_pending_here' && drifts[i]!.imp_uid === p.imp_uid) drifts.splice(i, 1);
      drifts.push({
        kind: 'auto_cancel_failed',
        order_id: a.orderId,
        imp_uid: p.imp_uid,
        merchant_uid: p.merchant_uid,
        detail: `웹훅이 거절한 결제의 자동 취소 실패: PortOne에 ${held}원이 남아 있습니다 (사유: ${a.reason ?? '미상'}; 오류: ${a.error ?? '미상'})`,
      });
    } catch (e) {
      drifts.push({ kind: 'lookup_failed', order_id: a.orderId, imp_uid: a.impUid, merchant_uid: null, detail: errText(e) });
    }
  }

  const report = await ReconciliationReport.create({ since: opts.since, checked, driftCount: drifts.length, drifts });
  return { reportId: report.id, since: opts.since, checked, drifts, settled };
}

export function formatReport(r: ReconcileResult): string {
  const lines = [`PortOne reconciliation since ${r.since.toISOString()}: ${r.checked} checked, ${r.drifts.length} drift(s) (report ${r.reportId})`];
  if (r.settled) lines.push(`  ${r.settled} open refund attempt(s) settled from PortOne before comparing`);
  for (const d of r.drifts) lines.push(`  ${d.kind.padEnd(24)} order=${d.order_id ?? '-'} imp_uid=${d.imp_uid ?? '-'} merchant_uid=${d.merchant_uid ?? '-'}  ${d.detail}`);
  return lines.join('\n');
}
