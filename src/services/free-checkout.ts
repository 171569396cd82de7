/**
 * 0-won checkout: a prepared cart or buy-now cart whose amount is 0 completes at once, inside the checkout's
 * own transaction (which has just re-validated everything on locked rows) — no PortOne call, no payment
 * window. The order is locked (a buy-now cart is promoted to an Order with the same id), its pending items
 * become paid, a `completed` ledger row of 0 with no imp_id is appended, the hold is released, and the paid
 * event is raised (its notification is enqueued after commit). Free orders are never buyer-refundable: no
 * imp_id (ORDER_IMP_ID_NOT_EXIST) and items of 0 (PRODUCT_PRICE_IS_ZERO).
 */
import type { Transaction } from 'sequelize';
import { OrderProductRelation, PaymentHistory } from '../models/index.js';
import { Messages, fieldError } from '../domain/messages.js';
import { lockOrPromote, writePaid } from './payment-sql.js';
import { ServiceError } from './errors.js';

/** Complete the free order `id` (an Order or a buy-now cart id); returns the Order id (the same id). */
export async function completeFreeOrder(id: string, preparedPrice: number, t: Transaction): Promise<string> {
  if (preparedPrice !== 0) throw ServiceError.validation([fieldError(Messages.FreeCheckout.PRICE_NOT_ZERO, null)]);
  const order = await lockOrPromote(id, t);
  if (!order) throw ServiceError.validation([fieldError(Messages.FreeCheckout.TARGET_NOT_FOUND, null)]);
  if ((await PaymentHistory.count({ where: { orderId: order.id }, transaction: t })) > 0) {
    throw ServiceError.validation([fieldError(Messages.FreeCheckout.ILLEGAL_STATUS_TRANSITION, null)]);
  }
  // the same writes as a paid webhook's (ledger row, items paid, hold released, audit rows; the paid event)
  const items = await OrderProductRelation.findAll({ where: { orderId: order.id, status: 'pending' }, transaction: t });
  await writePaid(order.sequelize!, { order, items, impId: null, price: 0 }, t);
  return order.id;
}
