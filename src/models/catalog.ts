import { DataTypes, Model, type Sequelize } from 'sequelize';
import { baseColumns, shopModelOptions, type BaseFields } from './base.js';

export interface CategoryGroup extends BaseFields {}
export class CategoryGroup extends Model {
  declare name: string;
  declare priority: number;
}

export interface Category extends BaseFields {}
export class Category extends Model {
  declare groupId: string;
  declare name: string;
  declare priority: number;
  /** Items of this category are tickets: they need a holder (ticket_infos) and get a QR code. */
  declare isTicket: boolean;
  /** The event this category's tickets admit to (participation certificates); null = none. */
  declare eventId: string | null;
  declare group?: CategoryGroup;
}

export interface Tag extends BaseFields {}
export class Tag extends Model {
  declare nameKo: string;
  declare nameEn: string;
  declare stock: number;
  declare maxQuantityPerUser: number;
}

export interface Product extends BaseFields {}
export class Product extends Model {
  declare categoryId: string;
  declare nameKo: string;
  declare nameEn: string;
  declare descriptionKo: string | null;
  declare descriptionEn: string | null;
  declare image: string | null;
  declare price: number;
  declare stock: number;
  declare maxQuantityPerUser: number;
  declare visibleStartsAt: Date;
  declare visibleEndsAt: Date;
  declare orderableStartsAt: Date;
  declare orderableEndsAt: Date;
  /** null = never refundable by the buyer (operators and the desk still can) */
  declare refundableEndsAt: Date | null;
  declare priority: number;
  declare donationAllowed: boolean;
  declare donationMinPrice: number;
  declare donationMaxPrice: number;
  declare category?: Category;
}

export interface ProductTagRelation extends BaseFields {}
export class ProductTagRelation extends Model {
  declare productId: string;
  declare tagId: string;
}

export interface OptionGroup extends BaseFields {}
export class OptionGroup extends Model {
  declare productId: string;
  declare priority: number;
  declare nameKo: string;
  declare nameEn: string;
  declare minQuantityPerProduct: number;
  declare maxQuantityPerProduct: number;
  declare maxQuantityPerUser: number;
  declare isCustomResponse: boolean;
  declare customResponsePattern: string | null;
  declare responseModifiableEndsAt: Date | null;
  declare visibleStartsAt: Date | null;
  declare visibleEndsAt: Date | null;
  declare orderableStartsAt: Date | null;
  declare orderableEndsAt: Date | null;
  declare placeholderMode: PlaceholderMode;
}

/**
 * Whether the frontend shows a "선택해주세요" empty choice for a selectable group, and whether leaving it
 * unselected is accepted: only `optional` accepts no choice (the item then stores an answer with no option).
 */
export type PlaceholderMode = 'hidden' | 'optional' | 'required';
export const PLACEHOLDER_MODES: readonly PlaceholderMode[] = ['hidden', 'optional', 'required'];

export interface Option extends BaseFields {}
export class Option extends Model {
  declare groupId: string;
  declare priority: number;
  declare nameKo: string;
  declare nameEn: string;
  declare maxQuantityPerUser: number;
  declare additionalPrice: number;
  declare stock: number;
}

const MIN_DATE = new Date('0001-01-01T00:00:00Z');
const MAX_DATE = new Date('9999-12-31T23:59:59.999Z');
export const UNBOUNDED = { start: MIN_DATE, end: MAX_DATE } as const;

// A function, not a shared object: Sequelize writes `field` into each attribute definition it is given.
const int0 = () => ({ type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });

export function initCatalogModels(sequelize: Sequelize): void {
  CategoryGroup.init(
    { ...baseColumns(), name: { type: DataTypes.STRING(100), allowNull: false }, priority: int0() },
    shopModelOptions(sequelize, 'category_groups'),
  );
  Category.init(
    {
      ...baseColumns(),
      groupId: { type: DataTypes.UUID, allowNull: false },
      name: { type: DataTypes.STRING(100), allowNull: false },
      priority: int0(),
      isTicket: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      eventId: { type: DataTypes.UUID, allowNull: true },
    },
    shopModelOptions(sequelize, 'categories'),
  );
  Tag.init(
    {
      ...baseColumns(),
      nameKo: { type: DataTypes.STRING(100), allowNull: false },
      nameEn: { type: DataTypes.STRING(100), allowNull: false, defaultValue: '' },
      stock: int0(),
      maxQuantityPerUser: int0(),
    },
    shopModelOptions(sequelize, 'tags'),
  );
  Product.init(
    {
      ...baseColumns(),
      categoryId: { type: DataTypes.UUID, allowNull: false },
      nameKo: { type: DataTypes.TEXT, allowNull: false },
      nameEn: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      descriptionKo: { type: DataTypes.TEXT, allowNull: true },
      descriptionEn: { type: DataTypes.TEXT, allowNull: true },
      image: { type: DataTypes.TEXT, allowNull: true },
      price: { type: DataTypes.INTEGER, allowNull: false },
      stock: int0(),
      maxQuantityPerUser: int0(),
      visibleStartsAt: { type: DataTypes.DATE, allowNull: false, defaultValue: MIN_DATE },
      visibleEndsAt: { type: DataTypes.DATE, allowNull: false, defaultValue: MAX_DATE },
      orderableStartsAt: { type: DataTypes.DATE, allowNull: false, defaultValue: MIN_DATE },
      orderableEndsAt: { type: DataTypes.DATE, allowNull: false, defaultValue: MAX_DATE },
      refundableEndsAt: { type: DataTypes.DATE, allowNull: true, defaultValue: MAX_DATE },
      priority: int0(),
      donationAllowed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      donationMinPrice: int0(),
      donationMaxPrice: int0(),
    },
    shopModelOptions(sequelize, 'products'),
  );
  ProductTagRelation.init(
    {
      ...baseColumns(),
      productId: { type: DataTypes.UUID, allowNull: false },
      tagId: { type: DataTypes.UUID, allowNull: false },
    },
    shopModelOptions(sequelize, 'product_tag_relations'),
  );
  OptionGroup.init(
    {
      ...baseColumns(),
      productId: { type: DataTypes.UUID, allowNull: false },
      priority: int0(),
      nameKo: { type: DataTypes.STRING(100), allowNull: false },
      nameEn: { type: DataTypes.STRING(100), allowNull: false, defaultValue: '' },
      minQuantityPerProduct: int0(),
      maxQuantityPerProduct: int0(),
      maxQuantityPerUser: int0(),
      isCustomResponse: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      customResponsePattern: { type: DataTypes.TEXT, allowNull: true },
      responseModifiableEndsAt: { type: DataTypes.DATE, allowNull: true },
      visibleStartsAt: { type: DataTypes.DATE, allowNull: true },
      visibleEndsAt: { type: DataTypes.DATE, allowNull: true },
      orderableStartsAt: { type: DataTypes.DATE, allowNull: true },
      orderableEndsAt: { type: DataTypes.DATE, allowNull: true },
      placeholderMode: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'hidden' },
    },
    shopModelOptions(sequelize, 'option_groups'),
  );
  Option.init(
    {
      ...baseColumns(),
      groupId: { type: DataTypes.UUID, allowNull: false },
      priority: int0(),
      nameKo: { type: DataTypes.STRING(100), allowNull: false },
      nameEn: { type: DataTypes.STRING(100), allowNull: false, defaultValue: '' },
      maxQuantityPerUser: int0(),
      additionalPrice: int0(),
      stock: int0(),
    },
    shopModelOptions(sequelize, 'options'),
  );
}
