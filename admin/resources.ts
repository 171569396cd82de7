/**
 * The panel's resources (ids = table names) and their actions. Reading is AdminJS's own; every write goes
 * through a service with the API's validation (catalogue, templates, customer info, staff flags), and
 * money / stock / status changes exist only as custom actions calling services (refund, import) — the
 * order, item, ledger, webhook and audit resources are read-only.
 */
import { readFile, unlink } from 'node:fs/promises';
import type { Sequelize } from 'sequelize';
import { BaseRecord, ValidationError, type ActionContext, type ActionRequest, type ResourceWithOptions, type ResourceOptions, type Action, type ActionResponse, type RecordActionResponse } from 'adminjs';
import { Resource as SequelizeResource } from '@adminjs/sequelize';
import {
  CategoryGroup,
  Category,
  Tag,
  Product,
  OptionGroup,
  Option,
  Order,
  OrderProductRelation,
  OrderProductOptionRelation,
  CustomerInfo,
  PaymentHistory,
  PaymentWebhookEvent,
  User,
  ApiKey,
  AuditLog,
  NotificationTemplate,
  NotificationHistory,
  NotificationRecipient,
  RefundAttempt,
  ReconciliationReport,
  RegistrationDeskConfig,
  OrderItemTag,
} from '../src/models/index.js';
import type { AppDeps } from '../src/http/types.js';
import { runAs } from '../src/context.js';
import { ServiceError } from '../src/services/errors.js';
import { CatalogService, saveCatalogRow, type CatalogKind, type FieldErrors } from '../src/services/admin-catalog.js';
import { countOrders, findOrderIds, orderRows, parseOrderFilter, type OrderRow } from '../src/services/admin-orders.js';
import { orderView } from '../src/services/order-view.js';
import { previewRefund, refund } from '../src/services/refund.js';
import { exportFilename, exportOrderIds, writeOrdersCsv, writeOrdersXlsx } from '../src/services/export.js';
import { itemScope, orderScope, type ItemScope, type OrderScope } from '../src/services/admin-order-scope.js';
import { sendGuard } from './bulk-guard.js';
import { importOrders, importTemplate } from '../src/services/import.js';
import { previewNotification, retryNotifications, sendNotification, MissingContextVariablesError, type NotificationHistoryDto } from '../src/services/notifications.js';
import { createApiKey, revokeApiKey } from '../src/services/auth.js';
import { setStaffFlags } from '../src/services/admin-users.js';
import { saveCustomerInfo, saveNotificationTemplate } from '../src/services/admin-records.js';
import { saveDeskConfig } from '../src/services/desk-config.js';
import { assignOrderItemTag, saveOrderItemTag, unassignOrderItemTag } from '../src/services/order-item-tags.js';
import { parseItemFilter } from '../src/services/order-items.js';
import { previewTicketNotification, sendTicketNotification } from '../src/services/ticket-notifications.js';
import { cancelCompItem, compCatalogue, compUser, createCompOrder } from '../src/services/comp-orders.js';
import { adminOf, canWrite, isStaff, isSuperuser, never, type AdminUser } from './roles.js';
import type { ComponentName } from './components.js';
import { applyDisplayComponents } from './display.js';
import { historyRows } from './history.js';
import { withProductForm } from './product-form.js';
import { GuardedResource, isModelClass } from './query-guard.js';
import { documentResources } from './documents.js';
import { changeOptionAction } from './order-change.js';
import { OPR_STATUSES, PAYMENT_STATUSES } from '../src/domain/payment/status.js';

export type Components = Record<ComponentName, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (request: ActionRequest, response: any, context: ActionContext) => Promise<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActionDef = Partial<Action<any>>;

const NAV = {
  catalog: { name: 'Catalogue', icon: 'ShoppingBag' },
  orders: { name: 'Orders', icon: 'CreditCard' },
  notify: { name: 'Notifications', icon: 'Mail' },
  system: { name: 'System', icon: 'Settings' },
};

/** Tables whose rows are audited (the "history" action is offered on them). */
const AUDITED = new Set([
  'category_groups', 'categories', 'tags', 'products', 'product_tag_relations', 'option_groups', 'options', 'orders',
  'order_product_relations', 'order_product_option_relations', 'customer_infos', 'users', 'notification_templates', 'api_keys',
  'events', 'document_templates', 'issued_documents',
  'registration_desk_configs', 'order_item_tags',
]);

export const BASE_HIDDEN = ['createdById', 'updatedById', 'deletedById', 'deletedAt'];

export function hidden(keys: string[], where: { list?: boolean; show?: boolean; edit?: boolean; filter?: boolean } = { list: false, show: false, edit: false, filter: false }) {
  return Object.fromEntries(keys.map((k) => [k, { isVisible: where }]));
}

export const readOnlyMeta = { isVisible: { list: false, show: true, edit: false, filter: false } };

/** A service error in AdminJS terms: a notice (and field errors for validation errors). */
export function noticeOf(e: unknown): { message: string; type: 'error' } {
  if (e instanceof ServiceError) return { message: e.errors.map((x) => x.detail).join(' / '), type: 'error' };
  throw e;
}

export function fieldErrors(errors: FieldErrors): ValidationError {
  return new ValidationError(
    Object.fromEntries(Object.entries(errors).map(([k, message]) => [k, { message }])),
    { message: Object.values(errors)[0] ?? 'thereWereValidationErrors' },
  );
}

/** Run a handler as the signed-in staff member (audit hooks record who). */
export const asAdmin = (handler: Handler): Handler => (request, response, context) => {
  const a = adminOf(context);
  return runAs({ userId: a?.userId ?? null, label: a ? `user:${a.userId}` : 'admin' }, () => handler(request, response, context));
};

export function unflat(payload: Record<string, unknown> | undefined): Record<string, unknown> {
  return { ...(payload ?? {}) };
}

export function recordJson(context: ActionContext) {
  return context.record!.toJSON(context.currentAdmin);
}


/**
 * new / edit / delete of a resource whose writes go through a service `save(id | null, payload)` (validation
 * errors shown next to the fields), plus its history; bulk delete off.
 */
export function serviceWriteActions(
  resourceId: string,
  save: (id: string | null, input: Record<string, unknown>) => Promise<{ ok: true; row: { id: string; get(o: { plain: true }): unknown } } | { ok: false; errors: FieldErrors }>,
  components: Components,
): ResourceOptions['actions'] {
  const handler: Handler = async (request, _res, context) => {
    const { record, resource, h, currentAdmin } = context;
    if (request.method !== 'post') return { record: record ? recordJson(context) : {} } as ActionResponse;
    const r = await save(record ? String(record.id()) : null, unflat(request.payload));
    if (!r.ok) throw fieldErrors(r.errors);
    return {
      record: new BaseRecord(r.row.get({ plain: true }) as Record<string, unknown>, resource).toJSON(currentAdmin),
      redirectUrl: h.recordActionUrl({ resourceId, recordId: r.row.id, actionName: 'show' }),
      notice: { message: record ? 'successfullyUpdated' : 'successfullyCreated', type: 'success' },
    } as ActionResponse;
  };
  return {
    new: { isAccessible: canWrite, handler: asAdmin(handler) },
    edit: { isAccessible: canWrite, handler: asAdmin(handler) },
    delete: { isAccessible: canWrite },
    bulkDelete: { isAccessible: never },
    history: historyAction(components),
  };
}

/** The `history` record action: the audit rows of this record, newest first. */
export function historyAction(components: Components): ActionDef {
  return {
    actionType: 'record',
    icon: 'Clock',
    isAccessible: isStaff,
    component: components.AuditHistory,
    showInDrawer: false,
    handler: async (_request, _response, context) => {
      const table = context.resource.id();
      const rows = await AuditLog.findAll({ where: { tableName: table, recordId: String(context.record!.id()) }, order: [['createdAt', 'DESC'], ['id', 'DESC']], limit: 200 });
      return { record: recordJson(context), history: await historyRows(rows) } as RecordActionResponse;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// catalogue

class ProductResource extends GuardedResource {
  constructor(private readonly catalog: CatalogService) {
    super(Product);
  }
  override async findOne(id: string): Promise<BaseRecord | null> {
    const rec = await super.findOne(id);
    if (!rec) return null;
    const tagIds = await this.catalog.productTagIds(id);
    // notRefundable: the form's switch for refundable_ends_at = null (never refundable by the buyer)
    const notRefundable = rec.params.refundableEndsAt === null || rec.params.refundableEndsAt === undefined;
    return new BaseRecord({ ...rec.params, notRefundable, ...Object.fromEntries(tagIds.map((t, i) => [`tagIds.${i}`, t])) }, this);
  }
}

function catalogActions(kind: CatalogKind, svc: CatalogService): ResourceOptions['actions'] {
  const save: Handler = async (request, _response, context) => {
    const { resource, h, currentAdmin, record } = context;
    if (request.method !== 'post') return { record: record ? recordJson(context) : {} } as ActionResponse;
    const result = await saveCatalogRow(svc, kind, record ? String(record.id()) : null, unflat(request.payload));
    if (!result.ok) throw fieldErrors(result.errors);
    const saved = new BaseRecord(result.row.get({ plain: true }) as Record<string, unknown>, resource);
    return {
      record: saved.toJSON(currentAdmin),
      redirectUrl: h.recordActionUrl({ resourceId: resource.id(), recordId: String(result.row.get('id')), actionName: 'show' }),
      notice: { message: record ? 'successfullyUpdated' : 'successfullyCreated', type: 'success' },
    } as ActionResponse;
  };
  const remove: Handler = async (_request, _response, context) => {
    const { resource, h, record, records, currentAdmin } = context;
    const targets = record ? [record] : records ?? [];
    for (const r of targets) await svc.softDelete(kind, String(r.id()));
    return {
      ...(record ? { record: record.toJSON(currentAdmin) } : { records: targets.map((r) => r.toJSON(currentAdmin)) }),
      redirectUrl: h.resourceUrl({ resourceId: resource.id() }),
      notice: { message: 'successfullyDeleted', type: 'success' },
    } as ActionResponse;
  };
  return {
    new: { isAccessible: canWrite, handler: asAdmin(save) },
    edit: { isAccessible: canWrite, handler: asAdmin(save) },
    delete: { isAccessible: canWrite, handler: asAdmin(remove) },
    bulkDelete: { isAccessible: canWrite, handler: asAdmin(remove) },
    list: { isAccessible: isStaff },
    show: { isAccessible: isStaff },
    search: { isAccessible: isStaff },
  };
}

function catalogResources(svc: CatalogService, components: Components): ResourceWithOptions[] {
  const common = (kind: CatalogKind, extra: Partial<ResourceOptions> = {}): ResourceOptions => ({
    navigation: NAV.catalog,
    ...extra,
    properties: { ...hidden(BASE_HIDDEN), createdAt: readOnlyMeta, updatedAt: readOnlyMeta, id: { isVisible: { list: false, show: true, edit: false, filter: true } }, ...(extra.properties ?? {}) },
    actions: { ...catalogActions(kind, svc), history: historyAction(components), ...(extra.actions ?? {}) },
  });
  return [
    {
      resource: CategoryGroup,
      options: common('category_groups', {
        sort: { sortBy: 'priority', direction: 'asc' },
        properties: { name: { isTitle: true } },
        actions: {
          categories: {
            actionType: 'record',
            icon: 'List',
            isAccessible: isStaff,
            component: false,
            handler: async (_req, _res, context) => ({
              record: recordJson(context),
              redirectUrl: context.h.resourceUrl({ resourceId: 'categories', search: `?filters.groupId=${context.record!.id()}` }),
            }),
          },
        },
      }),
    },
    {
      resource: Category,
      options: common('categories', {
        sort: { sortBy: 'priority', direction: 'asc' },
        properties: { name: { isTitle: true }, groupId: { reference: 'category_groups', isRequired: true }, eventId: { reference: 'events' } },
      }),
    },
    {
      resource: Tag,
      options: common('tags', { properties: { nameKo: { isTitle: true, isRequired: true } } }),
    },
    {
      resource: new ProductResource(svc),
      options: common('products', {
        sort: { sortBy: 'priority', direction: 'asc' },
        listProperties: ['nameKo', 'price', 'stock', 'categoryId', 'orderableStartsAt', 'orderableEndsAt'],
        properties: withProductForm({
          nameKo: { isTitle: true, isRequired: true },
          categoryId: { reference: 'categories', isRequired: true },
          descriptionKo: { type: 'textarea' },
          descriptionEn: { type: 'textarea' },
          price: { isRequired: true },
          tagIds: { type: 'reference', reference: 'tags', isArray: true, isVisible: { list: false, show: true, edit: true, filter: false } },
          notRefundable: { type: 'boolean', description: '환불 불가 상품 (구매자 환불 불가; 운영자/데스크 환불은 가능)', isVisible: { list: false, show: true, edit: true, filter: false } },
        }),
        actions: {
          options: {
            actionType: 'record',
            icon: 'Settings',
            isAccessible: isStaff,
            component: components.ProductOptions,
            handler: asAdmin(async (request, _res, context) => {
              const productId = String(context.record!.id());
              if (request.method === 'post') {
                if (!canWrite(context)) return { record: recordJson(context), notice: { message: 'forbiddenError', type: 'error' } };
                let groups: unknown;
                try {
                  groups = JSON.parse(String((request.payload as Record<string, unknown>)?.groups ?? ''));
                } catch {
                  return { record: recordJson(context), errors: { groups: 'JSON 형식이 올바르지 않습니다.' }, notice: { message: 'JSON 형식이 올바르지 않습니다.', type: 'error' } };
                }
                const r = await svc.syncProductOptions(productId, groups);
                if (!r.ok) return { record: recordJson(context), errors: r.errors, notice: { message: '입력값을 확인해주세요.', type: 'error' } };
                return { record: recordJson(context), groups: r.row, notice: { message: '옵션을 저장했습니다.', type: 'success' } };
              }
              return { record: recordJson(context), groups: await svc.productOptions(productId), canWrite: canWrite(context) };
            }),
          },
        },
      }),
    },
    {
      resource: OptionGroup,
      options: common('option_groups', {
        sort: { sortBy: 'priority', direction: 'asc' },
        properties: { nameKo: { isTitle: true, isRequired: true }, productId: { reference: 'products', isRequired: true }, customResponsePattern: { type: 'string' } },
      }),
    },
    {
      resource: Option,
      options: common('options', {
        sort: { sortBy: 'priority', direction: 'asc' },
        properties: { nameKo: { isTitle: true, isRequired: true }, groupId: { reference: 'option_groups', isRequired: true } },
      }),
    },
  ];
}

/** A resource whose records never carry some columns (password hashes, TOTP secrets, API secret hashes). */
// ---------------------------------------------------------------------------------------------------------
// orders

type FilterLike = { filters?: Record<string, { path: string; value: unknown }> };

function filterInput(filter: FilterLike | undefined): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const f of Object.values(filter?.filters ?? {})) raw[f.path] = f.value;
  if (raw.nameKo && !raw.q) raw.q = raw.nameKo; // the reference autocomplete searches the title property
  return raw;
}

function rowParams(r: OrderRow): Record<string, unknown> {
  return {
    ...r,
    firstPaidAt: r.firstPaidAt?.toISOString() ?? null,
    statusChangedAt: r.statusChangedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    title: `${r.nameKo || r.id} (${r.customerName ?? r.userEmail})`,
  };
}

class OrderResource extends SequelizeResource {
  // (not named `sequelize`: AdminJS would take this object for a raw Sequelize model and wrap it again)
  constructor(
    private readonly db: Sequelize,
    private readonly deps: AppDeps,
  ) {
    super(Order);
  }
  override async find(filter: FilterLike, opts: { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } }): Promise<BaseRecord[]> {
    const ids = await findOrderIds(this.db, parseOrderFilter(filterInput(filter)), {
      limit: opts.limit ?? 20,
      offset: opts.offset ?? 0,
      sortBy: opts.sort?.sortBy,
      direction: opts.sort?.direction,
    });
    return (await orderRows(this.db, ids)).map((r) => new BaseRecord(rowParams(r), this));
  }
  override async count(filter: FilterLike): Promise<number> {
    return countOrders(this.db, parseOrderFilter(filterInput(filter)));
  }
  override async findMany(ids: Array<string | number>): Promise<BaseRecord[]> {
    return (await orderRows(this.db, ids.map(String))).map((r) => new BaseRecord(rowParams(r), this));
  }
  override async findOne(id: string): Promise<BaseRecord | null> {
    const [row] = await orderRows(this.db, [id]);
    if (!row) return null;
    const view = await orderView(id, { lang: 'ko', now: new Date(), backendDomain: this.deps.config.backendDomain, scancodeSalts: this.deps.config.scancodeSalts });
    return new BaseRecord({ ...rowParams(row), itemsJson: JSON.stringify(view?.products ?? []), historiesJson: JSON.stringify(view?.payment_histories ?? []) }, this);
  }
}

/** An enum property's values: AdminJS translates a value (`labels.<field>.<value>` in admin/locale.ts) only when it is listed. */
const listed = (values: readonly string[]) => ({ availableValues: values.map((v) => ({ value: v, label: v })) });
const NOTIFICATION_CHANNELS = ['email', 'kakao', 'sms'];
const REFUND_ATTEMPT_STATUSES = ['requested', 'cancelled_at_portone', 'completed', 'failed'];
const ORDER_STATUSES = ['completed', 'partial_refunded', 'refunded', 'pending'].map((v) => ({ value: v, label: v }));

/** The list page's filters travel in the query (`filters.status=…`) or as a JSON `filters` payload field. */
function orderFilterFrom(request: ActionRequest) {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    if (!k.startsWith('filters.')) continue;
    const path = k.slice('filters.'.length);
    const [field, bound] = path.split('~~');
    if (bound) raw[field!] = { ...((raw[field!] as object) ?? {}), [bound]: v };
    else raw[path] = v;
  }
  const p = (request.payload ?? {}) as Record<string, unknown>;
  if (typeof p.filters === 'string' && p.filters) {
    try {
      Object.assign(raw, JSON.parse(p.filters) as Record<string, unknown>);
    } catch {
      /* ignore a bad filter blob: the list's own filters still apply */
    }
  }
  return parseOrderFilter(raw);
}

/** A list's `filters.*` from the drawer's query, then the posted `filters` JSON over them (a bad JSON throws SyntaxError). */
function listFilterInput(request: ActionRequest, payload: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) if (k.startsWith('filters.')) raw[k.slice('filters.'.length)] = v;
  if (typeof payload.filters === 'string' && payload.filters) Object.assign(raw, JSON.parse(payload.filters) as Record<string, unknown>);
  return raw;
}

function orderResources(deps: AppDeps, components: Components): ResourceWithOptions[] {
  const { sequelize, config } = deps;
  const refundDeps = { sequelize, portone: deps.portone, secretKey: config.secretKey };
  const exportCtx = { backendDomain: config.backendDomain, scancodeSalts: config.scancodeSalts };

  const refundHandler = (scope: 'order' | 'item'): Handler =>
    asAdmin(async (request, _response, context) => {
      const rec = context.record!;
      const orderId = scope === 'order' ? String(rec.id()) : String(rec.param('orderId'));
      const itemId = scope === 'item' ? String(rec.id()) : null;
      const admin = adminOf(context)!;
      const showUrl = context.h.recordActionUrl({ resourceId: 'orders', recordId: orderId, actionName: 'show' });
      if (request.method !== 'post') {
        try {
          const preview = await previewRefund({ orderId, itemId, channel: 'admin' });
          return { record: recordJson(context), preview, totpEnrolled: admin.totpEnrolled };
        } catch (e) {
          return { record: recordJson(context), notice: noticeOf(e) };
        }
      }
      if (!canWrite(context)) return { record: recordJson(context), notice: { message: 'forbiddenError', type: 'error' } };
      const payload = (request.payload ?? {}) as Record<string, unknown>;
      try {
        const outcome = await refund(refundDeps, {
          orderId,
          itemId,
          channel: 'admin',
          authorizerUserId: admin.userId,
          totp: typeof payload.totp === 'string' ? payload.totp.trim() : null,
          reason: typeof payload.reason === 'string' && payload.reason.trim() ? payload.reason.trim().slice(0, 200) : null,
        });
        const fresh = await context.resource.findOne(String(rec.id()), context);
        return {
          record: (fresh ?? rec).toJSON(context.currentAdmin),
          outcome,
          redirectUrl: showUrl,
          notice: { message: `환불 완료: ${outcome.refunded.toLocaleString('ko-KR')}원 (${outcome.status})`, type: 'success' },
        };
      } catch (e) {
        return { record: recordJson(context), notice: noticeOf(e) };
      }
    });

  // comp orders have nothing to refund (the service refuses them too): no refund link
  const refundVisible = (ctx: ActionContext) =>
    canWrite(ctx) && !ctx.record?.param('compReason') && ['completed', 'partial_refunded'].includes(String(ctx.record?.param('currentStatus') ?? ''));

  // Export and Notify open in a drawer over the list: AdminJS carries the list's query (`filters.*`) only
  // into drawer actions, so the filtered list is what they act on (a full-page action dropped the filters).
  const exportAction: ActionDef = {
    actionType: 'resource',
    icon: 'Download',
    isAccessible: isStaff,
    showInDrawer: true,
    containerWidth: 720,
    component: components.ExportView,
    handler: async (request, response, context) => {
      const q = (request.query ?? {}) as Record<string, unknown>;
      const format = q.format === 'xlsx' ? 'xlsx' : q.format === 'csv' ? 'csv' : null;
      const productIds = typeof q.productIds === 'string' && q.productIds ? q.productIds.split(',') : [];
      const filter = orderFilterFrom(request);
      const ids = await exportOrderIds(sequelize, { filter, productIds, includeRefunded: q.includeRefunded === 'true' });
      if (!format) return { scope: await orderScope(sequelize, productIds.length ? { ...filter, productId: productIds } : filter, ids.length) };
      const res = response as import('express').Response;
      res.status(200);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Disposition', `attachment; filename="${exportFilename(format)}"`);
      res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      await runAs({ userId: adminOf(context)?.userId ?? null, label: `user:${adminOf(context)?.userId}` }, async () => {
        const { AuditLog: Audit } = await import('../src/models/index.js');
        await Audit.create({ tableName: 'orders', recordId: 'export', action: 'shop.order.exported', actorUserId: adminOf(context)?.userId ?? null, actorLabel: `user:${adminOf(context)?.userId}`, after: { format, orders: ids.length, product_ids: productIds, query: q } });
      });
      if (format === 'csv') await writeOrdersCsv(sequelize, ids, res, exportCtx);
      else await writeOrdersXlsx(sequelize, ids, res, exportCtx);
      return undefined as unknown as ActionResponse; // the response is already streamed
    },
  };

  const importAction: ActionDef = {
    actionType: 'resource',
    icon: 'Upload',
    isAccessible: canWrite,
    component: components.ImportView,
    handler: asAdmin(async (request, response) => {
      const q = (request.query ?? {}) as Record<string, unknown>;
      if (request.method !== 'post') {
        if (typeof q.template === 'string') {
          try {
            const t = await importTemplate(q.template);
            const res = response as import('express').Response;
            res.setHeader('Content-Disposition', `attachment; filename="${t.filename}"`);
            res.setHeader('Content-Type', 'text/csv; charset=utf-8');
            res.send(t.csv);
            return undefined as unknown as ActionResponse;
          } catch (e) {
            return { notice: noticeOf(e) };
          }
        }
        return {};
      }
      const payload = (request.payload ?? {}) as Record<string, unknown>;
      const file = payload.file as { path?: string; size?: number } | undefined;
      if (!file?.path) return { notice: { message: 'CSV 파일을 선택해주세요.', type: 'error' } };
      try {
        const content = await readFile(file.path);
        const result = await importOrders(sequelize, content, { apply: payload.apply === 'true' });
        const message = result.applied
          ? `가져오기 완료: ${result.created}건 생성, ${result.duplicates}건은 이미 가져온 행`
          : result.ok
            ? `확인 완료 (dry run): ${result.rows.filter((r) => r.status === 'ok').length}건 생성 가능, ${result.duplicates}건은 이미 가져온 행`
            : `오류가 있는 행이 있습니다: ${result.rows.filter((r) => r.status === 'error').length}건 — 아무것도 만들지 않았습니다.`;
        return { result, notice: { message, type: result.ok ? 'success' : 'error' } };
      } catch (e) {
        return { notice: noticeOf(e) };
      } finally {
        await unlink(file.path).catch(() => {});
      }
    }),
  };

  /**
   * The *Notify* action (preview / send; managers send) for a target selection: orders of the order list's
   * filters, or (per ticket) items of the item list's filters. `target` answers the preview (extra keys
   * are passed to the view) and the send for a template and a context override.
   */
  type NotifyTarget = {
    /** what the send will reach (orders, or tickets per item), shown first and checked by `sendGuard` */
    scope?: () => Promise<OrderScope | ItemScope>;
    preview(templateId: unknown, contextOverride: unknown): Promise<Record<string, unknown>>;
    send(templateId: unknown, contextOverride: unknown): Promise<NotificationHistoryDto>;
  };
  const notifyActionFor = (target: (request: ActionRequest, payload: Record<string, unknown>) => Promise<NotifyTarget>): ActionDef => ({
    actionType: 'resource',
    icon: 'Send',
    isAccessible: isStaff,
    showInDrawer: true,
    containerWidth: 860,
    component: components.NotifyView,
    handler: asAdmin(async (request, _response, context) => {
      const templates = await NotificationTemplate.findAll({ where: { active: true }, order: [['code', 'ASC'], ['language', 'ASC']] });
      const templateList = templates.map((t) => ({ id: t.id, label: `[${t.channel}] ${t.code} (${t.language}) ${t.name}` }));
      if (request.method !== 'post') {
        try {
          const t = await target(request, {});
          return { templates: templateList, canSend: canWrite(context), ...(t.scope ? { scope: await t.scope() } : {}) };
        } catch (e) {
          return { templates: templateList, canSend: canWrite(context), notice: noticeOf(e) }; // a malformed list filter: said, not a 500
        }
      }
      const p = (request.payload ?? {}) as Record<string, unknown>;
      let contextOverride: unknown = {};
      if (typeof p.contextOverride === 'string' && p.contextOverride.trim()) {
        try {
          contextOverride = JSON.parse(p.contextOverride);
        } catch {
          return { notice: { message: 'context_override: JSON 객체가 필요합니다.', type: 'error' } };
        }
      }
      try {
        const t = await target(request, p);
        const scope = t.scope ? await t.scope() : null;
        if (p.step === 'send') {
          if (!canWrite(context)) return { notice: { message: 'forbiddenError', type: 'error' } };
          const refused = scope ? sendGuard(scope, p) : null;
          if (refused && scope) return { scope, needsConfirmation: scope.everyone, notice: { message: refused, type: 'error' } };
          const history = await t.send(p.templateId, contextOverride);
          return {
            history,
            historyUrl: context.h.resourceUrl({ resourceId: 'notification_recipients', search: `?filters.historyId=${history.id}` }),
            notice: { message: `발송을 예약했습니다: ${history.recipients.length}명`, type: 'success' },
          };
        }
        return { ...(await t.preview(p.templateId, contextOverride)), ...(scope ? { scope } : {}) };
      } catch (e) {
        if (e instanceof SyntaxError) return { notice: { message: 'filters: JSON 객체가 필요합니다.', type: 'error' } };
        if (e instanceof MissingContextVariablesError) return { missing: e.recipients, notice: { message: '템플릿 변수가 없는 수신자가 있습니다.', type: 'error' } };
        return { notice: noticeOf(e) };
      }
    }),
  });

  const notifyAction = notifyActionFor(async (request) => {
    const filter = orderFilterFrom(request);
    const orderIds = await findOrderIds(sequelize, filter);
    return {
      scope: () => orderScope(sequelize, filter, orderIds.length),
      preview: async (templateId, contextOverride) => ({ preview: await previewNotification({ templateId, orderIds, contextOverride }), orders: orderIds.length }),
      send: (templateId, contextOverride) => sendNotification({ templateId, orderIds, contextOverride, sequelize }),
    };
  });

  const readOnly = { new: { isAccessible: never }, edit: { isAccessible: never }, delete: { isAccessible: never }, bulkDelete: { isAccessible: never } };

  /**
   * Per-ticket notification to the items of the list's filters: one message per item to its holder. The
   * filters come from the drawer's query (`filters.*`, as AdminJS carries the item list's) and the posted
   * `filters` JSON; like the order notification it states its scope (tickets, orders, filters in words)
   * first, and a send with no filter (every ticket) needs the explicit confirmation.
   */
  const ticketNotifyAction = notifyActionFor(async (request, p) => {
    const f = listFilterInput(request, p);
    const filter = parseItemFilter({ id: f.id, order_id: f.orderId, status: f.status, product_id: f.productId, user_id: f.userId, email: f.email, name: f.name });
    return {
      scope: () => itemScope(sequelize, filter),
      // (the number of tickets previewed is the scope's, answered with the preview)
      preview: async (templateId, contextOverride) => ({ preview: await previewTicketNotification(sequelize, { templateId, filter, contextOverride }) }),
      send: (templateId, contextOverride) => sendTicketNotification(sequelize, { templateId, filter, contextOverride }),
    };
  });

  /** Assign / unassign an order-item tag over the item list's filters (the same service as any other caller). */
  const tagsAction: ActionDef = {
    actionType: 'resource',
    icon: 'Tag',
    isAccessible: isStaff,
    component: components.TagAssign,
    handler: asAdmin(async (request, _response, context) => {
      if (request.method !== 'post') {
        const tags = await OrderItemTag.findAll({ order: [['priority', 'ASC'], ['code', 'ASC']] });
        return { tags: tags.map((t) => ({ id: t.id, label: `${t.code} — ${t.name}` })), canWrite: canWrite(context) };
      }
      if (!canWrite(context)) return { notice: { message: 'forbiddenError', type: 'error' } };
      const p = (request.payload ?? {}) as Record<string, unknown>;
      try {
        const f = JSON.parse(typeof p.filters === 'string' && p.filters ? p.filters : '{}') as Record<string, unknown>;
        const filter = parseItemFilter({ id: f.id, order_id: f.orderId, status: f.status, product_id: f.productId });
        const run = p.step === 'unassign' ? unassignOrderItemTag : assignOrderItemTag;
        const { affected } = await run(sequelize, String(p.tagId ?? ''), filter);
        return { affected, notice: { message: `${affected}건의 주문 상품을 ${p.step === 'unassign' ? '해제' : '지정'}했습니다.`, type: 'success' } };
      } catch (e) {
        if (e instanceof SyntaxError) return { notice: { message: 'filters: JSON이 필요합니다.', type: 'error' } };
        return { notice: noticeOf(e) };
      }
    }),
  };

  /**
   * 무료 발급 (comp order): the form (the catalogue with hidden / closed products, the user when opened from
   * the users list) and its submit — the JSON request of `createCompOrder` in the `data` field. Managers only
   * (viewers neither see nor call it). A refusal answers the service's `{type, errors}` (codes and attrs) with
   * the notice, so the form can show each error next to its line.
   */
  const compAction: ActionDef = {
    actionType: 'resource',
    icon: 'Gift',
    isAccessible: canWrite,
    component: components.CompOrder,
    handler: asAdmin(async (request, _response, context) => {
      if (request.method !== 'post') {
        const q = (request.query ?? {}) as Record<string, unknown>;
        return { catalogue: await compCatalogue(sequelize), user: q.user ? await compUser(q.user) : null };
      }
      const p = (request.payload ?? {}) as Record<string, unknown>;
      let body: unknown;
      try {
        body = JSON.parse(typeof p.data === 'string' ? p.data : '');
      } catch {
        const error = { type: 'validation_error', errors: [{ code: 'invalid', detail: 'data: JSON 객체가 필요합니다.', attr: 'data' }] };
        return { error, notice: { message: error.errors[0]!.detail, type: 'error' } };
      }
      try {
        const r = await createCompOrder(sequelize, body);
        return {
          result: r,
          orderUrl: context.h.recordActionUrl({ resourceId: 'orders', recordId: r.orderId, actionName: 'show' }),
          notice: { message: `무료 발급 완료: ${r.items.length}개 (정가 합계 ${r.listTotal.toLocaleString('ko-KR')}원, 결제 0원)`, type: 'success' },
        };
      } catch (e) {
        if (e instanceof ServiceError) return { error: { type: e.type, errors: e.errors }, notice: noticeOf(e) };
        throw e;
      }
    }),
  };

  /** Take back one unit of a comp order (frees its stock; audited). */
  const cancelCompAction: ActionDef = {
    actionType: 'record',
    icon: 'XCircle',
    isAccessible: canWrite,
    isVisible: (ctx: ActionContext) => canWrite(ctx) && ctx.record?.param('listPrice') != null && ctx.record?.param('status') === 'paid',
    component: components.CompCancel,
    handler: asAdmin(async (request, _response, context) => {
      if (request.method !== 'post') return { record: recordJson(context) };
      const p = (request.payload ?? {}) as Record<string, unknown>;
      try {
        const r = await cancelCompItem(sequelize, String(context.record!.id()), p.reason);
        const fresh = await context.resource.findOne(String(context.record!.id()), context);
        return {
          record: (fresh ?? context.record!).toJSON(context.currentAdmin),
          outcome: r,
          redirectUrl: context.h.recordActionUrl({ resourceId: 'orders', recordId: r.orderId, actionName: 'show' }),
          notice: { message: '무료 발급을 취소했습니다 (재고가 돌아왔습니다).', type: 'success' },
        };
      } catch (e) {
        if (e instanceof ServiceError) return { record: recordJson(context), error: { type: e.type, errors: e.errors }, notice: noticeOf(e) };
        throw e;
      }
    }),
  };

  return [
    {
      resource: new OrderResource(sequelize, deps),
      options: {
        navigation: NAV.orders,
        sort: { sortBy: 'createdAt', direction: 'desc' },
        listProperties: ['title', 'currentStatus', 'currentPaidPrice', 'customerName', 'customerEmail', 'firstPaidAt', 'createdAt'],
        showProperties: [
          'id', 'nameKo', 'currentStatus', 'currentPaidPrice', 'firstPaidPrice', 'firstPaidAt', 'statusChangedAt', 'latestImpId', 'merchantUid',
          'userId', 'userEmail', 'customerName', 'customerPhone', 'customerEmail', 'customerOrganization', 'compReason', 'importKey', 'createdAt', 'itemsJson',
        ],
        filterProperties: ['q', 'id', 'currentStatus', 'comp', 'productId', 'categoryId', 'categoryGroupId', 'email', 'name', 'impId', 'createdAt', 'firstPaidAt', 'statusChangedAt', 'priceMin', 'priceMax', 'userId'],
        properties: {
          title: { type: 'string', isTitle: true, isVisible: { list: true, show: false, edit: false, filter: false } },
          nameKo: { isTitle: false },
          q: { type: 'string', isVisible: { list: false, show: false, edit: false, filter: true } },
          comp: { type: 'boolean', isVisible: { list: false, show: false, edit: false, filter: true } },
          compReason: { type: 'string', isVisible: { list: false, show: true, edit: false, filter: false } },
          currentStatus: { type: 'string', availableValues: ORDER_STATUSES, isSortable: true, components: { filter: components.StatusFilter } },
          currentPaidPrice: { type: 'number', isSortable: true },
          firstPaidPrice: { type: 'number' },
          firstPaidAt: { type: 'datetime', isSortable: true },
          statusChangedAt: { type: 'datetime' },
          latestImpId: { type: 'string' },
          merchantUid: { type: 'string' },
          userId: { type: 'reference', reference: 'users' },
          userEmail: { type: 'string' },
          customerName: { type: 'string' },
          customerPhone: { type: 'string' },
          customerEmail: { type: 'string' },
          customerOrganization: { type: 'string' },
          productId: { type: 'reference', reference: 'products', isVisible: { list: false, show: false, edit: false, filter: true } },
          categoryId: { type: 'reference', reference: 'categories', isVisible: { list: false, show: false, edit: false, filter: true } },
          categoryGroupId: { type: 'reference', reference: 'category_groups', isVisible: { list: false, show: false, edit: false, filter: true } },
          email: { type: 'string', isVisible: { list: false, show: false, edit: false, filter: true } },
          name: { type: 'string', isVisible: { list: false, show: false, edit: false, filter: true } },
          impId: { type: 'string', isVisible: { list: false, show: false, edit: false, filter: true } },
          priceMin: { type: 'number', isVisible: { list: false, show: false, edit: false, filter: true } },
          priceMax: { type: 'number', isVisible: { list: false, show: false, edit: false, filter: true } },
          createdAt: { type: 'datetime', isSortable: true },
          itemsJson: { type: 'string', components: { show: components.OrderItems }, isVisible: { list: false, show: true, edit: false, filter: false } },
        },
        actions: {
          ...readOnly,
          list: { isAccessible: isStaff, component: components.OrderList },
          show: { isAccessible: isStaff },
          search: { isAccessible: isStaff },
          refund: { actionType: 'record', icon: 'RotateCcw', isAccessible: canWrite, isVisible: refundVisible, component: components.RefundView, handler: refundHandler('order') },
          export: exportAction,
          import: importAction,
          notify: notifyAction,
          comp: compAction,
          history: historyAction(components),
        },
      },
    },
    {
      resource: OrderProductRelation,
      options: {
        navigation: NAV.orders,
        // the columns an operator reads first (the default picked the first five attributes: ids and times)
        listProperties: ['orderId', 'productId', 'status', 'price', 'listPrice', 'createdAt'],
        properties: {
          ...hidden(BASE_HIDDEN),
          orderId: { reference: 'orders' },
          productId: { reference: 'products' },
          // enum values are translated only when listed (labels.status in admin/locale.ts)
          status: listed(OPR_STATUSES),
        },
        actions: {
          ...readOnly,
          refund: {
            actionType: 'record',
            icon: 'RotateCcw',
            isAccessible: canWrite,
            isVisible: (ctx: ActionContext) => canWrite(ctx) && ctx.record?.param('status') === 'paid' && ctx.record?.param('listPrice') == null,
            component: components.RefundView,
            handler: refundHandler('item'),
          },
          changeOption: changeOptionAction(sequelize, components),
          tags: tagsAction,
          notify: ticketNotifyAction,
          cancelComp: cancelCompAction,
          history: historyAction(components),
        },
      },
    },
    {
      resource: OrderProductOptionRelation,
      options: {
        navigation: NAV.orders,
        properties: { ...hidden(BASE_HIDDEN), orderProductRelationId: { reference: 'order_product_relations' }, productOptionGroupId: { reference: 'option_groups' }, productOptionId: { reference: 'options' } },
        actions: { ...readOnly, history: historyAction(components) },
      },
    },
    {
      resource: CustomerInfo,
      options: {
        navigation: NAV.orders,
        properties: { ...hidden([...BASE_HIDDEN, 'singleProductCartId']), orderId: { reference: 'orders' } },
        actions: {
          new: { isAccessible: never },
          delete: { isAccessible: never },
          bulkDelete: { isAccessible: never },
          edit: {
            isAccessible: canWrite,
            handler: asAdmin(async (request, _res, context) => {
              if (request.method !== 'post') return { record: recordJson(context) };
              const r = await saveCustomerInfo(sequelize, String(context.record!.id()), unflat(request.payload));
              if (!r.ok) throw fieldErrors(r.errors);
              return {
                record: new BaseRecord(r.row.get({ plain: true }) as Record<string, unknown>, context.resource).toJSON(context.currentAdmin),
                redirectUrl: context.h.recordActionUrl({ resourceId: 'customer_infos', recordId: r.row.id, actionName: 'show' }),
                notice: { message: 'successfullyUpdated', type: 'success' },
              };
            }),
          },
          history: historyAction(components),
        },
      },
    },
    {
      resource: PaymentHistory,
      options: { navigation: NAV.orders, sort: { sortBy: 'createdAt', direction: 'desc' }, properties: { ...hidden(BASE_HIDDEN), orderId: { reference: 'orders' }, status: listed(PAYMENT_STATUSES) }, actions: readOnly },
    },
    {
      resource: PaymentWebhookEvent,
      options: {
        navigation: NAV.orders,
        sort: { sortBy: 'createdAt', direction: 'desc' },
        listProperties: ['eventType', 'reasonCode', 'impUid', 'merchantUid', 'orderId', 'createdAt'],
        properties: { orderId: { reference: 'orders' } },
        actions: readOnly,
      },
    },
    {
      resource: RefundAttempt,
      options: {
        navigation: NAV.orders,
        sort: { sortBy: 'createdAt', direction: 'desc' },
        properties: { orderId: { reference: 'orders' }, status: listed(REFUND_ATTEMPT_STATUSES), channel: listed(['buyer', 'admin', 'desk', 'webhook']) },
        actions: readOnly,
      },
    },
    {
      resource: ReconciliationReport,
      options: { navigation: NAV.system, sort: { sortBy: 'createdAt', direction: 'desc' }, actions: readOnly },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// notifications, users, API keys, audit

function systemResources(deps: AppDeps, components: Components): ResourceWithOptions[] {
  const { sequelize } = deps;
  const readOnly = { new: { isAccessible: never }, edit: { isAccessible: never }, delete: { isAccessible: never }, bulkDelete: { isAccessible: never } };

  return [
    {
      resource: NotificationTemplate,
      options: {
        navigation: NAV.notify,
        listProperties: ['channel', 'code', 'language', 'name', 'subject', 'active', 'updatedAt'],
        properties: {
          ...hidden(BASE_HIDDEN),
          id: { isVisible: { list: false, show: true, edit: false, filter: false } },
          createdAt: readOnlyMeta,
          updatedAt: readOnlyMeta,
          body: { type: 'textarea', props: { rows: 16 } },
          channel: listed(NOTIFICATION_CHANNELS),
          bodyFormat: { availableValues: [{ value: 'text', label: 'text' }, { value: 'html', label: 'html (values escaped)' }] },
          language: { availableValues: [{ value: 'ko', label: 'ko' }, { value: 'en', label: 'en' }] },
        },
        actions: serviceWriteActions('notification_templates', (id, input) => saveNotificationTemplate(sequelize, id, input), components),
      },
    },
    {
      resource: NotificationHistory,
      options: {
        navigation: NAV.notify,
        sort: { sortBy: 'createdAt', direction: 'desc' },
        listProperties: ['channel', 'templateCode', 'templateLanguage', 'trigger', 'createdByLabel', 'createdAt'],
        properties: { channel: listed(NOTIFICATION_CHANNELS) },
        actions: {
          ...readOnly,
          recipients: {
            actionType: 'record',
            icon: 'Users',
            isAccessible: isStaff,
            component: false,
            handler: async (_req, _res, context) => ({
              record: recordJson(context),
              redirectUrl: context.h.resourceUrl({ resourceId: 'notification_recipients', search: `?filters.historyId=${context.record!.id()}` }),
            }),
          },
        },
      },
    },
    {
      resource: NotificationRecipient,
      options: {
        navigation: NAV.notify,
        sort: { sortBy: 'createdAt', direction: 'desc' },
        listProperties: ['recipient', 'orderId', 'status', 'attempts', 'lastError', 'sentAt', 'updatedAt'],
        properties: {
          historyId: { reference: 'notification_histories' },
          orderId: { reference: 'orders' },
          orderProductRelationId: { reference: 'order_product_relations' },
          body: { type: 'textarea' },
          status: listed(['CREATED', 'SENDING', 'SENT', 'FAILED']),
        },
        actions: {
          ...readOnly,
          retry: {
            actionType: 'bulk',
            icon: 'RefreshCw',
            isAccessible: canWrite,
            component: false,
            handler: asAdmin(async (request, _res, context) => {
              const ids = (context.records ?? []).map((r) => String(r.id()));
              if (request.method !== 'post') return { records: (context.records ?? []).map((r) => r.toJSON(context.currentAdmin)) };
              const retried = await retryNotifications(sequelize, ids);
              return {
                records: (context.records ?? []).map((r) => r.toJSON(context.currentAdmin)),
                notice: { message: `${retried.length}건을 다시 보냅니다 (FAILED 상태만).`, type: 'success' },
              };
            }),
          },
        },
      },
    },
    {
      resource: new GuardedResource(User),
      options: {
        navigation: NAV.system,
        listProperties: ['id', 'email', 'username', 'isStaff', 'adminRole', 'isSuperuser', 'isActive', 'lastLoginAt'],
        editProperties: ['isStaff', 'adminRole', 'isSuperuser', 'isActive'],
        properties: {
          email: { isTitle: true },
          adminRole: { availableValues: [{ value: 'viewer', label: 'viewer' }, { value: 'manager', label: 'manager' }] },
        },
        actions: {
          new: { isAccessible: never },
          delete: { isAccessible: never },
          bulkDelete: { isAccessible: never },
          edit: {
            isAccessible: isSuperuser,
            handler: asAdmin(async (request, _res, context) => {
              if (request.method !== 'post') return { record: recordJson(context) };
              const a = adminOf(context) as AdminUser;
              const r = await setStaffFlags({ userId: a.userId, isSuperuser: a.isSuperuser }, Number(context.record!.id()), unflat(request.payload));
              if (!r.ok) throw fieldErrors(r.errors);
              const fresh = await context.resource.findOne(String(r.user.id), context);
              return {
                record: (fresh ?? context.record!).toJSON(context.currentAdmin),
                redirectUrl: context.h.recordActionUrl({ resourceId: 'users', recordId: String(r.user.id), actionName: 'show' }),
                notice: { message: 'successfullyUpdated', type: 'success' },
              };
            }),
          },
          history: historyAction(components),
          comp: {
            actionType: 'record',
            icon: 'Gift',
            isAccessible: canWrite,
            component: false,
            // opens the orders' 무료 발급 form for this user (nothing is written here)
            handler: async (_req, _res, context) => ({
              record: recordJson(context),
              redirectUrl: context.h.resourceActionUrl({ resourceId: 'orders', actionName: 'comp', search: `?user=${encodeURIComponent(String(context.record!.id()))}` }),
            }),
          },
        },
      },
    },
    {
      resource: new GuardedResource(ApiKey),
      options: {
        navigation: NAV.system,
        listProperties: ['name', 'key', 'scopes', 'createdAt', 'lastUsedAt', 'revokedAt'],
        properties: { createdById: { reference: 'users' } },
        actions: {
          edit: { isAccessible: never },
          delete: { isAccessible: never },
          bulkDelete: { isAccessible: never },
          new: {
            isAccessible: canWrite,
            component: components.ApiKeyNew,
            handler: asAdmin(async (request, _res, context) => {
              if (request.method !== 'post') return {};
              const p = (request.payload ?? {}) as Record<string, unknown>;
              try {
                const { apiKey, secret } = await createApiKey({ name: String(p.name ?? ''), scopes: String(p.scopes ?? '').split(/[\s,]+/), createdById: adminOf(context)!.userId });
                return {
                  record: new BaseRecord(apiKey.get({ plain: true }) as Record<string, unknown>, context.resource).toJSON(context.currentAdmin),
                  apiKey: { id: apiKey.id, name: apiKey.name, key: apiKey.key, scopes: apiKey.scopes },
                  secret,
                  notice: { message: 'API key를 만들었습니다. secret은 지금 한 번만 보입니다.', type: 'success' },
                };
              } catch (e) {
                return { notice: noticeOf(e) };
              }
            }),
          },
          revoke: {
            actionType: 'record',
            icon: 'Slash',
            isAccessible: canWrite,
            isVisible: (ctx: ActionContext) => canWrite(ctx) && !ctx.record?.param('revokedAt'),
            guard: 'revokeConfirm',
            component: false,
            handler: asAdmin(async (_request, _res, context) => {
              await revokeApiKey(String(context.record!.param('key')));
              const fresh = await context.resource.findOne(String(context.record!.id()), context);
              return { record: (fresh ?? context.record!).toJSON(context.currentAdmin), notice: { message: 'API key를 폐기했습니다.', type: 'success' } };
            }),
          },
        },
      },
    },
    {
      resource: AuditLog,
      options: {
        navigation: NAV.system,
        sort: { sortBy: 'createdAt', direction: 'desc' },
        listProperties: ['createdAt', 'tableName', 'recordId', 'action', 'actorUserId', 'actorLabel'],
        properties: { actorUserId: { reference: 'users' } },
        actions: readOnly,
      },
    },
  ];
}

/** Registration-desk day configurations (name, event, period, categories): saved through the desk-config service. */
function deskResources(deps: AppDeps, components: Components): ResourceWithOptions[] {
  return [
    {
      resource: RegistrationDeskConfig,
      options: {
        navigation: NAV.orders,
        sort: { sortBy: 'startDate', direction: 'desc' },
        listProperties: ['name', 'eventName', 'startDate', 'endDate', 'categoryIds'],
        editProperties: ['name', 'eventName', 'startDate', 'endDate', 'categoryIds'],
        properties: {
          ...hidden(BASE_HIDDEN),
          categoryIds: { type: 'reference', reference: 'categories', isArray: true },
          startDate: { type: 'date' },
          endDate: { type: 'date' },
        },
        actions: serviceWriteActions('registration_desk_configs', (id, input) => saveDeskConfig(deps.sequelize, id, input), components),
      },
    },
    {
      resource: OrderItemTag,
      options: {
        navigation: NAV.orders,
        sort: { sortBy: 'priority', direction: 'asc' },
        listProperties: ['code', 'name', 'priority'],
        editProperties: ['code', 'name', 'priority'],
        properties: { ...hidden(BASE_HIDDEN) },
        actions: serviceWriteActions('order_item_tags', (id, input) => saveOrderItemTag(deps.sequelize, id, input), components),
      },
    },
  ];
}

export function buildResources(deps: AppDeps, components: Components): ResourceWithOptions[] {
  const svc = new CatalogService(deps.sequelize);
  const all = [
    ...catalogResources(svc, components),
    ...orderResources(deps, components),
    ...documentResources(deps, components),
    ...systemResources(deps, components),
    ...deskResources(deps, components),
  ];
  // staff may read everything they see; only the actions above write
  for (const r of all) {
    // secret columns never reachable, unknown filter / sort paths refused (see query-guard.ts)
    if (isModelClass(r.resource)) r.resource = new GuardedResource(r.resource);
    r.options.actions ??= {};
    const a = r.options.actions as Record<string, ActionDef>;
    for (const name of ['list', 'show', 'search']) a[name] = { isAccessible: isStaff, ...(a[name] ?? {}) };
    const table = r.resource instanceof SequelizeResource ? (r.resource as SequelizeResource).id() : (r.resource as { tableName: string }).tableName;
    if (!AUDITED.has(table)) delete a.history;
  }
  applyDisplayComponents(all, components);
  return all;
}
