/**
 * Per-ticket notifications (after-pr43 §6): preview / render / send one message per order item to its
 * participant — the ticket holder (`ticket_infos`), else the order's customer — on the template's channel
 * (e-mail, or the phone for Kakao / SMS). Targets: live items with status paid / used / refunded of orders
 * whose status is completed / partial_refunded / refunded, chosen by the item filter (./order-items.ts).
 *
 * Context = the order's keys (./notifications.ts `orderKeys`) + that ticket's own: `scancode_url` (the item's
 * QR page), `product_name`, `product_price` / `product_donation_price` (with separators), `product_status`
 * (label), `participant_name/_phone/_email/_organization`, `contribution_message`, the aliases 성함 / 성명 /
 * 소속 of the participant, the item's answers by option-group name, then `context_override`.
 * `dedupe_key` = the item id: one address may get one message per ticket (a buyer of three tickets with no
 * holder info gets three, each with its own QR).
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { TicketInfo, type NotificationTemplate } from '../models/index.js';
import { formatAmount } from '../domain/notification/template.js';
import {
  addressOn,
  answersOf,
  createSend,
  findTemplate,
  orderKeys,
  overrideOf,
  previewOf,
  renderMessage,
  viewsFor,
  type NotificationHistoryDto,
  type NotificationPreview,
  type NotificationTarget,
} from './notifications.js';
import { findItemIds, type ItemFilter } from './order-items.js';
import { ITEM_STATUS_LABEL } from './export.js';

const TARGET_ORDER_STATUSES = new Set(['completed', 'partial_refunded', 'refunded']);

export interface Holder {
  name: string;
  phone: string;
  email: string;
  organization: string | null;
  contribution_message: string | null;
}

/** The live ticket holders of these items. */
export async function holdersOf(itemIds: string[]): Promise<Map<string, Holder>> {
  if (itemIds.length === 0) return new Map();
  const rows = await TicketInfo.findAll({ where: { orderProductRelationId: itemIds } });
  return new Map(rows.map((r) => [r.orderProductRelationId, { name: r.name, phone: r.phone, email: r.email, organization: r.organization, contribution_message: r.contributionMessage }]));
}

async function ticketTargets(sequelize: Sequelize, template: NotificationTemplate, filter: ItemFilter): Promise<NotificationTarget[]> {
  const itemIds = await findItemIds(sequelize, filter, { targets: true });
  if (itemIds.length === 0) return [];
  const selected = new Set(itemIds);
  const orderIds = (
    await sequelize.query<{ order_id: string }>(`SELECT DISTINCT order_id FROM order_product_relations WHERE id = ANY(CAST(:ids AS uuid[]))`, {
      type: QueryTypes.SELECT,
      replacements: { ids: `{${itemIds.join(',')}}` },
    })
  ).map((r) => r.order_id);
  const views = (await viewsFor(orderIds, template.language)).filter((v) => TARGET_ORDER_STATUSES.has(v.current_status));
  const holders = await holdersOf(itemIds);
  const targets: NotificationTarget[] = [];
  for (const view of views) {
    for (const item of view.products) {
      if (!selected.has(item.id)) continue;
      const info = view.customer_info;
      const holder = holders.get(item.id);
      const person = holder ?? (info ? { ...info, contribution_message: null } : null);
      if (!person) continue;
      const recipient = addressOn(template.channel, person);
      if (!recipient) continue;
      targets.push({
        order_id: view.id,
        order_product_relation_id: item.id,
        recipient,
        dedupe_key: item.id,
        context: {
          ...answersOf(item),
          ...orderKeys(view),
          scancode_url: item.scancode_url,
          product_name: item.product.name,
          product_price: formatAmount(item.price),
          product_donation_price: formatAmount(item.donation_price),
          product_status: ITEM_STATUS_LABEL[item.status] ?? item.status,
          participant_name: person.name,
          participant_phone: person.phone,
          participant_email: person.email,
          participant_organization: person.organization ?? '',
          contribution_message: person.contribution_message ?? '',
          성함: person.name,
          성명: person.name,
          소속: person.organization ?? '',
        },
      });
    }
  }
  return targets;
}

export interface TicketNotificationRequest {
  channel?: string;
  templateId: unknown;
  filter: ItemFilter;
  contextOverride?: unknown;
}

export async function previewTicketNotification(sequelize: Sequelize, input: TicketNotificationRequest): Promise<NotificationPreview> {
  const template = await findTemplate(input.channel, input.templateId);
  return previewOf(template, await ticketTargets(sequelize, template, input.filter), overrideOf(input.contextOverride));
}

/** The message of the first target as it would be sent. */
export async function renderTicketNotification(sequelize: Sequelize, input: TicketNotificationRequest): Promise<{ recipient: string | null; subject: string; body: string }> {
  const template = await findTemplate(input.channel, input.templateId);
  const preview = previewOf(template, await ticketTargets(sequelize, template, input.filter), overrideOf(input.contextOverride));
  const first = preview.recipients[0];
  return { recipient: first?.recipient ?? null, ...renderMessage(template, first?.context ?? {}) };
}

/** One history + one recipient per ticket (400 when none, or a template variable is missing), jobs after commit. */
export async function sendTicketNotification(sequelize: Sequelize, input: TicketNotificationRequest): Promise<NotificationHistoryDto> {
  const template = await findTemplate(input.channel, input.templateId);
  const override = overrideOf(input.contextOverride);
  const preview = previewOf(template, await ticketTargets(sequelize, template, input.filter), override);
  return createSend(template, preview, override, 'manual_ticket', sequelize);
}
