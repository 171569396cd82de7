/**
 * The item record action *옵션 변경* (change an order): shows the item's answers with the other options of each
 * choice group (stock left, whether each may be chosen now) and changes them through the one service
 * (src/services/order-changes.ts). Managers only: viewers neither see the button (`isVisible`) nor may call
 * it (`isAccessible`, checked by AdminJS on the server before the handler runs).
 *
 * A refusal answers with the service's HTTP status (400 / 404 / 409) and the contract's error body
 * (`{type, errors: [{code, detail, attr}]}`, plus the record and a notice for the panel), so a caller can tell
 * "sold out" from "price differs" by its code.
 */
import type { Sequelize } from 'sequelize';
import type { ActionContext } from 'adminjs';
import type { Response } from 'express';
import { z } from 'zod';
import { ServiceError } from '../src/services/errors.js';
import { changeItemOptions, previewOptionChange, type OptionChangeOutcome } from '../src/services/order-changes.js';
import { zodToFieldErrors } from '../src/http/errors.js';
import { canWrite } from './roles.js';
import { asAdmin, recordJson, type ActionDef, type Components } from './resources.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = () => z.string().regex(UUID, 'UUID가 필요합니다.');

/** The form's payload: `changes` = a JSON array of {answer, option} (form fields are strings), an optional reason. */
export const ChangeOptionPayload = z.object({
  changes: z
    .string({ error: '변경할 옵션(changes)이 필요합니다.' })
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'changes: JSON 배열이 필요합니다.' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.object({ answer: uuid(), option: uuid().nullable() }).strict()).min(1, '변경할 옵션을 하나 이상 선택해주세요.').max(100)),
  reason: z.string().max(200, '사유는 200자 이하로 입력해주세요.').optional(),
});

/** Items whose options may be offered for a change: purchased units (paid, or checked in). */
const CHANGEABLE = ['paid', 'used'];

const summary = (o: OptionChangeOutcome) => o.changes.map((c) => `${c.group}: ${c.from?.name ?? '없음'} → ${c.to?.name ?? '없음'}`).join(', ');

export function changeOptionAction(sequelize: Sequelize, components: Components): ActionDef {
  return {
    actionType: 'record',
    icon: 'Shuffle',
    isAccessible: canWrite,
    isVisible: (ctx: ActionContext) => canWrite(ctx) && CHANGEABLE.includes(String(ctx.record?.param('status') ?? '')),
    component: components.ChangeOptionView,
    handler: asAdmin(async (request, response, context) => {
      const itemId = String(context.record!.id());
      try {
        if (request.method !== 'post') return { record: recordJson(context), preview: await previewOptionChange(sequelize, itemId) };
        const parsed = ChangeOptionPayload.safeParse(request.payload ?? {});
        if (!parsed.success) throw ServiceError.validation(zodToFieldErrors(parsed.error));
        const outcome = await changeItemOptions(sequelize, { itemId, changes: parsed.data.changes, reason: parsed.data.reason?.trim() || null });
        const fresh = await context.resource.findOne(itemId, context);
        return {
          record: (fresh ?? context.record!).toJSON(context.currentAdmin),
          outcome,
          preview: await previewOptionChange(sequelize, itemId),
          notice: { message: `옵션을 변경했습니다 — ${summary(outcome)}`, type: 'success' },
        };
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        (response as Response).status(e.status);
        return { record: recordJson(context), type: e.type, errors: e.errors, notice: { message: e.errors.map((x) => x.detail).join(' / '), type: 'error' } };
      }
    }),
  };
}
