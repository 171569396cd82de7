/**
 * Items with their option answers as the prepared-cart snapshot sees them (spec §4.2): what a checkout
 * snapshots and hashes, and what the webhook compares with that hash. One mapping for both, so they can never
 * see the items differently.
 */
import type { OrderProductOptionRelation, OrderProductRelation } from '../models/index.js';
import type { SnapshotItemInput } from '../domain/checkout/snapshot.js';

/** From items and their live option answers as loaded (checkouts under the cart's lock; the webhook before and under the order's). */
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
