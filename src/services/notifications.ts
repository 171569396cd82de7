/**
 * Order notifications by e-mail, Kakao alimtalk and SMS (spec §6.6; channels through NHN Cloud).
 *
 *   previewNotification / sendNotification — the admin "preview" and "send" actions on chosen orders
 *   notifyOrderEvent                       — automatic e-mail when an order is paid / refunded, called inside
 *                                            the transaction that pays / refunds (via order-events)
 *   deliverNotification                    — the job handler's work for one recipient (idempotent)
 *   retryNotifications / sweepNotifications — operators' retry; recovery of lost jobs and stuck sends
 *
 * A send writes a NotificationHistory (template snapshot, who) and one NotificationRecipient per order
 * (rendered subject/body, status CREATED; `dedupe_key` = the order id, so a buyer with three orders gets three
 * messages, each naming its order) in one transaction, and enqueues one `notification-send` job per
 * recipient after commit. The template's channel decides the address: e-mail → the customer's e-mail,
 * kakao / sms → the customer's phone. Delivery claims the row with a conditional UPDATE (CREATED → SENDING),
 * so a job delivered twice sends once; sends are spaced per channel (NOTIFICATION_RATE_LIMIT_*_PER_MINUTE,
 * per worker); only transient errors (network, timeouts, SMTP 4xx, NHN 429/5xx) are retried with exponential
 * backoff up to NOTIFICATION_MAX_ATTEMPTS, anything else stays FAILED with its error at once.
 * Per-ticket sends (one message per order item to its holder) are in ./ticket-notifications.ts.
 */
import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import {
  CustomerInfo,
  NotificationHistory,
  NotificationRecipient,
  NotificationTemplate,
  PaymentHistory,
  AuditLog,
  type NotificationLanguage,
  type NotificationTrigger,
  type TemplateSnapshot,
} from '../models/index.js';
import { loadConfig, type Config } from '../config.js';
import { currentActor } from '../context.js';
import { logger } from '../logger.js';
import { pythonIsoformat } from '../domain/checkout/snapshot.js';
import { missingVariables, renderTemplate, templateVariables } from '../domain/notification/template.js';
import type { FieldError } from '../domain/messages.js';
import { enqueueAfterCommit, enqueueNow, enqueueNowSql } from '../jobs/enqueue.js';
import { namedQuery } from '../db/named-query.js';
import { JOB } from '../jobs/names.js';
import { orderViews, orderViewsFromRow, viewSql, type OrderDto, type ViewRow } from './order-view.js';
import { onOrderEvent, type OrderEventKind, type WrittenRows } from './order-events.js';
import type { Mailer } from './mailer.js';
import { DeliveryError } from './delivery-error.js';
import { hydrate } from './json-rows.js';
import { guarded } from '../db/pipeline.js';
import { ServiceError } from './errors.js';
import type { AlimtalkMessage, NhnSender, SmsMessage } from '../nhn/client.js';
import type { SendSpacing } from '../domain/notification/rate-limit.js';
import { formatAmount, htmlToText } from '../domain/notification/template.js';
import type { NotificationChannel } from '../models/index.js';

// ---------------------------------------------------------------------------------------------------------
// settings

export interface NotificationSettings {
  backendDomain: string;
  scancodeSalts: readonly string[];
  /** MAIL_FROM, recorded on each history as the sender snapshot. */
  sender: string;
  /** Whether Kakao alimtalk can be sent (NHN keys set, or the demo's fake NHN): automatic Kakao messages only then. */
  kakaoEnabled?: boolean;
}

let settings: NotificationSettings | null = null;

/** Set the settings explicitly (tests); by default they come from the process configuration. */
export function configureNotifications(s: NotificationSettings | null): void {
  settings = s;
}

/** The settings of a configuration (Kakao counts as enabled when its NHN key, secret and sender key are set). */
export function notificationSettingsFrom(c: Config): NotificationSettings {
  const k = c.nhn.alimtalk;
  return { backendDomain: c.backendDomain, scancodeSalts: c.scancodeSalts, sender: c.mail.from, kakaoEnabled: !!(k.appKey && k.secretKey && k.senderKey) };
}

function currentSettings(): NotificationSettings {
  return settings ?? notificationSettingsFrom(loadConfig());
}

// ---------------------------------------------------------------------------------------------------------
// context (spec §6.6 [Δ c15d377])

export const MANUAL_TARGET_STATUSES = new Set(['completed', 'partial_refunded']);
export const NO_RECIPIENTS_MESSAGE = '발송 대상이 없습니다 (filterset 결과 0건 또는 customer_info/첫 상품 부재).';
export const TEMPLATE_NOT_FOUND_MESSAGE = 'Template not found.';

export interface RecipientPreview {
  order_id: string;
  /** the order item of a per-ticket message */
  order_product_relation_id?: string;
  recipient: string;
  /** what the message is about: one message per (address, dedupe_key) in a send */
  dedupe_key: string;
  context: Record<string, unknown>;
  missing_variables: string[];
}

export interface NotificationPreview {
  channel: NotificationChannel;
  template_variables: string[];
  recipients: RecipientPreview[];
}

/** The address of a person on a channel: e-mail, or the phone number for Kakao / SMS ('' when none). */
export function addressOn(channel: NotificationChannel, person: { email?: string | null; phone?: string | null }): string {
  return ((channel === 'email' ? person.email : person.phone) ?? '').trim();
}

/** `{group name: answer | option name | ""}` of one order item. */
export function answersOf(item: OrderDto['products'][number]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of item.options) {
    out[o.product_option_group.name] = o.product_option_group.is_custom_response ? (o.custom_response ?? '') : (o.product_option?.name ?? '');
  }
  return out;
}

/**
 * The context of one order: the first item's option groups (`{group name: answer | option name | ""}`),
 * then the order keys (order_id, order_name, first_paid_at (ISO, Asia/Seoul) | null, first_paid_price and
 * current_paid_price (with thousands separators, "23,000"), customer_name/_phone/_email/_organization, the
 * Korean aliases 성함 / 성명 (name) and 소속 (organization) of approved alimtalk templates, scancode_url =
 * the order's QR page). Null when the order has no customer info, no address on the channel, or no item
 * (spec: such orders are skipped).
 */
export function orderContext(view: OrderDto, channel: NotificationChannel = 'email'): { recipient: string; context: Record<string, unknown> } | null {
  const info = view.customer_info;
  const first = view.products[0];
  if (!info || !first) return null;
  const recipient = addressOn(channel, info);
  if (!recipient) return null;
  return { recipient, context: { ...answersOf(first), ...orderKeys(view) } };
}

/** The order's own keys (no option answers): ids, name, amounts, payment time, customer, aliases, QR page. */
export function orderKeys(view: OrderDto): Record<string, unknown> {
  const info = view.customer_info;
  return {
    order_id: view.id,
    order_name: view.name,
    first_paid_at: view.first_paid_at ? pythonIsoformat(new Date(view.first_paid_at)) : null,
    first_paid_price: formatAmount(view.first_paid_price),
    current_paid_price: formatAmount(view.current_paid_price),
    customer_name: info?.name ?? '',
    customer_phone: info?.phone ?? '',
    customer_email: info?.email ?? '',
    customer_organization: info?.organization ?? '',
    성함: info?.name ?? '',
    성명: info?.name ?? '',
    소속: info?.organization ?? '',
    scancode_url: view.scancode_url,
  };
}

export async function viewsFor(orderIds: string[], lang: NotificationLanguage, transaction?: Transaction): Promise<OrderDto[]> {
  const s = currentSettings();
  return orderViews([...new Set(orderIds)], { lang, now: new Date(), backendDomain: s.backendDomain, scancodeSalts: s.scancodeSalts, transaction });
}

// ---------------------------------------------------------------------------------------------------------
// admin preview / send

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NotificationRequest {
  /** When given, the template must be of this channel (else "not found"); by default the template's channel. */
  channel?: string;
  templateId: unknown;
  /** Target orders (the admin filters resolved to ids); only orders whose status is completed|partial_refunded are used. */
  orderIds: string[];
  contextOverride?: unknown;
}

/** 400 `missing_context_variables`: one field error per recipient; `.recipients` has the full items. */
export class MissingContextVariablesError extends ServiceError {
  constructor(readonly recipients: RecipientPreview[]) {
    super(
      400,
      'validation_error',
      recipients.map<FieldError>((r) => ({
        code: 'missing_context_variables',
        detail: `${r.recipient}: ${r.missing_variables.join(', ')}`,
        attr: 'missing_context_variables',
      })),
    );
  }
}

export async function findTemplate(channel: string | undefined, templateId: unknown): Promise<NotificationTemplate> {
  const notFound = () => ServiceError.validation([{ code: 'does_not_exist', detail: TEMPLATE_NOT_FOUND_MESSAGE, attr: 'template_id' }]);
  if (typeof templateId !== 'string' || !UUID_RE.test(templateId)) throw notFound();
  const template = await NotificationTemplate.findOne({ where: { id: templateId, active: true, ...(channel ? { channel } : {}) } });
  if (!template) throw notFound();
  return template;
}

export function overrideOf(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw ServiceError.validation([{ code: 'invalid', detail: '객체(dictionary)가 필요합니다.', attr: 'context_override' }]);
  }
  return value as Record<string, unknown>;
}

/** A message to be: who, about what, with which context (before the template's variables are checked). */
export interface NotificationTarget {
  order_id: string;
  order_product_relation_id?: string;
  recipient: string;
  dedupe_key: string;
  context: Record<string, unknown>;
}

/** Targets → preview: the override applied, missing variables listed, one per (address, dedupe_key). */
export function previewOf(template: NotificationTemplate, targets: NotificationTarget[], override: Record<string, unknown>): NotificationPreview {
  const variables = templateVariables(template.subject, template.body);
  const seen = new Set<string>();
  const recipients: RecipientPreview[] = [];
  for (const t of targets) {
    const key = `${t.recipient.toLowerCase()}\u0000${t.dedupe_key}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const context = { ...t.context, ...override };
    recipients.push({ ...t, context, missing_variables: missingVariables(variables, context) });
  }
  return { channel: template.channel, template_variables: variables, recipients };
}

async function buildPreview(template: NotificationTemplate, orderIds: string[], override: Record<string, unknown>): Promise<NotificationPreview> {
  const views = (await viewsFor(orderIds, template.language)).filter((v) => MANUAL_TARGET_STATUSES.has(v.current_status));
  const targets: NotificationTarget[] = [];
  for (const view of views) {
    const item = orderContext(view, template.channel);
    if (item) targets.push({ order_id: view.id, recipient: item.recipient, dedupe_key: view.id, context: item.context });
  }
  return previewOf(template, targets, override);
}

/** The rendered message of one recipient: subject (e-mail only) and body (HTML-escaped values for html e-mail). */
export function renderMessage(template: Pick<NotificationTemplate, 'channel' | 'subject' | 'body' | 'bodyFormat'>, context: Record<string, unknown>): { subject: string; body: string } {
  const html = template.channel === 'email' && template.bodyFormat === 'html';
  return {
    subject: template.channel === 'email' ? renderTemplate(template.subject, context).replace(/[\r\n]+/g, ' ').trim() : '',
    body: renderTemplate(template.body, context, { html }),
  };
}

/** The admin "render": the message of the first recipient, as it would be sent (spec: HTML of the first target). */
export async function renderNotification(input: NotificationRequest): Promise<{ recipient: string | null; subject: string; body: string; body_format: string }> {
  const template = await findTemplate(input.channel, input.templateId);
  const preview = await buildPreview(template, input.orderIds, overrideOf(input.contextOverride));
  const first = preview.recipients[0];
  const message = renderMessage(template, first?.context ?? {});
  return { recipient: first?.recipient ?? null, ...message, body_format: template.channel === 'email' ? template.bodyFormat : 'text' };
}

export async function previewNotification(input: NotificationRequest): Promise<NotificationPreview> {
  const template = await findTemplate(input.channel, input.templateId);
  return buildPreview(template, input.orderIds, overrideOf(input.contextOverride));
}

export interface NotificationHistoryDto {
  id: string;
  channel: string;
  template_id: string | null;
  trigger: NotificationTrigger;
  template: TemplateSnapshot;
  sender: string;
  context_override: Record<string, unknown>;
  created_at: string;
  created_by: string | null;
  recipients: Array<{ id: string; order_id: string | null; order_product_relation_id: string | null; dedupe_key: string; recipient: string; status: string }>;
}

function snapshotOf(t: NotificationTemplate): TemplateSnapshot {
  return { code: t.code, language: t.language, name: t.name, subject: t.subject, body: t.body, provider_template_code: t.providerTemplateCode, body_format: t.bodyFormat };
}

export function historyDto(h: NotificationHistory, recipients: NotificationRecipient[]): NotificationHistoryDto {
  return {
    id: h.id,
    channel: h.channel,
    template_id: h.templateId,
    trigger: h.trigger,
    template: h.templateSnapshot,
    sender: h.sender,
    context_override: h.contextOverride,
    created_at: h.createdAt.toISOString(),
    created_by: h.createdByLabel,
    recipients: recipients.map((r) => ({
      id: r.id,
      order_id: r.orderId,
      order_product_relation_id: r.orderProductRelationId,
      dedupe_key: r.dedupeKey,
      recipient: r.recipient,
      status: r.status,
    })),
  };
}

/**
 * The admin "send": 400 when there is no recipient or any recipient lacks a template variable; else one
 * history + its recipients in one transaction, and one job per recipient after commit.
 */
export async function sendNotification(input: NotificationRequest & { sequelize?: Sequelize }): Promise<NotificationHistoryDto> {
  const template = await findTemplate(input.channel, input.templateId);
  const override = overrideOf(input.contextOverride);
  const preview = await buildPreview(template, input.orderIds, override);
  return createSend(template, preview, override, 'manual', input.sequelize);
}

/**
 * Write a checked preview as one history + its recipients (one transaction) and enqueue one job per
 * recipient after commit. 400 when there is no recipient or any recipient lacks a template variable.
 */
export async function createSend(
  template: NotificationTemplate,
  preview: NotificationPreview,
  override: Record<string, unknown>,
  trigger: NotificationTrigger,
  sequelizeArg?: Sequelize,
): Promise<NotificationHistoryDto> {
  if (preview.recipients.length === 0) throw ServiceError.validation([{ code: 'no_recipients', detail: NO_RECIPIENTS_MESSAGE, attr: null }]);
  const lacking = preview.recipients.filter((r) => r.missing_variables.length > 0);
  if (lacking.length) throw new MissingContextVariablesError(lacking);

  const sequelize = sequelizeArg ?? NotificationHistory.sequelize!;
  const actor = currentActor();
  const { history, recipients } = await sequelize.transaction(async (t) => {
    const history = await NotificationHistory.create(
      {
        channel: template.channel,
        templateId: template.id,
        templateCode: template.code,
        templateLanguage: template.language,
        templateSnapshot: snapshotOf(template),
        sender: senderOf(template.channel),
        trigger,
        contextOverride: override,
        createdById: actor.userId,
        createdByLabel: actor.label,
      },
      { transaction: t },
    );
    const recipients = await NotificationRecipient.bulkCreate(
      preview.recipients.map((r) => ({
        historyId: history.id,
        orderId: r.order_id,
        orderProductRelationId: r.order_product_relation_id ?? null,
        dedupeKey: r.dedupe_key,
        recipient: r.recipient,
        context: r.context,
        ...renderMessage(template, r.context),
      })),
      { transaction: t, returning: true },
    );
    for (const r of recipients) await enqueueAfterCommit(t, JOB.NOTIFICATION_SEND, { recipientId: r.id });
    return { history, recipients };
  });
  return historyDto(history, recipients);
}

// ---------------------------------------------------------------------------------------------------------
// automatic: order paid / refunded

export const EVENT_TEMPLATE_CODE: Record<OrderEventKind, string> = { paid: 'order_paid', refunded: 'order_refunded' };

async function activeTemplate(channel: NotificationChannel, code: string, language: NotificationLanguage, t: Transaction): Promise<NotificationTemplate | null> {
  const exact = await NotificationTemplate.findOne({ where: { channel, code, language, active: true }, transaction: t });
  if (exact || language === 'ko') return exact;
  return NotificationTemplate.findOne({ where: { channel, code, language: 'ko', active: true }, transaction: t });
}

/** What a history records as the sender: MAIL_FROM for e-mail, the NHN channel otherwise. */
function senderOf(channel: NotificationChannel): string {
  return channel === 'email' ? currentSettings().sender : `nhn-cloud:${channel}`;
}

/** The idempotency key of an automatic message: one per ledger event (the order's newest ledger row) and channel. */
function eventKeyOf(kind: OrderEventKind, channel: NotificationChannel, orderId: string, latestLedgerId: string | null): string {
  // e-mail keeps the key format it always had; other channels carry their name
  return `${EVENT_TEMPLATE_CODE[kind]}:${channel === 'email' ? '' : `${channel}:`}${orderId}:${latestLedgerId ?? 'none'}`;
}

/** `eventKeyOf` in SQL (the preload's), over SQL expressions of the order id and the newest ledger row's id. */
function eventKeySql(kind: OrderEventKind, channel: NotificationChannel, orderId: string, latestLedgerId: string): string {
  return `'${EVENT_TEMPLATE_CODE[kind]}:${channel === 'email' ? '' : `${channel}:`}' || ${orderId}::text || ':' || COALESCE(${latestLedgerId}::text, 'none')`;
}

/** The channels of automatic messages (Kakao only when configured). */
const AUTOMATIC_CHANNELS: ReadonlyArray<'email' | 'kakao'> = ['email', 'kakao'];

/** What `notifyOrderEvent` reads, when the statement that paid the order read it already (see `eventPreload`). */
interface EventFacts {
  info: { email: string; phone: string } | null;
  latest: string | null;
  notified: string[] | null;
  templates: Array<Record<string, unknown>> | null;
  view: ViewRow | null;
}

/**
 * The automatic messages' reads as one SQL expression, evaluated in the statement that writes the event's
 * rows (src/services/order-events.ts): the customer's addresses, the newest ledger row (the one just written
 * included), which event keys were already notified, the active Korean templates of the code, and the
 * order's view as written — what `notifyOrderEvent` would read one by one after that statement.
 */
function eventPreloadSql(kind: OrderEventKind, orderId: string, written: WrittenRows): string {
  const histories = `SELECT id, created_at FROM payment_histories WHERE order_id = ${orderId} AND deleted_at IS NULL${written.histories ? ` UNION ALL SELECT id, created_at FROM ${written.histories}` : ''}`;
  return `(SELECT json_build_object(
         'info', (SELECT json_build_object('email', c.email, 'phone', c.phone) FROM customer_infos c WHERE c.order_id = ${orderId} AND c.deleted_at IS NULL LIMIT 1),
         'latest', l.id,
         'notified', (SELECT json_agg(n.event_key) FROM notification_histories n
                       WHERE n.event_key IN (${AUTOMATIC_CHANNELS.map((ch) => eventKeySql(kind, ch, orderId, 'l.id')).join(', ')})),
         'templates', (SELECT json_agg(tp) FROM notification_templates tp
                        WHERE tp.channel IN (${AUTOMATIC_CHANNELS.map((ch) => `'${ch}'`).join(', ')}) AND tp.code = '${EVENT_TEMPLATE_CODE[kind]}'
                          AND tp.language = 'ko' AND tp.active AND tp.deleted_at IS NULL),
         'view', (SELECT row_to_json(v) FROM (WITH ${viewSql(`ARRAY[${orderId}]`, { histories: written.histories }, { orders: written.orders, items: written.items })}) v))
       FROM (SELECT (SELECT h.id FROM (${histories}) h ORDER BY h.created_at DESC, h.id DESC LIMIT 1) AS id) l)`;
}

/**
 * Inside the transaction that pays / refunds `orderId`: create the message for the buyer on `opts.channel`
 * (default e-mail; Kakao alimtalk to the customer's phone) and enqueue it after commit (a rollback sends
 * nothing). Returns the recipient id, or null when there is nothing to send: no customer address on the
 * channel, no active template of the channel for the code (`order_paid` / `order_refunded`), or this ledger
 * event was already notified on the channel (the key is the order's newest payment-history row, so each
 * payment / refund event is notified once per channel). The language is Korean unless `opts.lang` says otherwise (the system stores no
 * per-buyer language). Never throws: it runs in a savepoint, and a failure is logged while the payment or
 * refund commits. `opts.preloaded`: the facts the paying statement read already (Korean only); then only the
 * message itself is written (in the savepoint), and only when there is one to write.
 *
 * `transaction` null: the event's transaction has committed (the webhook's payment, `emitCommittedOrderEvent`;
 * the sweep's `recoverPaidNotifications`): the message is written on its own on `opts.sequelize` (with
 * preloaded facts: one statement, no savepoint) and its job enqueued at once; it never throws either.
 */
export async function notifyOrderEvent(
  orderId: string,
  kind: OrderEventKind,
  transaction: Transaction | null,
  opts: { lang?: NotificationLanguage; channel?: 'email' | 'kakao'; preloaded?: unknown; sequelize?: Sequelize } = {},
): Promise<string | null> {
  const channel = opts.channel ?? 'email';
  const sequelize = transaction ? (transaction as Transaction & { sequelize: Sequelize }).sequelize : opts.sequelize!;
  const facts = opts.preloaded && (opts.lang ?? 'ko') === 'ko' ? (opts.preloaded as EventFacts) : null;
  try {
    if (facts) {
      const message = messageOf(orderId, kind, channel, facts.info, facts.latest, (key) => (facts.notified ?? []).includes(key));
      if (!message) return null;
      const row = (facts.templates ?? []).find((tp) => tp.channel === channel);
      const template = row ? hydrate(NotificationTemplate, row) : null;
      if (!template) return noTemplate(channel, kind, orderId);
      const view = orderViewsFromRow([orderId], facts.view ?? undefined, viewContext(template.language))[0];
      const item = view ? orderContext(view, channel) : null;
      if (!item) return null;
      // in a transaction (the 0-won checkout's paid write, which holds the stock locks): the savepoint and the
      // write in one message (src/db/pipeline.ts `guarded`); after a commit (the webhook's): on its own
      return await createEventMessage(sequelize, template, orderId, kind, channel, message.eventKey, item, transaction, true);
    }
    return await sequelize.transaction(transaction ? { transaction } : {}, async (t) => {
      const info = await CustomerInfo.findOne({ where: { orderId }, transaction: t });
      const latest = info && addressOn(channel, info) ? await PaymentHistory.findOne({ where: { orderId }, order: [['createdAt', 'DESC'], ['id', 'DESC']], transaction: t }) : null;
      const message = messageOf(orderId, kind, channel, info, latest?.id ?? null, null);
      if (!message) return null;
      if (await NotificationHistory.findOne({ where: { eventKey: message.eventKey }, transaction: t, attributes: ['id'] })) return null;
      const template = await activeTemplate(channel, EVENT_TEMPLATE_CODE[kind], opts.lang ?? 'ko', t);
      if (!template) return noTemplate(channel, kind, orderId);
      const [view] = await viewsFor([orderId], template.language, t);
      const item = view ? orderContext(view, channel) : null;
      if (!item) return null;
      return createEventMessage(sequelize, template, orderId, kind, channel, message.eventKey, item, t);
    });
  } catch (e) {
    logger.error('order notification not created', { orderId, kind, error: e instanceof Error ? e.message : String(e) });
    return null;
  }
}

/** The event key of the message to create, or null: no address on the channel, or (`notified`) already sent. */
function messageOf(
  orderId: string,
  kind: OrderEventKind,
  channel: NotificationChannel,
  info: { email?: string | null; phone?: string | null } | null,
  latestLedgerId: string | null,
  notified: ((key: string) => boolean) | null,
): { eventKey: string } | null {
  if (!info || !addressOn(channel, info)) return null;
  const eventKey = eventKeyOf(kind, channel, orderId, latestLedgerId);
  return notified?.(eventKey) ? null : { eventKey };
}

function noTemplate(channel: NotificationChannel, kind: OrderEventKind, orderId: string): null {
  logger.warn('no active template for an order event', { channel, code: EVENT_TEMPLATE_CODE[kind], orderId });
  return null;
}

function viewContext(lang: NotificationLanguage) {
  const s = currentSettings();
  return { lang, now: new Date(), backendDomain: s.backendDomain, scancodeSalts: s.scancodeSalts };
}

/**
 * The automatic message's history and recipient (what `NotificationHistory.create` + `NotificationRecipient.create`
 * write) and its job in one statement (the job runs once the statement's transaction commits). Returns the recipient id.
 */
async function createEventMessage(
  sequelize: Sequelize,
  template: NotificationTemplate,
  orderId: string,
  kind: OrderEventKind,
  channel: NotificationChannel,
  eventKey: string,
  item: { recipient: string; context: Record<string, unknown> },
  /** null: on its own (the event's transaction committed already) */
  t: Transaction | null,
  /** in its own savepoint: a failure leaves `t` as it was and is thrown */
  savepoint = false,
): Promise<string> {
  const actor = currentActor();
  const at = new Date();
  const recipientId = randomUUID();
  const rendered = renderMessage(template, item.context);
  // the history, then its recipient (one statement); `r` is the recipient written
  const write = `WITH h AS (
       INSERT INTO notification_histories (id, channel, template_id, template_code, template_language, template_snapshot, sender, trigger, event_key,
                                           context_override, created_by_id, created_by_label, created_at)
       VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6::jsonb, $7, $8, $9, '{}'::jsonb, $10::integer, $11, $12::timestamptz) RETURNING id),
     r AS (
       INSERT INTO notification_recipients (id, history_id, order_id, dedupe_key, recipient, context, subject, body, status, attempts, created_at, updated_at)
       SELECT $13::uuid, h.id, $14::uuid, $15, $16, $17::jsonb, $18, $19, 'CREATED', 0, $12::timestamptz, $12::timestamptz FROM h RETURNING id)`;
  const bind = [
    randomUUID(), channel, template.id, template.code, template.language, JSON.stringify(snapshotOf(template)), senderOf(channel),
    kind === 'paid' ? 'order_paid' : 'order_refunded', eventKey, actor.userId, actor.label, at.toISOString(),
    recipientId, orderId, orderId, item.recipient, JSON.stringify(item.context), rendered.subject, rendered.body,
  ];
  // the message's job in the same statement (src/jobs/enqueue.ts): the job row commits with the message or
  // not at all (a rollback, also of the savepoint, enqueues nothing; its NOTIFY goes out at commit), and no
  // round trips of its own. On its own (the webhook's message, after its payment's COMMIT): one round trip and
  // one commit where the message, the job's INSERT and its NOTIFY took three.
  const job = enqueueNowSql({ cte: 'job', name: '$20', data: "jsonb_build_object('recipientId', r.id)", at: '$21::text', from: 'r' });
  const sql = `${write},\n     ${job.cte}\n     SELECT ${job.notify} FROM job`;
  const values = [...bind, JOB.NOTIFICATION_SEND, at.toISOString()];
  if (!t) await namedQuery(sequelize, sql, values);
  else if (savepoint) await guarded(sequelize, t, sql, { bind: values });
  else await sequelize.query(sql, { bind: values, type: QueryTypes.SELECT, transaction: t });
  return recipientId;
}

/**
 * `notifyOrderEvent` on every automatic channel: e-mail, and Kakao alimtalk when it is configured (each on its
 * own). Returns the e-mail's recipient id, or null.
 */
async function notifyOnChannels(
  orderId: string,
  kind: OrderEventKind,
  transaction: Transaction | null,
  opts: { preloaded?: unknown; sequelize?: Sequelize },
): Promise<string | null> {
  const email = await notifyOrderEvent(orderId, kind, transaction, opts);
  if (currentSettings().kakaoEnabled) await notifyOrderEvent(orderId, kind, transaction, { ...opts, channel: 'kakao' });
  return email;
}

let unsubscribe: (() => void) | null = null;

/**
 * Send the paid / refunded messages on order events (src/services/order-events.ts): e-mail, and Kakao
 * alimtalk when it is configured (each channel on its own, in its own savepoint). Idempotent. The reads
 * are preloaded by the writes that raise the event when they can (the webhook's paid write).
 */
export function registerOrderNotifications(): () => void {
  unsubscribe ??= onOrderEvent(
    async (kind, orderId, t, preloaded) => {
      await notifyOnChannels(orderId, kind, t, { preloaded });
    },
    {
      sql: eventPreloadSql,
      committed: async (kind, orderId, sequelize, preloaded) => {
        await notifyOnChannels(orderId, kind, null, { preloaded, sequelize });
      },
    },
  );
  return () => {
    unsubscribe?.();
    unsubscribe = null;
  };
}

// ---------------------------------------------------------------------------------------------------------
// delivery (the job handler)

export interface DeliveryDeps {
  mailer: Mailer;
  /** NHN Cloud senders (absent: that channel fails permanently with "not configured"). */
  kakao?: NhnSender<AlimtalkMessage>;
  sms?: NhnSender<SmsMessage>;
  maxAttempts: number;
  /** First retry delay; doubled per further attempt, up to retryMaxDelayMs. */
  retryDelayMs: number;
  retryMaxDelayMs?: number;
  /** Per-channel spacing of sends (the worker's rate limit); none = unlimited. */
  spacing?: SendSpacing;
  now?: () => Date;
  /** How to wait for a rate-limit slot (tests pass a fake clock's). */
  sleep?: (ms: number) => Promise<void>;
}

export type DeliveryResult =
  | { outcome: 'sent'; messageId: string }
  | { outcome: 'skipped' }
  | { outcome: 'retry'; at: Date; error: string }
  | { outcome: 'failed'; error: string };

interface ClaimedRow {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  context: Record<string, unknown>;
  attempts: number;
  channel: NotificationChannel;
  template_snapshot: TemplateSnapshot;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Kakao alimtalk parameters: every variable of the approved template's text, as a string. */
function alimtalkParameters(snapshot: TemplateSnapshot, context: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of templateVariables(snapshot.body)) out[v] = renderTemplate(`{{ ${v} }}`, context);
  return out;
}

async function sendOn(row: ClaimedRow, deps: DeliveryDeps): Promise<{ messageId: string }> {
  switch (row.channel) {
    case 'kakao': {
      const code = row.template_snapshot.provider_template_code;
      if (!code) throw new DeliveryError('the Kakao template has no NHN template code (provider_template_code)', false);
      if (!deps.kakao) throw new DeliveryError('Kakao alimtalk is not configured', false);
      return deps.kakao.send({ to: row.recipient, templateCode: code, parameters: alimtalkParameters(row.template_snapshot, row.context) });
    }
    case 'sms':
      if (!deps.sms) throw new DeliveryError('SMS is not configured', false);
      return deps.sms.send({ to: row.recipient, body: row.body });
    default: {
      const html = row.template_snapshot.body_format === 'html';
      return deps.mailer.send({ to: row.recipient, subject: row.subject, text: html ? htmlToText(row.body) : row.body, ...(html ? { html: row.body } : {}) });
    }
  }
}

/**
 * Deliver one recipient. Claims the row (CREATED, or FAILED with a due retry → SENDING; attempts + 1) with
 * one conditional UPDATE: a second run of the same job, or a concurrent one, finds nothing to claim and
 * does nothing. A SENT row is never sent again. Then waits for the channel's next rate-limit slot, sends
 * on the history's channel, and records SENT, or FAILED with a retry time (transient errors only).
 */
export async function deliverNotification(sequelize: Sequelize, recipientId: string, deps: DeliveryDeps): Promise<DeliveryResult> {
  const clock = () => deps.now?.() ?? new Date();
  const now = clock();
  if (!UUID_RE.test(recipientId)) return { outcome: 'skipped' };
  const claimed = await sequelize.query<ClaimedRow>(
    `UPDATE notification_recipients r
        SET status = 'SENDING', attempts = r.attempts + 1, claimed_at = :now, next_attempt_at = NULL, updated_at = :now
       FROM notification_histories h
      WHERE r.id = :id AND h.id = r.history_id
        AND (r.status = 'CREATED' OR (r.status = 'FAILED' AND r.next_attempt_at IS NOT NULL AND r.next_attempt_at <= :due))
      RETURNING r.id, r.recipient, r.subject, r.body, r.context, r.attempts, h.channel, h.template_snapshot`,
    { type: QueryTypes.SELECT, replacements: { id: recipientId, now, due: new Date(now.getTime() + 1000) } },
  );
  const row = claimed[0];
  if (!row) return { outcome: 'skipped' };
  if (deps.spacing) {
    const slot = deps.spacing.reserve(row.channel, now.getTime());
    if (slot > now.getTime()) await (deps.sleep ?? realSleep)(slot - now.getTime());
  }
  try {
    const { messageId } = await sendOn(row, deps);
    await sequelize.query(
      `UPDATE notification_recipients SET status = 'SENT', sent_at = :at, message_id = :messageId, last_error = NULL, updated_at = :at
        WHERE id = :id AND status = 'SENDING'`,
      { replacements: { id: row.id, at: clock(), messageId } },
    );
    return { outcome: 'sent', messageId };
  } catch (e) {
    const err = e instanceof DeliveryError ? e : new DeliveryError(e instanceof Error ? e.message : String(e), true);
    const at = clock();
    const retry = err.transient && row.attempts < deps.maxAttempts;
    const delay = Math.min(deps.retryDelayMs * 2 ** (row.attempts - 1), deps.retryMaxDelayMs ?? Number.POSITIVE_INFINITY);
    const nextAt = retry ? new Date(at.getTime() + delay) : null;
    const error = `attempt ${row.attempts}/${deps.maxAttempts}${retry ? '' : err.transient ? ' (no attempts left)' : ' (permanent)'}: ${err.message}`;
    await sequelize.query(
      `UPDATE notification_recipients SET status = 'FAILED', last_error = :error, next_attempt_at = :nextAt, updated_at = :at
        WHERE id = :id AND status = 'SENDING'`,
      { replacements: { id: row.id, error, nextAt, at } },
    );
    if (retry) return { outcome: 'retry', at: nextAt!, error };
    logger.error('notification failed', { recipientId: row.id, channel: row.channel, error });
    return { outcome: 'failed', error };
  }
}

// ---------------------------------------------------------------------------------------------------------
// operators and recovery

/** Operators: send FAILED recipients again (attempts continue counting). Returns the ids re-enqueued. */
export async function retryNotifications(sequelize: Sequelize, recipientIds: string[]): Promise<string[]> {
  const ids = recipientIds.filter((id) => UUID_RE.test(id));
  if (ids.length === 0) return [];
  const actor = currentActor();
  const rows = await sequelize.query<{ id: string }>(
    `UPDATE notification_recipients SET status = 'CREATED', next_attempt_at = NULL, updated_at = now()
      WHERE id = ANY(CAST(:ids AS uuid[])) AND status = 'FAILED' RETURNING id`,
    { type: QueryTypes.SELECT, replacements: { ids: `{${ids.join(',')}}` } },
  );
  for (const r of rows) {
    await AuditLog.create({ tableName: 'notification_recipients', recordId: r.id, action: 'notification.retry', actorUserId: actor.userId, actorLabel: actor.label });
    await enqueueNow(JOB.NOTIFICATION_SEND, { recipientId: r.id }, { sequelize });
  }
  return rows.map((r) => r.id);
}

/**
 * Recovery (recurring, with the sweep) of the webhook's paid messages. The webhook writes them once the payment
 * has committed (`emitCommittedOrderEvent`: nothing but the paid write runs while it holds the product's lock),
 * so a process that stopped in between, or a write that failed, left a payment without its message. Webhook
 * payments (their `payment_accepted` event row) of the last `windowMs`, older than `graceMs`, still their
 * order's newest ledger row, with a customer e-mail, an active Korean `order_paid` template and no message for
 * their event key get their messages now (`notifyOrderEvent`: idempotent per event key, Kakao too when
 * configured). Returns how many orders got one.
 */
export async function recoverPaidNotifications(
  sequelize: Sequelize,
  opts: { now?: Date; graceMs?: number; windowMs?: number } = {},
): Promise<number> {
  const now = opts.now ?? new Date();
  const rows = await sequelize.query<{ order_id: string }>(
    `SELECT ph.order_id FROM payment_histories ph
      WHERE ph.status = 'completed' AND ph.deleted_at IS NULL AND ph.imp_id IS NOT NULL
        AND ph.created_at >= :since AND ph.created_at < :graceBefore
        AND EXISTS (SELECT 1 FROM payment_webhook_events e
                     WHERE e.order_id = ph.order_id AND e.imp_uid = ph.imp_id AND e.event_type = 'payment_accepted')
        AND NOT EXISTS (SELECT 1 FROM payment_histories l
                         WHERE l.order_id = ph.order_id AND l.deleted_at IS NULL AND (l.created_at, l.id) > (ph.created_at, ph.id))
        AND EXISTS (SELECT 1 FROM customer_infos c WHERE c.order_id = ph.order_id AND c.deleted_at IS NULL AND coalesce(c.email, '') <> '')
        AND EXISTS (SELECT 1 FROM notification_templates tp
                     WHERE tp.channel = 'email' AND tp.code = :code AND tp.language = 'ko' AND tp.active AND tp.deleted_at IS NULL)
        AND NOT EXISTS (SELECT 1 FROM notification_histories n WHERE n.event_key = ${eventKeySql('paid', 'email', 'ph.order_id', 'ph.id')})
      ORDER BY ph.created_at LIMIT 500`,
    {
      type: QueryTypes.SELECT,
      replacements: {
        since: new Date(now.getTime() - (opts.windowMs ?? 24 * 3600_000)),
        graceBefore: new Date(now.getTime() - (opts.graceMs ?? 5 * 60_000)),
        code: EVENT_TEMPLATE_CODE.paid,
      },
    },
  );
  let recovered = 0;
  for (const { order_id: orderId } of rows) if (await notifyOnChannels(orderId, 'paid', null, { sequelize })) recovered += 1;
  if (recovered) logger.warn('paid messages written by the sweep (the webhook stopped before writing them)', { recovered });
  return recovered;
}

/**
 * Recovery (recurring job): rows whose job was lost (CREATED, or a due retry, with no pending job for them
 * after `graceMs`) are enqueued again; rows stuck in SENDING longer than `stuckMs` (the worker died while
 * sending: delivery unknown) become FAILED without automatic retry, so nobody gets the e-mail twice.
 */
export async function sweepNotifications(sequelize: Sequelize, opts: { now?: Date; graceMs?: number; stuckMs?: number } = {}): Promise<{ requeued: number; interrupted: number }> {
  const now = opts.now ?? new Date();
  const graceBefore = new Date(now.getTime() - (opts.graceMs ?? 5 * 60_000));
  const stuckBefore = new Date(now.getTime() - (opts.stuckMs ?? 15 * 60_000));
  const interrupted = await sequelize.query<{ id: string }>(
    `UPDATE notification_recipients
        SET status = 'FAILED', next_attempt_at = NULL, updated_at = :now,
            last_error = 'interrupted while sending (the worker stopped); delivery unknown — retry manually if needed'
      WHERE status = 'SENDING' AND claimed_at < :stuckBefore RETURNING id`,
    { type: QueryTypes.SELECT, replacements: { now, stuckBefore } },
  );
  const lost = await sequelize.query<{ id: string }>(
    `SELECT r.id FROM notification_recipients r
      WHERE ((r.status = 'CREATED' AND r.updated_at < :graceBefore)
          OR (r.status = 'FAILED' AND r.next_attempt_at IS NOT NULL AND r.next_attempt_at < :graceBefore))
        AND NOT EXISTS (SELECT 1 FROM agenda_jobs j
                         WHERE j.name = :job AND j.data->>'recipientId' = r.id::text AND j.last_finished_at IS NULL)
      ORDER BY r.created_at LIMIT 1000`,
    { type: QueryTypes.SELECT, replacements: { graceBefore, job: JOB.NOTIFICATION_SEND } },
  );
  for (const r of lost) await enqueueNow(JOB.NOTIFICATION_SEND, { recipientId: r.id }, { sequelize });
  if (interrupted.length || lost.length) logger.warn('notification sweep', { requeued: lost.length, interrupted: interrupted.length });
  return { requeued: lost.length, interrupted: interrupted.length };
}
