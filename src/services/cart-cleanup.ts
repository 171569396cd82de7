/**
 * Clean-up of abandoned carts (the daily `cart-cleanup` job). Soft-deletes, never touches paid data:
 *
 * - **Carts**: orders with no payment history at all (not even a soft-deleted row) whose every item is
 *   still `pending`, no live checkout hold, and no activity (the order or any of its items created/changed)
 *   for `olderThanDays`: the pending items, their options, the customer info and the cart order itself.
 * - **Buy-now carts** (single-product carts) older than `olderThanDays` with no live hold, whose item is
 *   still `pending` and that were never promoted (no order with their id, no payment history for it).
 *
 * Each batch runs in one transaction that locks the candidate rows (`FOR UPDATE SKIP LOCKED`: a cart being
 * checked out or paid right now is skipped) and re-checks "no payment history" after the lock, so a
 * webhook committing at the same moment wins. One audit row per removed cart (actor = the job).
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { AuditLog } from '../models/index.js';
import { currentActor } from '../context.js';
import { logger } from '../logger.js';

export interface CartCleanupResult {
  carts: number;
  cartItems: number;
  singleProductCarts: number;
}

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 200;

async function ids(sequelize: Sequelize, sql: string, replacements: Record<string, unknown>, t: Transaction): Promise<string[]> {
  const rows = await sequelize.query<{ id: string }>(sql, { type: QueryTypes.SELECT, replacements, transaction: t });
  return rows.map((r) => r.id);
}

const arr = (list: string[]) => `{${list.join(',')}}`;

/**
 * The common tail of both clean-ups, after their items were soft-deleted: the items' option answers, the
 * carts' customer info, the cart rows themselves (snapshot and hold cleared), one audit row per cart.
 */
async function softDeleteCartRows(
  sequelize: Sequelize,
  table: 'orders' | 'single_product_carts',
  carts: string[],
  items: string[],
  now: Date,
  reason: string,
  t: Transaction,
): Promise<void> {
  const r = { c: arr(carts), now };
  if (items.length) {
    await sequelize.query(
      `UPDATE order_product_option_relations SET deleted_at = :now, updated_at = :now
        WHERE order_product_relation_id = ANY(CAST(:i AS uuid[])) AND deleted_at IS NULL`,
      { replacements: { i: arr(items), now }, transaction: t },
    );
  }
  const infoKey = table === 'orders' ? 'order_id' : 'single_product_cart_id';
  await sequelize.query(
    `UPDATE customer_infos SET deleted_at = :now, updated_at = :now WHERE ${infoKey} = ANY(CAST(:c AS uuid[])) AND deleted_at IS NULL`,
    { replacements: r, transaction: t },
  );
  await sequelize.query(
    `UPDATE ${table} SET deleted_at = :now, updated_at = :now, prepared_cart_snapshot = NULL, prepared_cart_hash = NULL, stock_held_until = NULL
      WHERE id = ANY(CAST(:c AS uuid[]))`,
    { replacements: r, transaction: t },
  );
  const actor = currentActor();
  await AuditLog.bulkCreate(
    carts.map((id) => ({ tableName: table, recordId: id, action: 'jobs.cart_cleanup', actorUserId: actor.userId, actorLabel: actor.label, reason })),
    { transaction: t },
  );
}

async function cleanupCartBatch(sequelize: Sequelize, now: Date, cutoff: Date): Promise<{ carts: number; items: number }> {
  return sequelize.transaction(async (t) => {
    const candidates = await ids(
      sequelize,
      `SELECT o.id FROM orders o
        WHERE o.deleted_at IS NULL
          AND (o.stock_held_until IS NULL OR o.stock_held_until < :now)
          AND o.updated_at < :cutoff AND o.created_at < :cutoff
          AND NOT EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id)
          AND NOT EXISTS (SELECT 1 FROM order_product_relations i
                           WHERE i.order_id = o.id AND (i.status <> 'pending' OR i.updated_at >= :cutoff OR i.created_at >= :cutoff))
        ORDER BY o.created_at
        LIMIT :batch
        FOR UPDATE OF o SKIP LOCKED`,
      { now, cutoff, batch: BATCH },
      t,
    );
    if (candidates.length === 0) return { carts: 0, items: 0 };
    // Re-check after the lock with a fresh snapshot: a payment committed meanwhile keeps its order.
    const carts = await ids(
      sequelize,
      `SELECT o.id FROM orders o
        WHERE o.id = ANY(CAST(:c AS uuid[]))
          AND NOT EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id)
          AND NOT EXISTS (SELECT 1 FROM order_product_relations i WHERE i.order_id = o.id AND i.status <> 'pending')`,
      { c: arr(candidates) },
      t,
    );
    if (carts.length === 0) return { carts: 0, items: 0 };
    const r = { c: arr(carts), now };
    const items = await ids(
      sequelize,
      `UPDATE order_product_relations SET deleted_at = :now, updated_at = :now
        WHERE order_id = ANY(CAST(:c AS uuid[])) AND status = 'pending' AND deleted_at IS NULL RETURNING id`,
      r,
      t,
    );
    await softDeleteCartRows(sequelize, 'orders', carts, items, now, `inactive since before ${cutoff.toISOString()}`, t);
    return { carts: carts.length, items: items.length };
  });
}

async function cleanupSpcBatch(sequelize: Sequelize, now: Date, cutoff: Date): Promise<number> {
  return sequelize.transaction(async (t) => {
    const candidates = await ids(
      sequelize,
      `SELECT s.id FROM single_product_carts s
         JOIN order_product_relations i ON i.id = s.order_product_relation_id
        WHERE s.deleted_at IS NULL
          AND (s.stock_held_until IS NULL OR s.stock_held_until < :now)
          AND s.created_at < :cutoff AND s.updated_at < :cutoff
          AND i.status = 'pending' AND i.order_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = s.id)
          AND NOT EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = s.id)
        ORDER BY s.created_at
        LIMIT :batch
        FOR UPDATE OF s SKIP LOCKED`,
      { now, cutoff, batch: BATCH },
      t,
    );
    if (candidates.length === 0) return 0;
    const spcs = await ids(
      sequelize,
      `SELECT s.id FROM single_product_carts s
         JOIN order_product_relations i ON i.id = s.order_product_relation_id
        WHERE s.id = ANY(CAST(:c AS uuid[])) AND i.status = 'pending' AND i.order_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = s.id)
          AND NOT EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = s.id)`,
      { c: arr(candidates) },
      t,
    );
    if (spcs.length === 0) return 0;
    const r = { c: arr(spcs), now };
    const items = await ids(
      sequelize,
      `UPDATE order_product_relations SET deleted_at = :now, updated_at = :now
        WHERE id IN (SELECT order_product_relation_id FROM single_product_carts WHERE id = ANY(CAST(:c AS uuid[])))
          AND status = 'pending' AND order_id IS NULL AND deleted_at IS NULL RETURNING id`,
      r,
      t,
    );
    await softDeleteCartRows(sequelize, 'single_product_carts', spcs, items, now, `created before ${cutoff.toISOString()}`, t);
    return spcs.length;
  });
}

/** Soft-delete abandoned carts and buy-now carts with no activity for `olderThanDays` (see the file comment). */
export async function cleanupAbandonedCarts(sequelize: Sequelize, opts: { olderThanDays: number; now?: Date }): Promise<CartCleanupResult> {
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - opts.olderThanDays * DAY_MS);
  const result: CartCleanupResult = { carts: 0, cartItems: 0, singleProductCarts: 0 };
  for (;;) {
    const b = await cleanupCartBatch(sequelize, now, cutoff);
    result.carts += b.carts;
    result.cartItems += b.items;
    if (b.carts < BATCH) break;
  }
  for (;;) {
    const n = await cleanupSpcBatch(sequelize, now, cutoff);
    result.singleProductCarts += n;
    if (n < BATCH) break;
  }
  if (result.carts || result.singleProductCarts) logger.info('abandoned carts cleaned up', { ...result, olderThanDays: opts.olderThanDays });
  return result;
}
