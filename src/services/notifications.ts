/**
 * Order notifications by e-mail (spec §6.6, issue #8).
 *
 *   previewNotification / sendNotification — the admin "preview" and "send" actions on chosen orders
 *   notifyOrderEvent                       — automatic e-mail when an order is paid / refunded, called inside
 *                                            the transaction that pays / refunds (via order-events)
 *   deliverNotification                    — the job handler's work for one recipient (idempotent)
 *   retryNotifications / sweepNotifications — operators' retry; recovery of lost jobs and stuck sends
 *
 * A send writes a NotificationHistory (template snapshot, who) and one NotificationRecipient per distinct
 * e-mail address (rendered subject/body, status CREATED) in one transaction, and enqueues one
 * `notification-send` job per recipient after commit. Delivery claims the row with a conditional UPDATE
 * (CREATED → SENDING), so a job delivered twice sends once; SMTP errors that may pass (4xx, network) are
 * retried with exponential backoff up to NOTIFICATION_MAX_ATTEMPTS, then the row stays FAILED with its error.
 */
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
import { loadConfig } from '../config.js';
import { currentActor } from '../context.js';
import { logger } from '../logger.js';
import { pythonIsoformat } from '../domain/checkout/snapshot.js';
import { missingVariables, renderTemplate, templateVariables } from '../domain/notification/template.js';
import type { FieldError } from '../domain/messages.js';
import { enqueueAfterCommit, enqueueNow } from '../jobs/enqueue.js';
import { JOB } from '../jobs/names.js';
import { orderViews, type OrderDto } from './order-view.js';
import { onOrderEvent, type OrderEventKind } from './order-events.js';
import type { Mailer } from './mailer.js';
import { MailError } from './mailer.js';
import { ServiceError } from './errors.js';

// ---------------------------------------------------------------------------------------------------------
// settings

export interface NotificationSettings {
  backendDomain: string;
  scancodeSalts: readonly string[];
  /** MAIL_FROM, recorded on each history as the sender snapshot. */
  sender: string;
}

let settings: NotificationSettings | null = null;

/** Set the settings explicitly (tests); by default they come from the process configuration. */
export function configureNotifications(s: NotificationSettings | null): void {
  settings = s;
}

function currentSettings(): NotificationSettings {
  if (settings) return settings;
  const c = loadConfig();
  return { backendDomain: c.backendDomain, scancodeSalts: c.scancodeSalts, sender: c.mail.from };
}

// ---------------------------------------------------------------------------------------------------------
// context (spec §6.6 [Δ c15d377])

export const MANUAL_TARGET_STATUSES = new Set(['completed', 'partial_refunded']);
export const NO_RECIPIENTS_MESSAGE = '발송 대상이 없습니다 (filterset 결과 0건 또는 customer_info/첫 상품 부재).';
export const TEMPLATE_NOT_FOUND_MESSAGE = 'Template not found.';

export interface RecipientPreview {
  order_id: string;
  recipient: string;
  context: Record<string, unknown>;
  missing_variables: string[];
}

export interface NotificationPreview {
  template_variables: string[];
  recipients: RecipientPreview[];
}

/**
 * The context of one order: the first item's option groups (`{group name: answer | option name | ""}`),
 * then the order keys (order_id, order_name, first_paid_at (ISO, Asia/Seoul) | null, first_paid_price,
 * current_paid_price, customer_name/_phone/_email, scancode_url = the order's QR page).
 * Null when the order has no customer info, no e-mail, or no item (spec: such orders are skipped).
 */
export function orderContext(view: OrderDto): { recipient: string; context: Record<string, unknown> } | null {
  const info = view.customer_info;
  const first = view.products[0];
  if (!info || !info.email.trim() || !first) return null;
  const context: Record<string, unknown> = {};
  for (const o of first.options) {
    context[o.product_option_group.name] = o.product_option_group.is_custom_response ? (o.custom_response ?? '') : (o.product_option?.name ?? '');
  }
  Object.assign(context, {
    order_id: view.id,
    order_name: view.name,
    first_paid_at: view.first_paid_at ? pythonIsoformat(new Date(view.first_paid_at)) : null,
    first_paid_price: view.first_paid_price,
    current_paid_price: view.current_paid_price,
    customer_name: info.name,
    customer_phone: info.phone,
    customer_email: info.email,
    scancode_url: view.scancode_url,
  });
  return { recipient: info.email.trim(), context };
}

async function viewsFor(orderIds: string[], lang: NotificationLanguage, transaction?: Transaction): Promise<OrderDto[]> {
  const s = currentSettings();
  return orderViews([...new Set(orderIds)], { lang, now: new Date(), backendDomain: s.backendDomain, scancodeSalts: s.scancodeSalts, transaction });
}

// ---------------------------------------------------------------------------------------------------------
// admin preview / send

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NotificationRequest {
  /** Only `email` is implemented; a template of another channel is "not found". */
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

async function findTemplate(channel: string | undefined, templateId: unknown): Promise<NotificationTemplate> {
  const notFound = () => ServiceError.validation([{ code: 'does_not_exist', detail: TEMPLATE_NOT_FOUND_MESSAGE, attr: 'template_id' }]);
  if (typeof templateId !== 'string' || !UUID_RE.test(templateId)) throw notFound();
  const template = await NotificationTemplate.findOne({ where: { id: templateId, channel: channel ?? 'email', active: true } });
  if (!template) throw notFound();
  return template;
}

function overrideOf(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw ServiceError.validation([{ code: 'invalid', detail: '객체(dictionary)가 필요합니다.', attr: 'context_override' }]);
  }
  return value as Record<string, unknown>;
}

async function buildPreview(template: NotificationTemplate, orderIds: string[], override: Record<string, unknown>): Promise<NotificationPreview> {
  const variables = templateVariables(template.subject, template.body);
  const views = (await viewsFor(orderIds, template.language)).filter((v) => MANUAL_TARGET_STATUSES.has(v.current_status));
  const seen = new Set<string>();
  const recipients: RecipientPreview[] = [];
  for (const view of views) {
    const item = orderContext(view);
    if (!item) continue;
    const key = item.recipient.toLowerCase();
    if (seen.has(key)) continue; // one e-mail per address (two orders of the same buyer)
    seen.add(key);
    const context = { ...item.context, ...override };
    recipients.push({ order_id: view.id, recipient: item.recipient, context, missing_variables: missingVariables(variables, context) });
  }
  return { template_variables: variables, recipients };
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
  recipients: Array<{ id: string; order_id: string | null; recipient: string; status: string }>;
}

function snapshotOf(t: NotificationTemplate): TemplateSnapshot {
  return { code: t.code, language: t.language, name: t.name, subject: t.subject, body: t.body };
}

function historyDto(h: NotificationHistory, recipients: NotificationRecipient[]): NotificationHistoryDto {
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
    recipients: recipients.map((r) => ({ id: r.id, order_id: r.orderId, recipient: r.recipient, status: r.status })),
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
  if (preview.recipients.length === 0) throw ServiceError.validation([{ code: 'no_recipients', detail: NO_RECIPIENTS_MESSAGE, attr: null }]);
  const lacking = preview.recipients.filter((r) => r.missing_variables.length > 0);
  if (lacking.length) throw new MissingContextVariablesError(lacking);

  const sequelize = input.sequelize ?? NotificationHistory.sequelize!;
  const actor = currentActor();
  const { history, recipients } = await sequelize.transaction(async (t) => {
    const history = await NotificationHistory.create(
      {
        channel: template.channel,
        templateId: template.id,
        templateCode: template.code,
        templateLanguage: template.language,
        templateSnapshot: snapshotOf(template),
        sender: currentSettings().sender,
        trigger: 'manual',
        contextOverride: override,
        createdById: actor.userId,
        createdByLabel: actor.label,
      },
      { transaction: t },
    );
    const recipients: NotificationRecipient[] = [];
    for (const r of preview.recipients) {
      recipients.push(
        await NotificationRecipient.create(
          {
            historyId: history.id,
            orderId: r.order_id,
            recipient: r.recipient,
            context: r.context,
            subject: renderTemplate(template.subject, r.context).replace(/[\r\n]+/g, ' ').trim(),
            body: renderTemplate(template.body, r.context),
          },
          { transaction: t },
        ),
      );
    }
    for (const r of recipients) await enqueueAfterCommit(t, JOB.NOTIFICATION_SEND, { recipientId: r.id });
    return { history, recipients };
  });
  return historyDto(history, recipients);
}

// ---------------------------------------------------------------------------------------------------------
// automatic: order paid / refunded

export const EVENT_TEMPLATE_CODE: Record<OrderEventKind, string> = { paid: 'order_paid', refunded: 'order_refunded' };

async function activeTemplate(code: string, language: NotificationLanguage, t: Transaction): Promise<NotificationTemplate | null> {
  const exact = await NotificationTemplate.findOne({ where: { channel: 'email', code, language, active: true }, transaction: t });
  if (exact || language === 'ko') return exact;
  return NotificationTemplate.findOne({ where: { channel: 'email', code, language: 'ko', active: true }, transaction: t });
}

/**
 * Inside the transaction that pays / refunds `orderId`: create the e-mail for the buyer and enqueue it after
 * commit (a rollback sends nothing). Returns the recipient id, or null when there is nothing to send: no
 * customer e-mail, no active template for the code (`order_paid` / `order_refunded`), or this ledger event
 * was already notified (the key is the order's newest payment-history row, so each payment / refund event
 * is notified once). The language is Korean unless `opts.lang` says otherwise (the system stores no
 * per-buyer language). Never throws: it runs in a savepoint, and a failure is logged while the payment or
 * refund commits.
 */
export async function notifyOrderEvent(
  orderId: string,
  kind: OrderEventKind,
  transaction: Transaction,
  opts: { lang?: NotificationLanguage } = {},
): Promise<string | null> {
  const sequelize = (transaction as Transaction & { sequelize: Sequelize }).sequelize;
  try {
    return await sequelize.transaction({ transaction }, async (t) => {
      const info = await CustomerInfo.findOne({ where: { orderId }, transaction: t });
      if (!info || !info.email.trim()) return null;
      const latest = await PaymentHistory.findOne({ where: { orderId }, order: [['createdAt', 'DESC'], ['id', 'DESC']], transaction: t });
      const eventKey = `${EVENT_TEMPLATE_CODE[kind]}:${orderId}:${latest?.id ?? 'none'}`;
      if (await NotificationHistory.findOne({ where: { eventKey }, transaction: t, attributes: ['id'] })) return null;
      const template = await activeTemplate(EVENT_TEMPLATE_CODE[kind], opts.lang ?? 'ko', t);
      if (!template) {
        logger.warn('no active e-mail template for an order event', { code: EVENT_TEMPLATE_CODE[kind], orderId });
        return null;
      }
      const [view] = await viewsFor([orderId], template.language, t);
      const item = view ? orderContext(view) : null;
      if (!item) return null;
      const actor = currentActor();
      const history = await NotificationHistory.create(
        {
          channel: 'email',
          templateId: template.id,
          templateCode: template.code,
          templateLanguage: template.language,
          templateSnapshot: snapshotOf(template),
          sender: currentSettings().sender,
          trigger: kind === 'paid' ? 'order_paid' : 'order_refunded',
          eventKey,
          contextOverride: {},
          createdById: actor.userId,
          createdByLabel: actor.label,
        },
        { transaction: t },
      );
      const recipient = await NotificationRecipient.create(
        {
          historyId: history.id,
          orderId,
          recipient: item.recipient,
          context: item.context,
          subject: renderTemplate(template.subject, item.context).replace(/[\r\n]+/g, ' ').trim(),
          body: renderTemplate(template.body, item.context),
        },
        { transaction: t },
      );
      await enqueueAfterCommit(t, JOB.NOTIFICATION_SEND, { recipientId: recipient.id });
      return recipient.id;
    });
  } catch (e) {
    logger.error('order notification not created', { orderId, kind, error: e instanceof Error ? e.message : String(e) });
    return null;
  }
}

let unsubscribe: (() => void) | null = null;

/** Send the paid / refunded e-mails on order events (src/services/order-events.ts). Idempotent. */
export function registerOrderNotifications(): () => void {
  unsubscribe ??= onOrderEvent(async (kind, orderId, t) => {
    await notifyOrderEvent(orderId, kind, t);
  });
  return () => {
    unsubscribe?.();
    unsubscribe = null;
  };
}

// ---------------------------------------------------------------------------------------------------------
// delivery (the job handler)

export interface DeliveryDeps {
  mailer: Mailer;
  maxAttempts: number;
  /** First retry delay; doubled per further attempt. */
  retryDelayMs: number;
  now?: () => Date;
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
  attempts: number;
}

/**
 * Deliver one recipient. Claims the row (CREATED, or FAILED with a due retry → SENDING; attempts + 1) with
 * one conditional UPDATE: a second run of the same job, or a concurrent one, finds nothing to claim and
 * does nothing. A SENT row is never sent again.
 */
export async function deliverNotification(sequelize: Sequelize, recipientId: string, deps: DeliveryDeps): Promise<DeliveryResult> {
  const now = deps.now?.() ?? new Date();
  if (!UUID_RE.test(recipientId)) return { outcome: 'skipped' };
  const claimed = await sequelize.query<ClaimedRow>(
    `UPDATE notification_recipients
        SET status = 'SENDING', attempts = attempts + 1, claimed_at = :now, next_attempt_at = NULL, updated_at = :now
      WHERE id = :id
        AND (status = 'CREATED' OR (status = 'FAILED' AND next_attempt_at IS NOT NULL AND next_attempt_at <= :due))
      RETURNING id, recipient, subject, body, attempts`,
    { type: QueryTypes.SELECT, replacements: { id: recipientId, now, due: new Date(now.getTime() + 1000) } },
  );
  const row = claimed[0];
  if (!row) return { outcome: 'skipped' };
  try {
    const { messageId } = await deps.mailer.send({ to: row.recipient, subject: row.subject, text: row.body });
    await sequelize.query(
      `UPDATE notification_recipients SET status = 'SENT', sent_at = :at, message_id = :messageId, last_error = NULL, updated_at = :at
        WHERE id = :id AND status = 'SENDING'`,
      { replacements: { id: row.id, at: deps.now?.() ?? new Date(), messageId } },
    );
    return { outcome: 'sent', messageId };
  } catch (e) {
    const err = e instanceof MailError ? e : new MailError(e instanceof Error ? e.message : String(e), true);
    const at = deps.now?.() ?? new Date();
    const retry = err.transient && row.attempts < deps.maxAttempts;
    const nextAt = retry ? new Date(at.getTime() + deps.retryDelayMs * 2 ** (row.attempts - 1)) : null;
    const error = `attempt ${row.attempts}/${deps.maxAttempts}${retry ? '' : err.transient ? ' (no attempts left)' : ' (permanent)'}: ${err.message}`;
    await sequelize.query(
      `UPDATE notification_recipients SET status = 'FAILED', last_error = :error, next_attempt_at = :nextAt, updated_at = :at
        WHERE id = :id AND status = 'SENDING'`,
      { replacements: { id: row.id, error, nextAt, at } },
    );
    if (retry) return { outcome: 'retry', at: nextAt!, error };
    logger.error('notification e-mail failed', { recipientId: row.id, error });
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
