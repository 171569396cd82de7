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
