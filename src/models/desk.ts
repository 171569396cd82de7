import { DataTypes, Model, type Sequelize } from 'sequelize';
import { baseColumns, shopModelOptions, type BaseFields } from './base.js';

export interface RegistrationDeskConfig extends BaseFields {}
/**
 * One registration-desk period: on the Asia/Seoul days start_date … end_date (inclusive) the session desk
 * may write to items of `categoryIds`. Live periods never overlap (database exclusion constraint).
 */
export class RegistrationDeskConfig extends Model {
  declare name: string;
  declare eventName: string;
  /** 'YYYY-MM-DD' */
  declare startDate: string;
  declare endDate: string;
  declare categoryIds: string[];
}

export function initDeskModels(sequelize: Sequelize): void {
  RegistrationDeskConfig.init(
    {
      ...baseColumns(),
      name: { type: DataTypes.STRING(100), allowNull: false },
      eventName: { type: DataTypes.STRING(200), allowNull: false, defaultValue: '' },
      startDate: { type: DataTypes.DATEONLY, allowNull: false },
      endDate: { type: DataTypes.DATEONLY, allowNull: false },
      categoryIds: { type: DataTypes.ARRAY(DataTypes.UUID), allowNull: false, defaultValue: [] },
    },
    shopModelOptions(sequelize, 'registration_desk_configs'),
  );
}
