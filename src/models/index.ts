/**
 * All models and — in this one file — all associations (no import cycles), plus the audit hooks of the
 * history-tracked models (spec §0: every change records who, when, before/after).
 */
import type { Model, ModelStatic, Sequelize, Transaction } from 'sequelize';
import { addActorHooks } from './base.js';
import { initUserModels, User, SocialAccount } from './user.js';
import { initCatalogModels, CategoryGroup, Category, Tag, Product, ProductTagRelation, OptionGroup, Option } from './catalog.js';
import {
  initOrderModels,
  Order,
  OrderProductRelation,
  OrderProductOptionRelation,
  SingleProductCart,
  CustomerInfo,
  TicketInfo,
  PaymentHistory,
  PaymentWebhookEvent,
} from './order.js';
import { initSystemModels, initPaymentOpsModels, ApiKey, AuditLog } from './system.js';
import { initNotificationModels, NotificationTemplate, NotificationHistory, NotificationRecipient } from './notification.js';
import { initDocumentModels, Event, DocumentTemplate, IssuedDocument } from './document.js';
import { initDeskModels, RegistrationDeskConfig, OrderItemTag } from './desk.js';
import { currentActor } from '../context.js';

export * from './user.js';
export * from './catalog.js';
export * from './order.js';
export * from './system.js';
export * from './notification.js';
export * from './document.js';
export * from './desk.js';
export { UNBOUNDED } from './catalog.js';

/** Models whose every change is written to audit_logs. PaymentHistory is itself an append-only ledger. */
const HISTORY_TRACKED: ModelStatic<Model>[] = [
  CategoryGroup,
  Category,
  Tag,
  Product,
  ProductTagRelation,
  OptionGroup,
  Option,
  Order,
  OrderProductRelation,
  OrderProductOptionRelation,
  SingleProductCart,
  CustomerInfo,
  TicketInfo,
  User,
  NotificationTemplate,
  Event,
  DocumentTemplate,
  IssuedDocument,
  RegistrationDeskConfig,
  OrderItemTag,
];

const SECRET_FIELDS = new Set(['passwordHash', 'totpSecret']);

function plain(row: Model, keys?: string[]): Record<string, unknown> {
  const all = row.get({ plain: true }) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys ?? Object.keys(all)) {
    if (typeof all[k] === 'object' && all[k] !== null && !(all[k] instanceof Date) && !Array.isArray(all[k]) && k !== 'preparedCartSnapshot') continue; // nested includes
    out[k] = SECRET_FIELDS.has(k) ? (all[k] == null ? null : '[redacted]') : all[k];
  }
  return out;
}

/**
 * The SQL expression (jsonb) of what `plain(row)` gives for a row of `model` just written and read back
 * (`RETURNING *` under `alias`): every attribute by its name, timestamps as a JS Date serializes them (UTC,
 * milliseconds), secrets redacted. For statements that write a row and its audit row in one round trip
 * (cart add); the content equals the afterCreate hook's (tested).
 */
export function auditJsonSql(model: ModelStatic<Model>, alias: string): string {
  // the same text for a model and alias every time (the attributes are fixed once the models are set up):
  // built once — the checkouts and the webhook ask for it on every request
  const key = `${model.name}\u0000${alias}`;
  let sql = auditJsonSqlCache.get(key);
  if (sql === undefined) auditJsonSqlCache.set(key, (sql = buildAuditJsonSql(model, alias)));
  return sql;
}
const auditJsonSqlCache = new Map<string, string>();

function buildAuditJsonSql(model: ModelStatic<Model>, alias: string): string {
  const pairs: string[] = [];
  for (const [attribute, def] of Object.entries(model.getAttributes())) {
    const col = `${alias}."${def.field ?? attribute}"`;
    const key = (def.type as { key?: string }).key;
    let value: string;
    if (key === 'DATE') value = `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    else if (key === 'JSONB' && attribute === 'preparedCartSnapshot') value = col; // plain() keeps only this object
    else if (key === 'UUID' || key === 'STRING' || key === 'TEXT' || key === 'INTEGER' || key === 'BOOLEAN') value = `to_jsonb(${col})`;
    else throw new Error(`auditJsonSql: no JSON rule for ${key} (${model.name}.${attribute})`);
    if (SECRET_FIELDS.has(attribute)) value = `CASE WHEN ${col} IS NULL THEN NULL ELSE to_jsonb('[redacted]'::text) END`;
    pairs.push(`'${attribute}', ${value}`);
  }
  return `jsonb_build_object(${pairs.join(', ')})`;
}

async function writeAudit(
  row: Model,
  action: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  transaction: Transaction | null | undefined,
): Promise<void> {
  const actor = currentActor();
  const model = row.constructor as ModelStatic<Model>;
  const write = () => AuditLog.create(
    {
      tableName: model.getTableName() as string,
      recordId: String(row.get('id')),
      action,
      actorUserId: actor.userId,
      actorLabel: actor.label,
      before,
      after,
    },
    { transaction: transaction ?? undefined },
  );
  if (!transaction) {
    await write();
    return;
  }
  // A bulk `Model.update(…, {individualHooks: true})` runs the per-row hooks with Promise.all: their inserts
  // would go to the transaction's one connection at the same time (pg queues them, deprecated in pg 9).
  // Chain the audit writes of one transaction instead.
  const previous = auditQueues.get(transaction) ?? Promise.resolve();
  const mine = previous.then(write, write);
  auditQueues.set(transaction, mine.then(() => undefined, () => undefined));
  await mine;
}

const auditQueues = new WeakMap<Transaction, Promise<void>>();

function addAuditHooks(model: ModelStatic<Model>): void {
  model.addHook('afterCreate', async (row: Model, options: { transaction?: Transaction | null }) => {
    await writeAudit(row, 'create', null, plain(row), options.transaction);
  });
  model.addHook('afterUpdate', async (row: Model, options: { transaction?: Transaction | null; fields?: string[] }) => {
    const changed = (options.fields ?? []).filter((f) => f !== 'updatedAt');
    if (changed.length === 0) return;
    const before: Record<string, unknown> = {};
    for (const f of changed) before[f] = SECRET_FIELDS.has(f) ? '[redacted]' : row.previous(f);
    await writeAudit(row, row.get('deletedAt') && changed.includes('deletedAt') ? 'delete' : 'update', before, plain(row, changed), options.transaction);
  });
  model.addHook('afterDestroy', async (row: Model, options: { transaction?: Transaction | null }) => {
    await writeAudit(row, 'delete', plain(row), null, options.transaction);
  });
  model.addHook('afterRestore', async (row: Model, options: { transaction?: Transaction | null }) => {
    await writeAudit(row, 'restore', null, plain(row), options.transaction);
  });
}

let initialised: Sequelize | null = null;

export function initModels(sequelize: Sequelize): void {
  if (initialised === sequelize) return;
  initUserModels(sequelize);
  initCatalogModels(sequelize);
  initOrderModels(sequelize);
  initSystemModels(sequelize);
  initNotificationModels(sequelize);
  initPaymentOpsModels(sequelize);
  initDocumentModels(sequelize);
  initDeskModels(sequelize);

  const c = { constraints: false };
  CategoryGroup.hasMany(Category, { as: 'categories', foreignKey: 'groupId', ...c });
  Category.belongsTo(CategoryGroup, { as: 'group', foreignKey: 'groupId', ...c });
  Category.hasMany(Product, { as: 'products', foreignKey: 'categoryId', ...c });
  Product.belongsTo(Category, { as: 'category', foreignKey: 'categoryId', ...c });
  Product.hasMany(ProductTagRelation, { as: 'tagRelations', foreignKey: 'productId', ...c });
  ProductTagRelation.belongsTo(Product, { as: 'product', foreignKey: 'productId', ...c });
  ProductTagRelation.belongsTo(Tag, { as: 'tag', foreignKey: 'tagId', ...c });
  Tag.hasMany(ProductTagRelation, { as: 'productRelations', foreignKey: 'tagId', ...c });
  Product.hasMany(OptionGroup, { as: 'optionGroups', foreignKey: 'productId', ...c });
  OptionGroup.belongsTo(Product, { as: 'product', foreignKey: 'productId', ...c });
  OptionGroup.hasMany(Option, { as: 'options', foreignKey: 'groupId', ...c });
  Option.belongsTo(OptionGroup, { as: 'group', foreignKey: 'groupId', ...c });

  User.hasMany(Order, { as: 'orders', foreignKey: 'userId', ...c });
  User.hasMany(SocialAccount, { as: 'socialAccounts', foreignKey: 'userId', ...c });
  SocialAccount.belongsTo(User, { as: 'user', foreignKey: 'userId', ...c });
  Order.belongsTo(User, { as: 'user', foreignKey: 'userId', ...c });
  Order.hasMany(OrderProductRelation, { as: 'products', foreignKey: 'orderId', ...c });
  Order.hasMany(PaymentHistory, { as: 'paymentHistories', foreignKey: 'orderId', ...c });
  Order.hasOne(CustomerInfo, { as: 'customerInfo', foreignKey: 'orderId', ...c });
  OrderProductRelation.belongsTo(Order, { as: 'order', foreignKey: 'orderId', ...c });
  OrderProductRelation.belongsTo(Product, { as: 'product', foreignKey: 'productId', ...c });
  OrderProductRelation.hasMany(OrderProductOptionRelation, { as: 'options', foreignKey: 'orderProductRelationId', ...c });
  OrderProductRelation.hasOne(TicketInfo, { as: 'ticketInfo', foreignKey: 'orderProductRelationId', ...c });
  TicketInfo.belongsTo(OrderProductRelation, { as: 'orderProductRelation', foreignKey: 'orderProductRelationId', ...c });
  OrderProductRelation.hasOne(SingleProductCart, { as: 'singleProductCart', foreignKey: 'orderProductRelationId', ...c });
  OrderProductOptionRelation.belongsTo(OrderProductRelation, { as: 'orderProductRelation', foreignKey: 'orderProductRelationId', ...c });
  OrderProductOptionRelation.belongsTo(OptionGroup, { as: 'optionGroup', foreignKey: 'productOptionGroupId', ...c });
  OrderProductOptionRelation.belongsTo(Option, { as: 'option', foreignKey: 'productOptionId', ...c });
  SingleProductCart.belongsTo(User, { as: 'user', foreignKey: 'userId', ...c });
  SingleProductCart.belongsTo(OrderProductRelation, { as: 'item', foreignKey: 'orderProductRelationId', ...c });
  SingleProductCart.hasOne(CustomerInfo, { as: 'customerInfo', foreignKey: 'singleProductCartId', ...c });
  PaymentHistory.belongsTo(Order, { as: 'order', foreignKey: 'orderId', ...c });
  PaymentWebhookEvent.belongsTo(Order, { as: 'order', foreignKey: 'orderId', ...c });
  ApiKey.belongsTo(User, { as: 'createdBy', foreignKey: 'createdById', ...c });
  AuditLog.belongsTo(User, { as: 'actorUser', foreignKey: 'actorUserId', ...c });
  NotificationHistory.hasMany(NotificationRecipient, { as: 'recipients', foreignKey: 'historyId', ...c });
  NotificationRecipient.belongsTo(NotificationHistory, { as: 'history', foreignKey: 'historyId', ...c });
  NotificationRecipient.belongsTo(Order, { as: 'order', foreignKey: 'orderId', ...c });
  NotificationHistory.belongsTo(NotificationTemplate, { as: 'template', foreignKey: 'templateId', ...c });
  Event.hasMany(Category, { as: 'categories', foreignKey: 'eventId', ...c });
  Category.belongsTo(Event, { as: 'event', foreignKey: 'eventId', ...c });
  IssuedDocument.belongsTo(DocumentTemplate, { as: 'template', foreignKey: 'templateId', ...c });
  IssuedDocument.belongsTo(OrderProductRelation, { as: 'orderProductRelation', foreignKey: 'orderProductRelationId', ...c });
  DocumentTemplate.hasMany(IssuedDocument, { as: 'issuedDocuments', foreignKey: 'templateId', ...c });

  for (const model of HISTORY_TRACKED) {
    if (model !== User) addActorHooks(model);
    addAuditHooks(model);
  }
  addActorHooks(PaymentHistory);
  initialised = sequelize;
}
