import { DataTypes, Model, type ModelAttributes, type ModelStatic, type Sequelize, type InitOptions } from 'sequelize';
import { currentActor } from '../context.js';

/** Common columns of every shop row (spec §0). deleted_at makes the model paranoid: queries skip those rows. */
// A function, not a shared object: Sequelize writes into each attribute definition it is given.
export const baseColumns = () =>
  ({
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
    createdById: { type: DataTypes.INTEGER, allowNull: true },
    updatedById: { type: DataTypes.INTEGER, allowNull: true },
    deletedById: { type: DataTypes.INTEGER, allowNull: true },
  }) satisfies ModelAttributes;

export interface BaseFields {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  createdById: number | null;
  updatedById: number | null;
  deletedById: number | null;
}

export function shopModelOptions(sequelize: Sequelize, tableName: string): InitOptions {
  return { sequelize, tableName, paranoid: true, underscored: true, timestamps: true };
}

/** Fill the *_by columns from the acting principal. */
export function addActorHooks(model: ModelStatic<Model>): void {
  model.addHook('beforeCreate', (row: Model) => {
    const { userId } = currentActor();
    if (row.get('createdById') == null) row.set('createdById', userId);
    row.set('updatedById', userId);
  });
  model.addHook('beforeUpdate', (row: Model) => {
    row.set('updatedById', currentActor().userId);
  });
  model.addHook('beforeDestroy', (row: Model) => {
    row.set('deletedById', currentActor().userId);
  });
}
