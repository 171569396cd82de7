/**
 * Ticket holder ("participant") data of one order item: `ticket_info = {name, phone, email, organization,
 * contribution_message?}`. Pure rules:
 *
 * - shape: `name`, `phone` (the CustomerInfo pattern) and `email` required and non-blank; `organization` a
 *   required key that may be "" but not null; `contribution_message` optional, null or "" allowed. Values are
 *   trimmed. Errors carry attrs `ticket_info.<field>`.
 * - product rules (attr `ticket_info`): a non-ticket product refuses ticket_info; a non-empty
 *   contribution message needs a donation-allowed product; a ticket product without ticket_info is refused
 *   where it is required (cart add, buy-now, the CSV import) — a cart checkout reports missing holders with
 *   its own non-field error (`cartTicketInfoErrors`).
 */
import { Messages, fieldError, type FieldError, type MessageDef } from '../messages.js';
import { FieldMessages, validateCustomerInfo } from './customer-info.js';

export interface TicketInfoValue {
  name: string;
  phone: string;
  email: string;
  organization: string | null;
  contributionMessage: string | null;
}

/** The DTO / request shape. */
export interface TicketInfoDto {
  name: string;
  phone: string;
  email: string;
  organization: string | null;
  contribution_message: string | null;
}

export const ticketInfoDto = (v: TicketInfoValue): TicketInfoDto => ({
  name: v.name,
  phone: v.phone,
  email: v.email,
  organization: v.organization,
  contribution_message: v.contributionMessage,
});

export interface TicketInfoParse {
  errors: FieldError[];
  /** the trimmed values when there is no error; with `partial`, only the keys that were given */
  value: Partial<TicketInfoValue> | null;
}

const push = (errors: FieldError[], msg: MessageDef, attr: string) => errors.push({ code: msg.code, detail: msg.text, attr });

/**
 * Validate a `ticket_info` object. `partial` (an edit of an existing holder): missing keys are left out of
 * the value instead of being `required` errors.
 */
export function parseTicketInfo(raw: unknown, { attrPrefix = 'ticket_info.', partial = false } = {}): TicketInfoParse {
  const errors: FieldError[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const attr = attrPrefix.replace(/\.$/, '');
    push(errors, raw === null ? FieldMessages.NULL : { code: 'invalid', text: '잘못된 형식입니다. 객체가 필요합니다.' }, attr);
    return { errors, value: null };
  }
  const data = raw as Record<string, unknown>;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k) && data[k] !== undefined;
  const out: Partial<TicketInfoValue> = {};

  // name / phone / email / organization: the CustomerInfo field rules, except that organization may not be null
  const keys = ['name', 'phone', 'email', 'organization'] as const;
  const given = partial ? keys.filter(has) : keys;
  if (given.includes('organization') && data.organization === null) push(errors, FieldMessages.NULL, attrPrefix + 'organization');
  if (given.length) {
    const probe: Record<string, unknown> = { name: 'x', phone: '010-0000-0000', email: 'x@example.com', organization: '' };
    for (const k of given) {
      if (has(k)) probe[k] = data[k];
      else delete probe[k];
    }
    if (probe.organization === null) probe.organization = ''; // reported above
    const r = validateCustomerInfo(probe, attrPrefix);
    errors.push(...r.errors);
    if (r.value) for (const k of given) out[k] = r.value[k];
  }

  if (has('contribution_message')) {
    const v = data.contribution_message;
    if (v === null) out.contributionMessage = null;
    else if (typeof v === 'string') out.contributionMessage = v.trim() === '' ? null : v.trim();
    else push(errors, FieldMessages.INVALID_STRING, attrPrefix + 'contribution_message');
  } else if (!partial) {
    out.contributionMessage = null;
  }
  return { errors, value: errors.length ? null : out };
}

export interface TicketProductFacts {
  /** product name in the request language (messages) */
  name: string;
  isTicket: boolean;
  donationAllowed: boolean;
}

/**
 * The product rules (attr `ticket_info`): not a ticket + given → NOT_ALLOWED; a non-empty contribution
 * message on a non-donation product → CONTRIBUTION_MESSAGE_NOT_ALLOWED; a ticket without it where
 * `required` → REQUIRED.
 */
export function ticketInfoRuleErrors(
  product: TicketProductFacts,
  ticketInfo: Partial<TicketInfoValue> | null,
  { required }: { required: boolean },
): FieldError[] {
  if (ticketInfo && !product.isTicket) return [fieldError(Messages.TicketInfo.NOT_ALLOWED, 'ticket_info', product.name)];
  if (!ticketInfo) return product.isTicket && required ? [fieldError(Messages.TicketInfo.REQUIRED, 'ticket_info', product.name)] : [];
  if (ticketInfo.contributionMessage && !product.donationAllowed) {
    return [fieldError(Messages.TicketInfo.CONTRIBUTION_MESSAGE_NOT_ALLOWED, 'ticket_info', product.name)];
  }
  return [];
}

/** Cart checkout: every live item of a ticket product needs its holder (items added before the rule had none). */
export function cartTicketInfoErrors(items: ReadonlyArray<{ isTicket: boolean; hasTicketInfo: boolean }>): FieldError[] {
  return items.some((i) => i.isTicket && !i.hasTicketInfo) ? [fieldError(Messages.Cart.TICKET_INFO_REQUIRED, 'non_field_errors')] : [];
}
