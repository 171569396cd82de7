/**
 * The public catalogue (spec §5.1): visible products with their option groups and options, names in the
 * request language, stock left and — for a signed-in buyer — what that buyer may still buy.
 * Cost: 5 queries for the whole list (products, tags, option groups+options, sold counts, the buyer's
 * counts), whatever the number of products.
 */
import { Op, type Sequelize, type WhereOptions } from 'sequelize';
import { Product, Category, CategoryGroup, ProductTagRelation, Tag, OptionGroup, Option, type PlaceholderMode } from '../models/index.js';
import { tr, type Lang } from '../domain/i18n.js';
import { isGroupVisible } from '../domain/catalog/windows.js';
import {
  leftover,
  leftoverStockPerUser,
  optionGroupLeftoverStockInfo,
  optionLeftoverStockInfo,
  type OptionGroupLeftoverStockInfo,
  type OptionLeftoverStockInfo,
} from '../domain/catalog/stock.js';
import { soldCounts, takenCounts, NO_TAKEN, type TakenCounts } from './stock.js';

export type { OptionGroupLeftoverStockInfo, OptionLeftoverStockInfo };

export interface OptionDto {
  id: string;
  name: string;
  additional_price: number;
  max_quantity_per_user: number;
  leftover_stock: number | null;
  leftover_stock_per_user: number | null;
  leftover_stock_info: OptionLeftoverStockInfo;
}

export interface OptionGroupDto {
  id: string;
  name: string;
  min_quantity_per_product: number;
  max_quantity_per_product: number;
  max_quantity_per_user: number;
  is_custom_response: boolean;
  custom_response_pattern: string | null;
  visible_starts_at: string | null;
  visible_ends_at: string | null;
  orderable_starts_at: string | null;
  orderable_ends_at: string | null;
  placeholder_mode: PlaceholderMode;
  leftover_stock_per_user: number | null;
  leftover_stock_info: OptionGroupLeftoverStockInfo;
  options: OptionDto[];
}

export interface ProductDto {
  id: string;
  name: string;
  description: string | null;
  image: string | null;
  price: number;
  orderable_starts_at: string;
  orderable_ends_at: string;
  /** null = not refundable by the buyer */
  refundable_ends_at: string | null;
  category_group: string;
  category: string;
  is_ticket: boolean;
  donation_allowed: boolean;
  donation_min_price: number | null;
  donation_max_price: number | null;
  option_groups: OptionGroupDto[];
  leftover_stock: number | null;
  tag_names: string[];
}

export interface CatalogQuery {
  lang: Lang;
  now: Date;
  userId?: number | null;
  categoryGroup?: string;
  category?: string;
  productId?: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export async function listProducts(sequelize: Sequelize, q: CatalogQuery): Promise<ProductDto[]> {
  const where: WhereOptions = {
    visibleStartsAt: { [Op.lte]: q.now },
    visibleEndsAt: { [Op.gte]: q.now },
    ...(q.productId ? { id: q.productId } : {}),
  };
  const products = await Product.findAll({
    where,
    include: [
      {
        model: Category,
        as: 'category',
        required: true,
        where: q.category !== undefined ? { name: q.category } : undefined,
        include: [{ model: CategoryGroup, as: 'group', required: true, where: q.categoryGroup !== undefined ? { name: q.categoryGroup } : undefined }],
      },
    ],
    order: [
      [{ model: Category, as: 'category' }, { model: CategoryGroup, as: 'group' }, 'priority', 'ASC'],
      [{ model: Category, as: 'category' }, 'priority', 'ASC'],
      ['priority', 'ASC'],
      ['createdAt', 'DESC'],
    ],
  });
  if (products.length === 0) return [];
  const productIds = products.map((p) => p.id);

  const [tagRelations, groups] = await loadTagsAndGroups(productIds);

  const optionIds = groups.flatMap((g) => (g.get('options') as Option[]).map((o) => o.id));
  const [sold, taken] = await Promise.all([
    soldCounts(sequelize, { productIds, tagIds: [], optionIds }, { now: q.now }),
    q.userId ? takenCounts(sequelize, q.userId) : Promise.resolve<TakenCounts | null>(null),
  ]);
  return buildProductDtos(products, groupByProduct(tagRelations, (r) => r.productId), groupByProduct(groups, (g) => g.productId), sold, taken, q);
}

/** Rows grouped by product id, in their query order. */
export function groupByProduct<T>(rows: readonly T[], productId: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const list = out.get(productId(row));
    if (list) list.push(row);
    else out.set(productId(row), [row]);
  }
  return out;
}

/**
 * The DTOs of these products (already filtered and ordered) from their loaded rows: tag relations (with
 * `tag`) and option groups (with `options`) by product id, sold counts, and the buyer's counts (null =
 * anonymous). Pure: shared by the direct query path and the cached one (src/services/catalog-cache.ts).
 */
export function buildProductDtos(
  products: readonly Product[],
  tagRelationsByProduct: ReadonlyMap<string, readonly ProductTagRelation[]>,
  groupsByProduct: ReadonlyMap<string, readonly OptionGroup[]>,
  sold: { product: ReadonlyMap<string, number>; option: ReadonlyMap<string, number> },
  taken: TakenCounts | null,
  q: Pick<CatalogQuery, 'lang' | 'now'>,
): ProductDto[] {
  const takenOf = (m: keyof TakenCounts, id: string) => {
    const t = taken?.[m].get(id) ?? NO_TAKEN;
    return t.cart + t.purchased; // the buyer's pending + paid + used units (spec §3.1 [Δ])
  };
  const tagNames = (productId: string) =>
    (tagRelationsByProduct.get(productId) ?? []).map((rel) => {
      const tag = rel.get('tag') as Tag;
      return tr(q.lang, tag.nameKo, tag.nameEn);
    });

  return products.map((p) => {
    const category = p.get('category') as Category;
    const group = category.get('group') as CategoryGroup;
    const productFacts = { stock: p.stock, sold: sold.product.get(p.id) ?? 0, maxQuantityPerUser: p.maxQuantityPerUser };
    const productLeftover = leftover(productFacts.stock, productFacts.sold);
    const takenProduct = takenOf('product', p.id);
    const visibleGroups = (groupsByProduct.get(p.id) ?? []).filter((g) => isGroupVisible(g, p, q.now));
    return {
      id: p.id,
      name: tr(q.lang, p.nameKo, p.nameEn),
      description: tr(q.lang, p.descriptionKo, p.descriptionEn),
      image: p.image,
      price: p.price,
      orderable_starts_at: p.orderableStartsAt.toISOString(),
      orderable_ends_at: p.orderableEndsAt.toISOString(),
      refundable_ends_at: iso(p.refundableEndsAt),
      category_group: group.name,
      category: category.name,
      is_ticket: category.isTicket,
      donation_allowed: p.donationAllowed,
      donation_min_price: p.donationMinPrice,
      donation_max_price: p.donationMaxPrice,
      leftover_stock: productLeftover,
      tag_names: tagNames(p.id),
      option_groups: visibleGroups.map((g): OptionGroupDto => {
        const takenGroup = takenOf('group', g.id);
        const groupInfo = optionGroupLeftoverStockInfo(productFacts, g, { product: takenProduct, group: takenGroup });
        return {
          id: g.id,
          name: tr(q.lang, g.nameKo, g.nameEn),
          min_quantity_per_product: g.minQuantityPerProduct,
          max_quantity_per_product: g.maxQuantityPerProduct,
          max_quantity_per_user: g.maxQuantityPerUser,
          is_custom_response: g.isCustomResponse,
          custom_response_pattern: g.isCustomResponse ? g.customResponsePattern : null,
          visible_starts_at: iso(g.visibleStartsAt),
          visible_ends_at: iso(g.visibleEndsAt),
          orderable_starts_at: iso(g.orderableStartsAt),
          orderable_ends_at: iso(g.orderableEndsAt),
          placeholder_mode: g.placeholderMode,
          leftover_stock_per_user: leftoverStockPerUser(groupInfo),
          leftover_stock_info: groupInfo,
          options: (g.get('options') as Option[]).map((o): OptionDto => {
            const info = optionLeftoverStockInfo(
              productFacts,
              g,
              { stock: o.stock, sold: sold.option.get(o.id) ?? 0, maxQuantityPerUser: o.maxQuantityPerUser },
              { product: takenProduct, group: takenGroup, option: takenOf('option', o.id) },
            );
            return {
              id: o.id,
              name: tr(q.lang, o.nameKo, o.nameEn),
              additional_price: o.additionalPrice,
              max_quantity_per_user: o.maxQuantityPerUser,
              leftover_stock: info.option_leftover_stock,
              leftover_stock_per_user: leftoverStockPerUser(info),
              leftover_stock_info: info,
            };
          }),
        };
      }),
    };
  });
}

export async function getProduct(sequelize: Sequelize, id: string, q: Omit<CatalogQuery, 'productId'>): Promise<ProductDto | null> {
  const [p] = await listProducts(sequelize, { ...q, productId: id });
  return p ?? null;
}

/** The products' tag relations (with their tags) and option groups (with their options), in display order. */
export function loadTagsAndGroups(productIds: string[]): Promise<[ProductTagRelation[], OptionGroup[]]> {
  return Promise.all([
    ProductTagRelation.findAll({
      where: { productId: productIds },
      include: [{ model: Tag, as: 'tag', required: true }],
      order: [['createdAt', 'ASC']],
    }),
    OptionGroup.findAll({
      where: { productId: productIds },
      include: [{ model: Option, as: 'options', required: false }],
      order: [
        ['priority', 'ASC'],
        ['createdAt', 'DESC'],
        [{ model: Option, as: 'options' }, 'priority', 'ASC'],
        [{ model: Option, as: 'options' }, 'createdAt', 'DESC'],
      ],
    }),
  ]);
}
