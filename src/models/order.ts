import { DataTypes, Model, type Sequelize } from 'sequelize';
import { baseColumns, shopModelOptions, type BaseFields } from './base.js';

export type OprStatus = 'pending' | 'paid' | 'used' | 'refunded';
export type PaymentStatus = 'pending' | 'completed' | 'partial_refunded' | 'refunded';

export interface Order extends BaseFields {}
/** A cart (no payment history yet) or a purchased order (≥ 1 payment history row). Spec §1.8. */
export class Order extends Model {
  declare userId: number;
  declare nameKo: string;
  declare nameEn: string;
  declare preparedCartSnapshot: unknown | null;
  declare preparedCartHash: string | null;
  /** A prepared (checked-out) cart holds its units until then; null = no hold. */
  declare stockHeldUntil: Date | null;
  /** Set on orders created by the admin CSV import: sha256(file, row) — a re-import creates nothing. */
  declare importKey: string | null;
  /** Set on a comp order (a paid 0-won order an operator created): why. Null on every other order. */
  declare compReason: string | null;
}

export interface OrderProductRelation extends BaseFields {}
/** One unit of a product in a cart / buy-now cart / order ("OPR"). */
export class OrderProductRelation extends Model {
  declare orderId: string | null;
  declare productId: string;
  declare status: OprStatus;
  declare price: number;
  declare donationPrice: number;
  declare usedAt: Date | null;
  declare usedBy: string | null;
  /** A comp item's price before the comp (product + options); null on items sold at their price. */
  declare listPrice: number | null;
}

export interface OrderProductOptionRelation extends BaseFields {}
/** One chosen option or free-text answer of an OPR ("OPOR"). */
export class OrderProductOptionRelation extends Model {
  declare orderProductRelationId: string;
  declare productOptionGroupId: string;
  declare productOptionId: string | null;
  declare customResponse: string | null;
}

export interface SingleProductCart extends BaseFields {}
/** A buy-now holder of exactly one OPR; promoted to an Order with the same id when paid. */
export class SingleProductCart extends Model {
  declare userId: number;
  declare orderProductRelationId: string;
  declare preparedCartSnapshot: unknown | null;
  declare preparedCartHash: string | null;
  declare stockHeldUntil: Date | null;
  /** Hash of the buy-now request: a double-clicked "buy" returns the same held cart. */
  declare requestFingerprint: string | null;
}

export interface CustomerInfo extends BaseFields {}
export class CustomerInfo extends Model {
  declare orderId: string | null;
  declare singleProductCartId: string | null;
  declare name: string;
  declare phone: string;
  declare email: string;
  declare organization: string | null;
}

export interface TicketInfo extends BaseFields {}
/**
 * The holder ("participant") of one ticket item: one row per OPR (unique even when soft-deleted). An item's
 * participant is its live TicketInfo, else the order's CustomerInfo.
 */
export class TicketInfo extends Model {
  declare orderProductRelationId: string;
  declare name: string;
  declare phone: string;
  declare email: string;
  declare organization: string | null;
  declare contributionMessage: string | null;
}

export interface PaymentHistory extends BaseFields {}
/** Append-only payment ledger row: `price` is the money still held after this event. */
export class PaymentHistory extends Model {
  declare orderId: string;
  declare impId: string | null;
  declare status: PaymentStatus;
  declare price: number;
}

export type WebhookEventType =
  | 'webhook_received'
  | 'payment_lookup_succeeded'
  | 'payment_lookup_failed'
  | 'payment_accepted'
  | 'payment_rejected'
  | 'cancel_succeeded'
  | 'cancel_failed';

export class PaymentWebhookEvent extends Model {
  declare id: string;
  declare orderId: string | null;
  declare singleProductCartId: string | null;
  declare paymentHistoryId: string | null;
  declare impUid: string | null;
  declare merchantUid: string | null;
  declare eventType: WebhookEventType;
  declare reasonCode: string | null;
  declare reason: string | null;
  declare requestPayload: unknown;
  declare paymentLookupResponse: unknown;
  declare cancelResponse: unknown;
  declare createdAt: Date;
}

const uuid = (allowNull: boolean) => ({ type: DataTypes.UUID, allowNull });

export function initOrderModels(sequelize: Sequelize): void {
  Order.init(
    {
      ...baseColumns(),
      userId: { type: DataTypes.INTEGER, allowNull: false },
      nameKo: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      nameEn: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      preparedCartSnapshot: { type: DataTypes.JSONB, allowNull: true },
      preparedCartHash: { type: DataTypes.STRING(16), allowNull: true },
      stockHeldUntil: { type: DataTypes.DATE, allowNull: true },
      importKey: { type: DataTypes.STRING(64), allowNull: true },
      compReason: { type: DataTypes.TEXT, allowNull: true },
    },
    shopModelOptions(sequelize, 'orders'),
  );
  OrderProductRelation.init(
    {
      ...baseColumns(),
      orderId: uuid(true),
      productId: uuid(false),
      status: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'pending' },
      price: { type: DataTypes.INTEGER, allowNull: false },
      donationPrice: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      usedAt: { type: DataTypes.DATE, allowNull: true },
      usedBy: { type: DataTypes.TEXT, allowNull: true },
      listPrice: { type: DataTypes.INTEGER, allowNull: true },
    },
    shopModelOptions(sequelize, 'order_product_relations'),
  );
  OrderProductOptionRelation.init(
    {
      ...baseColumns(),
      orderProductRelationId: uuid(false),
      productOptionGroupId: uuid(false),
      productOptionId: uuid(true),
      customResponse: { type: DataTypes.TEXT, allowNull: true },
    },
    shopModelOptions(sequelize, 'order_product_option_relations'),
  );
  SingleProductCart.init(
    {
      ...baseColumns(),
      userId: { type: DataTypes.INTEGER, allowNull: false },
      orderProductRelationId: uuid(false),
      preparedCartSnapshot: { type: DataTypes.JSONB, allowNull: true },
      preparedCartHash: { type: DataTypes.STRING(16), allowNull: true },
      stockHeldUntil: { type: DataTypes.DATE, allowNull: true },
      requestFingerprint: { type: DataTypes.STRING(64), allowNull: true },
    },
    shopModelOptions(sequelize, 'single_product_carts'),
  );
  CustomerInfo.init(
    {
      ...baseColumns(),
      orderId: uuid(true),
      singleProductCartId: uuid(true),
      name: { type: DataTypes.TEXT, allowNull: false },
      phone: { type: DataTypes.TEXT, allowNull: false },
      email: { type: DataTypes.TEXT, allowNull: false },
      organization: { type: DataTypes.TEXT, allowNull: true },
    },
    shopModelOptions(sequelize, 'customer_infos'),
  );
  TicketInfo.init(
    {
      ...baseColumns(),
      orderProductRelationId: uuid(false),
      name: { type: DataTypes.TEXT, allowNull: false },
      phone: { type: DataTypes.TEXT, allowNull: false },
      email: { type: DataTypes.TEXT, allowNull: false },
      organization: { type: DataTypes.TEXT, allowNull: true },
      contributionMessage: { type: DataTypes.TEXT, allowNull: true },
    },
    shopModelOptions(sequelize, 'ticket_infos'),
  );
  PaymentHistory.init(
    {
      ...baseColumns(),
      orderId: uuid(false),
      impId: { type: DataTypes.STRING(256), allowNull: true },
      status: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'completed' },
      price: { type: DataTypes.INTEGER, allowNull: false },
    },
    shopModelOptions(sequelize, 'payment_histories'),
  );
  PaymentWebhookEvent.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      orderId: uuid(true),
      singleProductCartId: uuid(true),
      paymentHistoryId: uuid(true),
      impUid: { type: DataTypes.STRING(256), allowNull: true },
      merchantUid: { type: DataTypes.STRING(256), allowNull: true },
      eventType: { type: DataTypes.STRING(32), allowNull: false },
      reasonCode: { type: DataTypes.STRING(128), allowNull: true },
      reason: { type: DataTypes.TEXT, allowNull: true },
      requestPayload: { type: DataTypes.JSONB, allowNull: true },
      paymentLookupResponse: { type: DataTypes.JSONB, allowNull: true },
      cancelResponse: { type: DataTypes.JSONB, allowNull: true },
    },
    { sequelize, tableName: 'payment_webhook_events', underscored: true, updatedAt: false },
  );
}
