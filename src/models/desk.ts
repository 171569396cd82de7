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
  initOrderItemTagModels(sequelize);
}

export interface OrderItemTag extends BaseFields {}
/** A label of order items (code unique among live tags, name, priority: lower first). */
export class OrderItemTag extends Model {
  declare code: string;
  declare name: string;
  declare priority: number;
}

export function initOrderItemTagModels(sequelize: Sequelize): void {
  OrderItemTag.init(
    {
      ...baseColumns(),
      code: { type: DataTypes.STRING(50), allowNull: false },
      name: { type: DataTypes.STRING(100), allowNull: false },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    },
    shopModelOptions(sequelize, 'order_item_tags'),
  );
}
