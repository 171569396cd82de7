import { DataTypes, Model, type Sequelize } from 'sequelize';

/** A service principal (e.g. the registration desk). Only a hash of the secret is stored. */
export class ApiKey extends Model {
  declare id: string;
  declare name: string;
  declare key: string;
  declare secretHash: string;
  declare scopes: string[];
  declare createdById: number | null;
  declare createdAt: Date;
  declare lastUsedAt: Date | null;
  declare revokedAt: Date | null;
}

/** One audit row: a change of a history-tracked row (`create`/`update`/`delete`) or a named domain action. */
export class AuditLog extends Model {
  declare id: number;
  declare tableName: string;
  declare recordId: string;
  declare action: string;
  declare actorUserId: number | null;
  declare actorLabel: string | null;
  declare reason: string | null;
  declare before: Record<string, unknown> | null;
  declare after: Record<string, unknown> | null;
  declare createdAt: Date;
}

export function initSystemModels(sequelize: Sequelize): void {
  ApiKey.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      name: { type: DataTypes.STRING(100), allowNull: false },
      key: { type: DataTypes.STRING(64), allowNull: false },
      secretHash: { type: DataTypes.TEXT, allowNull: false },
      scopes: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      createdById: { type: DataTypes.INTEGER, allowNull: true },
      lastUsedAt: { type: DataTypes.DATE, allowNull: true },
      revokedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'api_keys', underscored: true },
  );
  AuditLog.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      tableName: { type: DataTypes.STRING(64), allowNull: false },
      recordId: { type: DataTypes.STRING(64), allowNull: false },
      action: { type: DataTypes.STRING(64), allowNull: false },
      actorUserId: { type: DataTypes.INTEGER, allowNull: true },
      actorLabel: { type: DataTypes.STRING(200), allowNull: true },
      reason: { type: DataTypes.TEXT, allowNull: true },
      before: { type: DataTypes.JSONB, allowNull: true },
      after: { type: DataTypes.JSONB, allowNull: true },
    },
    { sequelize, tableName: 'audit_logs', underscored: true, updatedAt: false },
  );
}

/** One PortOne cancel request and what became of it (see migration 20261125000004). */
export class RefundAttempt extends Model {
  declare id: string;
  declare orderId: string;
  declare orderProductRelationId: string | null;
  declare impUid: string | null;
  declare amount: number;
  declare checksum: number;
  declare channel: 'buyer' | 'admin' | 'desk' | 'webhook';
  declare status: RefundAttemptStatus;
  declare actorLabel: string | null;
  declare authorizerUserId: number | null;
  declare reason: string | null;
  declare error: string | null;
  declare portoneResponse: unknown;
  /** What the ledger records once the cancel is known (see migration 20261206120000); null on old rows. */
  declare plan: RefundAttemptPlan | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export type RefundAttemptStatus = 'requested' | 'pending' | 'cancelled_at_portone' | 'completed' | 'failed' | 'unresolved';
/** Attempts whose outcome is not yet in the ledger: at most one per order (the order's refund lease). */
export const OPEN_REFUND_ATTEMPT_STATUSES: readonly RefundAttemptStatus[] = ['requested', 'pending', 'cancelled_at_portone'];

export interface RefundAttemptPlan {
  itemIds: string[];
  nextStatus: 'partial_refunded' | 'refunded';
  remaining: number;
  before: { status: string; paid: number };
  actorUserId: number | null;
}

export interface DriftRow {
  kind: string;
  order_id: string | null;
  imp_uid: string | null;
  merchant_uid: string | null;
  detail: string;
}

export class ReconciliationReport extends Model {
  declare id: string;
  declare since: Date;
  declare checked: number;
  declare driftCount: number;
  declare drifts: DriftRow[];
  declare error: string | null;
  declare createdAt: Date;
}

export function initPaymentOpsModels(sequelize: import('sequelize').Sequelize): void {
  RefundAttempt.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      orderId: { type: DataTypes.UUID, allowNull: false },
      orderProductRelationId: { type: DataTypes.UUID, allowNull: true },
      impUid: { type: DataTypes.STRING(256), allowNull: true },
      amount: { type: DataTypes.INTEGER, allowNull: false },
      checksum: { type: DataTypes.INTEGER, allowNull: false },
      channel: { type: DataTypes.STRING(16), allowNull: false },
      status: { type: DataTypes.STRING(32), allowNull: false },
      actorLabel: { type: DataTypes.STRING(200), allowNull: true },
      authorizerUserId: { type: DataTypes.INTEGER, allowNull: true },
      reason: { type: DataTypes.TEXT, allowNull: true },
      error: { type: DataTypes.TEXT, allowNull: true },
      portoneResponse: { type: DataTypes.JSONB, allowNull: true },
      plan: { type: DataTypes.JSONB, allowNull: true },
    },
    { sequelize, tableName: 'refund_attempts', underscored: true },
  );
  ReconciliationReport.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      since: { type: DataTypes.DATE, allowNull: false },
      checked: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      driftCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      drifts: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      error: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'reconciliation_reports', underscored: true, updatedAt: false },
  );
}
