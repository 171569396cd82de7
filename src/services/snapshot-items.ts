/**
 * Items with their option answers as the prepared-cart snapshot sees them (spec §4.2): what a checkout
 * snapshots and hashes, and what the webhook compares with that hash. One loader for both, so they can never
 * read the items differently.
 */
import type { Transaction } from 'sequelize';
import { OrderProductOptionRelation, type OrderProductRelation } from '../models/index.js';
import type { SnapshotItemInput } from '../domain/checkout/snapshot.js';

export async function snapshotItems(oprs: OrderProductRelation[], t?: Transaction): Promise<SnapshotItemInput[]> {
  const opors = oprs.length
    ? await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: oprs.map((o) => o.id) }, transaction: t })
    : [];
  return snapshotItemsOf(oprs, opors);
}

/** The same from items and their (live) option answers already loaded. */
export function snapshotItemsOf(oprs: readonly OrderProductRelation[], opors: readonly OrderProductOptionRelation[]): SnapshotItemInput[] {
  return oprs.map((o) => ({
    id: o.id,
    productId: o.productId,
    price: o.price,
    donationPrice: o.donationPrice,
    options: opors
      .filter((x) => x.orderProductRelationId === o.id)
      .map((x) => ({ id: x.id, productOptionGroupId: x.productOptionGroupId, productOptionId: x.productOptionId, customResponse: x.customResponse })),
  }));
}
