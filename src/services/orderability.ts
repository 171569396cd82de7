/**
 * Loads what the pure orderability check (src/domain/cart/orderability.ts) needs for a set of item
 * requests: products with their active tags, option groups and options, sold counts (purchases + live
 * checkout holds) and the buyer's own counts. With `lock`, the product rows and then the tag rows are
 * locked FOR UPDATE in id order — the one lock order every stock-claiming path uses, so concurrent
 * checkouts of the same product (or tag) serialize and cannot both take the last unit.
 */
import { Op, type Sequelize, type Transaction } from 'sequelize';
import { Product, ProductTagRelation, Tag, OptionGroup, Option } from '../models/index.js';
import type {
  ItemRequest,
  OrderabilityFacts,
  OptionGroupFacts,
  ProductFacts,
  UserTakenCounts,
} from '../domain/cart/orderability.js';
import { tr, type Lang } from '../domain/i18n.js';
import { soldCounts, takenCounts } from './stock.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const asUuid = (v: unknown): string | null => (typeof v === 'string' && UUID_RE.test(v) ? v.toLowerCase() : null);

export interface LoadOptions {
  transaction: Transaction;
  lang: Lang;
  now: Date;
  lock?: boolean;
  /** the cart / buy-now cart being checked out: its own hold does not count against it */
  excludeHolderId?: string | null;
}

export interface LoadedFacts {
  factsFor(request: ItemRequest): OrderabilityFacts;
  taken: UserTakenCounts;
  products: Map<string, ProductFacts>;
  /** tag id → {stock, sold} for cross-item checks */
  tags: Map<string, { stock: number; sold: number; name: string }>;
}

export async function loadOrderabilityFacts(
  sequelize: Sequelize,
  userId: number,
  requests: readonly ItemRequest[],
  opts: LoadOptions,
): Promise<LoadedFacts> {
  const t = opts.transaction;
  const productIds = new Set<string>();
  const groupIds = new Set<string>();
  const optionIds = new Set<string>();
  for (const r of requests) {
    const p = asUuid(r.product);
    if (p) productIds.add(p);
    for (const o of Array.isArray(r.options) ? r.options : []) {
      if (!o || typeof o !== 'object') continue;
      const g = asUuid(o.product_option_group);
      if (g) groupIds.add(g);
      const opt = asUuid(o.product_option);
      if (opt) optionIds.add(opt);
    }
  }

  const lock = opts.lock ? t.LOCK.UPDATE : undefined;
  const products = productIds.size
    ? await Product.findAll({ where: { id: [...productIds] }, order: [['id', 'ASC']], transaction: t, lock })
    : [];
  const pids = products.map((p) => p.id);
  const relations = pids.length
    ? await ProductTagRelation.findAll({ where: { productId: pids }, include: [{ model: Tag, as: 'tag', required: true }], transaction: t })
    : [];
  const tagIds = [...new Set(relations.map((r) => r.tagId))].sort();
  if (opts.lock && tagIds.length) await Tag.findAll({ where: { id: tagIds }, order: [['id', 'ASC']], transaction: t, lock });

  const groups = pids.length || groupIds.size
    ? await OptionGroup.findAll({
        where: { [Op.or]: [{ productId: pids }, { id: [...groupIds] }] },
        include: [{ model: Option, as: 'options', required: false }],
        order: [['priority', 'ASC'], ['createdAt', 'DESC'], [{ model: Option, as: 'options' }, 'priority', 'ASC']],
        transaction: t,
      })
    : [];
  const allOptionIds = groups.flatMap((g) => (g.get('options') as Option[]).map((o) => o.id));
  const strayOptionIds = [...optionIds].filter((id) => !allOptionIds.includes(id));
  const stray = strayOptionIds.length ? await Option.findAll({ where: { id: strayOptionIds }, attributes: ['id'], transaction: t }) : [];
  const foreignProductIds = [...new Set(groups.filter((g) => !pids.includes(g.productId)).map((g) => g.productId))];
  const foreignProducts = foreignProductIds.length ? await Product.findAll({ where: { id: foreignProductIds }, attributes: ['id', 'nameKo', 'nameEn'], transaction: t }) : [];

  const [sold, taken] = await Promise.all([
    soldCounts(sequelize, { productIds: pids, tagIds, optionIds: allOptionIds }, { transaction: t, now: opts.now, excludeHolderId: opts.excludeHolderId }),
    takenCounts(sequelize, userId, t),
  ]);

  const lang = opts.lang;
  const toGroupFacts = (g: OptionGroup): OptionGroupFacts => ({
    id: g.id,
    name: tr(lang, g.nameKo, g.nameEn),
    minQuantityPerProduct: g.minQuantityPerProduct,
    maxQuantityPerProduct: g.maxQuantityPerProduct,
    maxQuantityPerUser: g.maxQuantityPerUser,
    isCustomResponse: g.isCustomResponse,
    customResponsePattern: g.customResponsePattern,
    responseModifiableEndsAt: g.responseModifiableEndsAt,
    visibleStartsAt: g.visibleStartsAt,
    visibleEndsAt: g.visibleEndsAt,
    orderableStartsAt: g.orderableStartsAt,
    orderableEndsAt: g.orderableEndsAt,
    options: (g.get('options') as Option[]).map((o) => ({
      id: o.id,
      groupId: g.id,
      name: tr(lang, o.nameKo, o.nameEn),
      additionalPrice: o.additionalPrice,
      stock: o.stock,
      maxQuantityPerUser: o.maxQuantityPerUser,
      sold: sold.option.get(o.id) ?? 0,
    })),
  });

  const tagInfo = new Map<string, { stock: number; sold: number; name: string }>();
  const productFacts = new Map<string, ProductFacts>();
  for (const p of products) {
    const tags = relations
      .filter((r) => r.productId === p.id)
      .map((r) => {
        const tag = r.get('tag') as Tag;
        const info = { stock: tag.stock, sold: sold.tag.get(tag.id) ?? 0, name: tr(lang, tag.nameKo, tag.nameEn) };
        tagInfo.set(tag.id, info);
        return { id: tag.id, name: info.name, stock: tag.stock, maxQuantityPerUser: tag.maxQuantityPerUser, sold: info.sold };
      });
    productFacts.set(p.id, {
      id: p.id,
      name: tr(lang, p.nameKo, p.nameEn),
      price: p.price,
      stock: p.stock,
      sold: sold.product.get(p.id) ?? 0,
      maxQuantityPerUser: p.maxQuantityPerUser,
      orderableStartsAt: p.orderableStartsAt,
      orderableEndsAt: p.orderableEndsAt,
      visibleStartsAt: p.visibleStartsAt,
      visibleEndsAt: p.visibleEndsAt,
      refundableEndsAt: p.refundableEndsAt,
      donationAllowed: p.donationAllowed,
      donationMinPrice: p.donationMinPrice,
      donationMaxPrice: p.donationMaxPrice,
      tags,
      optionGroups: groups.filter((g) => g.productId === p.id).map(toGroupFacts),
    });
  }
  const foreignNames = new Map(foreignProducts.map((fp) => [fp.id, tr(lang, fp.nameKo, fp.nameEn)]));
  const existingOptionIds = new Set([...allOptionIds, ...stray.map((o) => o.id)]);

  return {
    taken,
    products: productFacts,
    tags: tagInfo,
    factsFor(request) {
      const pid = asUuid(request.product);
      const product = pid ? productFacts.get(pid) ?? null : null;
      const foreignOptionGroups = groups
        .filter((g) => g.productId !== pid && groupIds.has(g.id))
        .map((g) => ({ ...toGroupFacts(g), productId: g.productId, productName: productFacts.get(g.productId)?.name ?? foreignNames.get(g.productId) ?? '' }));
      return { product, foreignOptionGroups, existingOptionIds };
    },
  };
}
