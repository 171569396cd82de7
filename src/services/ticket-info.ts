/**
 * Writing a ticket holder (`ticket_infos`) of one order item: the buyer's item PATCH and the registration
 * desk use this one function, inside their own transaction and after locking the order row.
 *
 * One row per item, kept even when soft-deleted (unique index): an edit of a removed holder revives it.
 * Without a row the value must be complete (`parseTicketInfo` without `partial`); with one, the given keys
 * are updated (a PATCH).
 */
import type { Transaction } from 'sequelize';
import { Category, Product, TicketInfo } from '../models/index.js';
import { parseTicketInfo, ticketInfoRuleErrors, type TicketInfoValue } from '../domain/cart/ticket-info.js';
import { tr, type Lang } from '../domain/i18n.js';
import type { FieldError } from '../domain/messages.js';
import { ServiceError } from './errors.js';

export interface HolderEdit {
  /** the raw `ticket_info` object of the request */
  raw: unknown;
  /** attr prefix of field errors, e.g. `ticket_info.` */
  attrPrefix?: string;
  /** keys that may not be changed through this path (the desk cannot change `contribution_message`) */
  readOnly?: ReadonlyArray<keyof TicketInfoValue>;
}

/**
 * Validate the holder of `oprId` (a `productId` item) against the product rules and return the write to run
 * once every other part of the request is valid too; errors are collected, not thrown.
 */
export async function prepareHolderEdit(
  oprId: string,
  productId: string,
  edit: HolderEdit,
  lang: Lang,
  t: Transaction,
): Promise<{ errors: FieldError[]; apply: () => Promise<void> }> {
  const prefix = edit.attrPrefix ?? 'ticket_info.';
  const existing = await TicketInfo.findOne({ where: { orderProductRelationId: oprId }, paranoid: false, transaction: t, lock: t.LOCK.UPDATE });
  const raw = edit.raw && typeof edit.raw === 'object' && !Array.isArray(edit.raw) && edit.readOnly?.length
    ? Object.fromEntries(Object.entries(edit.raw).filter(([k]) => !(edit.readOnly as readonly string[]).includes(k === 'contribution_message' ? 'contributionMessage' : k)))
    : edit.raw;
  const parsed = parseTicketInfo(raw, { attrPrefix: prefix, partial: existing !== null });
  if (parsed.errors.length || !parsed.value) return { errors: parsed.errors, apply: async () => {} };
  const product = await Product.findByPk(productId, { paranoid: false, transaction: t, include: [{ model: Category, as: 'category', paranoid: false }] });
  const category = product?.get('category') as Category | undefined;
  const errors = ticketInfoRuleErrors(
    { name: product ? tr(lang, product.nameKo, product.nameEn) : '', isTicket: !!category?.isTicket, donationAllowed: !!product?.donationAllowed },
    parsed.value,
    { required: false },
  );
  const value = parsed.value;
  return {
    errors,
    apply: async () => {
      if (!existing) {
        await TicketInfo.create({ orderProductRelationId: oprId, ...(value as TicketInfoValue) }, { transaction: t });
        return;
      }
      if (existing.deletedAt) await existing.restore({ transaction: t }); // a removed holder is revived (audited as `restore`)
      await existing.update(value, { transaction: t });
    },
  };
}

/** Throw the collected errors as one 400 (every part of the request is validated before any write). */
export function throwIfErrors(errors: FieldError[]): void {
  if (errors.length) throw ServiceError.validation(errors);
}
