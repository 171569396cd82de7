import { DataTypes, Model, type Sequelize } from 'sequelize';

export class User extends Model {
  declare id: number;
  declare uniqueId: string;
  declare email: string;
  declare username: string;
  declare nicknameKo: string;
  declare nicknameEn: string;
  declare passwordHash: string | null;
  declare isActive: boolean;
  declare isStaff: boolean;
  declare isSuperuser: boolean;
  declare adminRole: 'viewer' | 'manager' | null;
  declare totpSecret: string | null;
  declare totpEnrolledAt: Date | null;
  declare totpLastStep: number | null;
  declare lastLoginAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
  declare deletedAt: Date | null;

  /** What the UI shows for this person. */
  get display(): string {
    return this.nicknameKo || this.nicknameEn || this.username || this.email;
  }
}

export class SocialAccount extends Model {
  declare id: number;
  declare userId: number;
  declare provider: string;
  declare uid: string;
  declare email: string | null;
  declare lastLoginAt: Date | null;
  declare createdAt: Date;
}

export function initUserModels(sequelize: Sequelize): void {
  User.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      uniqueId: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4 },
      email: { type: DataTypes.STRING(254), allowNull: false },
      username: { type: DataTypes.STRING(150), allowNull: false },
      nicknameKo: { type: DataTypes.STRING(100), defaultValue: '' },
      nicknameEn: { type: DataTypes.STRING(100), defaultValue: '' },
      passwordHash: { type: DataTypes.TEXT, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, defaultValue: true },
      isStaff: { type: DataTypes.BOOLEAN, defaultValue: false },
      isSuperuser: { type: DataTypes.BOOLEAN, defaultValue: false },
      adminRole: { type: DataTypes.STRING(16), allowNull: true },
      totpSecret: { type: DataTypes.TEXT, allowNull: true },
      totpEnrolledAt: { type: DataTypes.DATE, allowNull: true },
      totpLastStep: { type: DataTypes.BIGINT, allowNull: true },
      lastLoginAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'users', paranoid: true, underscored: true },
  );
  SocialAccount.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      userId: { type: DataTypes.INTEGER, allowNull: false },
      provider: { type: DataTypes.STRING(32), allowNull: false },
      uid: { type: DataTypes.STRING(255), allowNull: false },
      email: { type: DataTypes.STRING(254), allowNull: true },
      lastLoginAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'social_accounts', underscored: true },
  );
}
