import { DataTypes, Model, type Sequelize } from 'sequelize';
import { baseColumns, shopModelOptions, type BaseFields } from './base.js';

export type NotificationChannel = 'email' | 'kakao' | 'sms';
export const NOTIFICATION_CHANNELS: readonly NotificationChannel[] = ['email', 'kakao', 'sms'];
export type BodyFormat = 'text' | 'html';
export type NotificationLanguage = 'ko' | 'en';
export type NotificationTrigger = 'manual' | 'manual_ticket' | 'order_paid' | 'order_refunded';
export type RecipientStatus = 'CREATED' | 'SENDING' | 'SENT' | 'FAILED';

export interface NotificationTemplate extends BaseFields {}
/** A template with `{{ var }}` placeholders; one active per (channel, code, language). */
export class NotificationTemplate extends Model {
  declare channel: NotificationChannel;
  declare code: string;
  /** Kakao alimtalk: the template code approved at NHN Cloud / Kakao. */
  declare providerTemplateCode: string | null;
  declare bodyFormat: BodyFormat;
  declare language: NotificationLanguage;
  declare name: string;
  declare subject: string;
  declare body: string;
  declare active: boolean;
}

export interface TemplateSnapshot {
  code: string;
  provider_template_code?: string | null;
  body_format?: BodyFormat;
  language: NotificationLanguage;
  name: string;
  subject: string;
  body: string;
}

/** One send (admin action or automatic order event) with the template as it was. */
export class NotificationHistory extends Model {
  declare id: string;
  declare channel: NotificationChannel;
  declare templateId: string | null;
  declare templateCode: string;
  declare templateLanguage: NotificationLanguage;
  declare templateSnapshot: TemplateSnapshot;
  declare sender: string;
  declare trigger: NotificationTrigger;
  declare eventKey: string | null;
  declare contextOverride: Record<string, unknown>;
  declare createdById: number | null;
  declare createdByLabel: string | null;
  declare createdAt: Date;
}

/** One recipient of a send: the rendered message and its delivery state. */
export class NotificationRecipient extends Model {
  declare id: string;
  declare historyId: string;
  declare orderId: string | null;
  declare orderProductRelationId: string | null;
  /** What this message is about (order id, or order item id for per-ticket sends). */
  declare dedupeKey: string;
  declare recipient: string;
  declare context: Record<string, unknown>;
  declare subject: string;
  declare body: string;
  declare status: RecipientStatus;
  declare attempts: number;
  declare lastError: string | null;
  declare nextAttemptAt: Date | null;
  declare claimedAt: Date | null;
  declare sentAt: Date | null;
  declare messageId: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export function initNotificationModels(sequelize: Sequelize): void {
  NotificationTemplate.init(
    {
      ...baseColumns(),
      channel: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'email' },
      code: { type: DataTypes.STRING(64), allowNull: false },
      providerTemplateCode: { type: DataTypes.STRING(64), allowNull: true },
      bodyFormat: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'text' },
      language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ko' },
      name: { type: DataTypes.STRING(200), allowNull: false, defaultValue: '' },
      subject: { type: DataTypes.TEXT, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    },
    shopModelOptions(sequelize, 'notification_templates'),
  );
  NotificationHistory.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      channel: { type: DataTypes.STRING(32), allowNull: false },
      templateId: { type: DataTypes.UUID, allowNull: true },
      templateCode: { type: DataTypes.STRING(64), allowNull: false },
      templateLanguage: { type: DataTypes.STRING(8), allowNull: false },
      templateSnapshot: { type: DataTypes.JSONB, allowNull: false },
      sender: { type: DataTypes.TEXT, allowNull: false },
      trigger: { type: DataTypes.STRING(32), allowNull: false },
      eventKey: { type: DataTypes.STRING(200), allowNull: true },
      contextOverride: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      createdById: { type: DataTypes.INTEGER, allowNull: true },
      createdByLabel: { type: DataTypes.STRING(200), allowNull: true },
    },
    { sequelize, tableName: 'notification_histories', underscored: true, updatedAt: false },
  );
  NotificationRecipient.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      historyId: { type: DataTypes.UUID, allowNull: false },
      orderId: { type: DataTypes.UUID, allowNull: true },
      orderProductRelationId: { type: DataTypes.UUID, allowNull: true },
      dedupeKey: { type: DataTypes.STRING(64), allowNull: false, defaultValue: '' },
      recipient: { type: DataTypes.STRING(320), allowNull: false },
      context: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      subject: { type: DataTypes.TEXT, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'CREATED' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lastError: { type: DataTypes.TEXT, allowNull: true },
      nextAttemptAt: { type: DataTypes.DATE, allowNull: true },
      claimedAt: { type: DataTypes.DATE, allowNull: true },
      sentAt: { type: DataTypes.DATE, allowNull: true },
      messageId: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'notification_recipients', underscored: true },
  );
}
