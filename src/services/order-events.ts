/**
 * Order life-cycle events raised inside the transaction that causes them (paid, refunded). Handlers
 * (e-mail notifications) register once at start-up and must defer their side effects to after commit
 * (`transaction.afterCommit`), so a rollback sends nothing.
 */
import type { Transaction } from 'sequelize';

export type OrderEventKind = 'paid' | 'refunded';
export type OrderEventHandler = (kind: OrderEventKind, orderId: string, transaction: Transaction) => Promise<void> | void;

const handlers = new Set<OrderEventHandler>();

export function onOrderEvent(handler: OrderEventHandler): () => void {
  handlers.add(handler);
  return () => handlers.delete(handler);
}

export async function emitOrderEvent(kind: OrderEventKind, orderId: string, transaction: Transaction): Promise<void> {
  for (const h of handlers) await h(kind, orderId, transaction);
}
