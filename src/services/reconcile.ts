/**
 * Reconciliation with PortOne (beyond the original): compares what we recorded with what PortOne holds
 * and lists the drift, for an operator to act on. Read-only towards both sides; the report is stored.
 *
 *   paid_there_pending_here  a prepared cart / buy-now cart whose webhook never came, paid at PortOne
 *   amount_mismatch          the paid amount differs from our completed ledger row
 *   refunded_there_not_here  PortOne cancelled more than our ledger says (e.g. a console cancel)
 *   refunded_here_not_there  our ledger says refunded, PortOne still holds the money
 *   refund_not_recorded      a refund attempt PortOne performed whose local commit failed
 *   lookup_failed            PortOne could not be asked
 */
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { Order, PaymentHistory, ReconciliationReport, RefundAttempt, SingleProductCart, type DriftRow } from '../models/index.js';
import { deriveOrderPayment } from '../domain/payment/status.js';
import { merchantUid as toMerchantUid } from '../domain/checkout/snapshot.js';
import type { PortOneClient } from '../portone/client.js';
import { PortOneError } from '../portone/client.js';

export interface ReconcileDeps {
  sequelize: Sequelize;
  portone: PortOneClient;
}

export interface ReconcileResult {
  reportId: string;
  since: Date;
  checked: number;
  drifts: DriftRow[];
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function reconcile(deps: ReconcileDeps, opts: { since: Date }): Promise<ReconcileResult> {
  const drifts: DriftRow[] = [];
  let checked = 0;

  // 1. every order paid since `since`: compare amount and refunds with PortOne
  const paidOrderIds = (
    await deps.sequelize.query<{ order_id: string }>(
      `SELECT DISTINCT order_id FROM payment_histories WHERE deleted_at IS NULL AND status = 'completed' AND imp_id IS NOT NULL AND created_at >= :since`,
      { type: QueryTypes.SELECT, replacements: { since: opts.since } },
    )
  ).map((r) => r.order_id);
  const histories = paidOrderIds.length ? await PaymentHistory.findAll({ where: { orderId: paidOrderIds } }) : [];
  for (const orderId of paidOrderIds) {
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

  // 3. refunds PortOne performed that we could not record
  for (const a of await RefundAttempt.findAll({ where: { status: 'cancelled_at_portone' } })) {
    drifts.push({ kind: 'refund_not_recorded', order_id: a.orderId, imp_uid: a.impUid, merchant_uid: null, detail: `${a.amount}원 환불이 PortOne에서 처리되었으나 장부에 기록되지 않았습니다 (${a.error ?? '원인 미상'})` });
  }

  const report = await ReconciliationReport.create({ since: opts.since, checked, driftCount: drifts.length, drifts });
  return { reportId: report.id, since: opts.since, checked, drifts };
}

export function formatReport(r: ReconcileResult): string {
  const lines = [`PortOne reconciliation since ${r.since.toISOString()}: ${r.checked} checked, ${r.drifts.length} drift(s) (report ${r.reportId})`];
  for (const d of r.drifts) lines.push(`  ${d.kind.padEnd(24)} order=${d.order_id ?? '-'} imp_uid=${d.imp_uid ?? '-'} merchant_uid=${d.merchant_uid ?? '-'}  ${d.detail}`);
  return lines.join('\n');
}
