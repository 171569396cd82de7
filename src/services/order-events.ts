/**
 * Order life-cycle events raised inside the transaction that causes them (paid, refunded). Handlers
 * (e-mail notifications) register once at start-up and must defer their side effects to after commit
 * (`transaction.afterCommit`), so a rollback sends nothing.
 *
 * A handler may also declare what it reads (`preload`): one SQL expression that a hot path evaluates in the
 * statement that writes the event's rows, or (the webhook's paid write) in a read sent right behind its COMMIT
 * in the same message, so the handler gets its facts without a round trip of its own. Callers that do not
 * preload (refunds, …) raise the event as before and the handler reads for itself. The webhook raises `paid` once its transaction has committed
 * (`emitCommittedOrderEvent`).
 */
import type { Sequelize, Transaction } from 'sequelize';
import { logger } from '../logger.js';

export type OrderEventKind = 'paid' | 'refunded';
export type OrderEventHandler = (kind: OrderEventKind, orderId: string, transaction: Transaction, preloaded?: unknown) => Promise<void> | void;

/**
 * The rows the writing statement writes, as the names of its CTEs (`… RETURNING *`): its own snapshot does
 * not see them. `orders` and `items` hold updated rows (they replace the rows with the same id), `histories`
 * inserted ledger rows.
 */
export interface WrittenRows {
  orders?: string;
  items?: string;
  histories?: string;
}

export interface OrderEventPreload {
  /** One SQL expression (json) over the order id `orderId` (SQL of a uuid) and the written rows. */
  sql(kind: OrderEventKind, orderId: string, written: WrittenRows): string;
  /**
   * The handler for an event raised after its transaction committed (`emitCommittedOrderEvent`), with what
   * `sql` read in the committing statement. Without it the handler runs in a transaction of its own.
   */
  committed?(kind: OrderEventKind, orderId: string, sequelize: Sequelize, preloaded: unknown): Promise<void>;
}

/** What the handlers' preloads gave, to pass to `emitOrderEvent`. */
export interface Preloaded {
  readonly values: ReadonlyMap<OrderEventHandler, unknown>;
}

const handlers = new Map<OrderEventHandler, OrderEventPreload | undefined>();

export function onOrderEvent(handler: OrderEventHandler, preload?: OrderEventPreload): () => void {
  handlers.set(handler, preload);
  return () => handlers.delete(handler);
}

/**
 * The SELECT-list columns (`, (…) AS preload_N`, or '' when no handler preloads) to add to the statement that
 * writes the event's rows, and how to read the handlers' values back from its row.
 */
export function orderEventPreloads(kind: OrderEventKind, orderId: string, written: WrittenRows): { columns: string; read(row: Record<string, unknown>): Preloaded } {
  const wanted = [...handlers].filter((e): e is [OrderEventHandler, OrderEventPreload] => !!e[1]);
  return {
    columns: wanted.map(([, preload], i) => `,\n            ${preload.sql(kind, orderId, written)} AS preload_${i}`).join(''),
    read: (row) => ({ values: new Map(wanted.map(([handler], i) => [handler, row[`preload_${i}`]])) }),
  };
}

export async function emitOrderEvent(kind: OrderEventKind, orderId: string, transaction: Transaction, preloaded?: Preloaded): Promise<void> {
  for (const h of [...handlers.keys()]) await h(kind, orderId, transaction, preloaded?.values.get(h));
}

/**
 * The event of a transaction that has committed already (the webhook's paid write commits with its statement,
 * so that nothing but that statement runs while it holds the product's lock): each handler writes on its own,
 * after the payment. A handler failing here cannot undo the payment; the notification sweep recovers a paid
 * e-mail that was never written (src/services/notifications.ts `recoverPaidNotifications`).
 */
export async function emitCommittedOrderEvent(kind: OrderEventKind, orderId: string, sequelize: Sequelize, preloaded?: Preloaded): Promise<void> {
  for (const [h, preload] of [...handlers]) {
    try {
      if (preload?.committed) await preload.committed(kind, orderId, sequelize, preloaded?.values.get(h));
      else await sequelize.transaction((t) => Promise.resolve(h(kind, orderId, t)));
    } catch (e) {
      // the payment is committed: its answer must not become an error
      logger.error('order event handler failed after commit', { kind, orderId, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
