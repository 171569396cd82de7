/**
 * Refund fixtures: a paid order whose payment exists at the PortOne simulator (same imp_uid and amount), and
 * the money check "what PortOne kept equals what our ledger says" per order.
 */
import { expect } from 'chai';
import { OrderProductRelation, PaymentHistory, RefundAttempt, type Order, type Product, type User } from '../../src/models/index.js';
import { deriveOrderPayment } from '../../src/domain/payment/status.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';
import { makeOrder } from './fixtures.js';

/** A paid order of `products` (one item each), its payment made at the simulator. */
export async function paidOrderAtSim(sim: PortOneSimulator, user: User, products: Product[]): Promise<{ order: Order; impUid: string; itemIds: string[] }> {
  const amount = products.reduce((s, p) => s + p.price, 0);
  const { payment } = await sim.pay({ merchant_uid: `refund-fixture-${Math.random().toString(36).slice(2)}`, amount, notify: false });
  const order = await makeOrder(user, products.map((product) => ({ product })), 'completed', payment.imp_uid);
  const items = await OrderProductRelation.findAll({ where: { orderId: order.id }, order: [['createdAt', 'ASC'], ['id', 'ASC']] });
  return { order, impUid: payment.imp_uid, itemIds: items.map((i) => i.id) };
}

/**
 * For each order: PortOne's cancelled amount equals the refunds in our ledger, the ledger balance equals
 * what PortOne holds, every refunded item is paid back, and no refund attempt is left open.
 */
export async function expectLedgerEqualsPortOne(sim: PortOneSimulator, orders: Array<{ order: Order; impUid: string }>, ctx = ''): Promise<void> {
  for (const { order, impUid } of orders) {
    const at = sim.state.payments.find((p) => p.imp_uid === impUid)!;
    const phs = await PaymentHistory.findAll({ where: { orderId: order.id } });
    const d = deriveOrderPayment(phs);
    const completed = phs.find((h) => h.status === 'completed')!;
    const items = await OrderProductRelation.findAll({ where: { orderId: order.id } });
    const refundedItems = items.filter((i) => i.status === 'refunded').reduce((s, i) => s + i.price + i.donationPrice, 0);
    const cancelledAtPortOne = at.cancel_history.reduce((s, c) => s + c.amount, 0);
    expect(at.cancel_amount, `order ${order.id}: PortOne cancel_amount = its cancel history ${ctx}`).to.equal(cancelledAtPortOne);
    expect(completed.price - d.currentPaidPrice, `order ${order.id}: ledger refunds = PortOne cancels ${ctx}`).to.equal(at.cancel_amount);
    expect(refundedItems, `order ${order.id}: refunded items = PortOne cancels ${ctx}`).to.equal(at.cancel_amount);
    const open = await RefundAttempt.count({ where: { orderId: order.id, status: ['requested', 'pending', 'cancelled_at_portone'] } });
    expect(open, `order ${order.id}: no refund attempt left open ${ctx}`).to.equal(0);
  }
}
