/**
 * Validated operator edits of the remaining editable rows: e-mail notification templates (spec §6.6:
 * `{{ var }}` placeholders, one active template per channel/code/language) and an order's customer info
 * (spec §6.1: the only writable part of an order). Field errors come back keyed by attribute.
 */
import { Op, type Sequelize } from 'sequelize';
import { CustomerInfo, NotificationTemplate, Order } from '../models/index.js';
import { validateCustomerInfo } from '../domain/cart/customer-info.js';
import { templateVariables } from '../domain/notification/template.js';

export type Saved<T> = { ok: true; row: T } | { ok: false; errors: Record<string, string> };
type Input = Record<string, unknown>;

const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

export async function saveNotificationTemplate(sequelize: Sequelize, id: string | null, input: Input): Promise<Saved<NotificationTemplate>> {
  return sequelize.transaction(async (t) => {
    const existing = id ? await NotificationTemplate.findByPk(id, { transaction: t }) : null;
    if (id && !existing) return { ok: false, errors: { id: '유효하지 않은 ID입니다.' } };
    const pick = (k: string) => (Object.prototype.hasOwnProperty.call(input, k) ? input[k] : existing?.get(k));
    const values = {
      channel: text(pick('channel') ?? 'email').trim() || 'email',
      code: text(pick('code')).trim(),
      language: text(pick('language') ?? 'ko').trim() || 'ko',
      name: text(pick('name')).trim(),
      subject: text(pick('subject')),
      body: text(pick('body')),
      providerTemplateCode: text(pick('providerTemplateCode')).trim() || null,
      bodyFormat: text(pick('bodyFormat') ?? 'text').trim() || 'text',
      active: pick('active') === undefined ? true : pick('active') === true || pick('active') === 'true',
    };
    const errors: Record<string, string> = {};
    if (!['email', 'kakao', 'sms'].includes(values.channel)) errors.channel = "지원하는 채널은 'email', 'kakao', 'sms' 입니다.";
    if (values.channel !== 'email') values.subject = ''; // Kakao / SMS have no subject
    if (values.channel === 'kakao' && !values.providerTemplateCode) errors.providerTemplateCode = '알림톡은 NHN Cloud에 승인된 템플릿 코드가 필요합니다.';
    if (values.bodyFormat !== 'text' && values.bodyFormat !== 'html') errors.bodyFormat = "본문 형식은 'text' 또는 'html' 입니다.";
    if (values.channel !== 'email') values.bodyFormat = 'text';
    if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(values.code)) errors.code = '코드는 영문 소문자, 숫자, _ . - 로 씁니다.';
    if (values.language !== 'ko' && values.language !== 'en') errors.language = "언어는 'ko' 또는 'en' 입니다.";
    if (values.channel === 'email' && !values.subject.trim()) errors.subject = '이 필드는 필수 항목입니다.';
    if (!values.body.trim()) errors.body = '이 필드는 필수 항목입니다.';
    if (/[\r\n]/.test(values.subject)) errors.subject ??= '제목은 한 줄이어야 합니다.';
    const unbalanced = (s: string) => (s.match(/\{\{/g)?.length ?? 0) !== (s.match(/\}\}/g)?.length ?? 0);
    if (unbalanced(values.subject)) errors.subject ??= '{{ }} 괄호가 맞지 않습니다.';
    if (unbalanced(values.body)) errors.body ??= '{{ }} 괄호가 맞지 않습니다.';
    if (!errors.code && values.active) {
      const clash = await NotificationTemplate.findOne({
        where: { channel: values.channel, code: values.code, language: values.language, active: true, ...(id ? { id: { [Op.ne]: id } } : {}) },
        transaction: t,
      });
      if (clash) errors.code = '같은 채널/코드/언어의 활성 템플릿이 이미 있습니다. 다른 쪽을 비활성화하세요.';
    }
    if (Object.keys(errors).length) return { ok: false, errors };
    const row = existing ? await existing.update(values, { transaction: t }) : await NotificationTemplate.create(values, { transaction: t });
    return { ok: true, row };
  });
}

/** The variables a template uses (shown in the panel next to the template). */
export function templateVariableList(t: Pick<NotificationTemplate, 'subject' | 'body'>): string[] {
  return templateVariables(t.subject, t.body);
}

/** Correct an order's customer info (same validation as checkout, spec §3.4). */
export async function saveCustomerInfo(sequelize: Sequelize, id: string | null, input: Input): Promise<Saved<CustomerInfo>> {
  return sequelize.transaction(async (t) => {
    const existing = id ? await CustomerInfo.findByPk(id, { transaction: t }) : null;
    if (id && !existing) return { ok: false, errors: { id: '유효하지 않은 ID입니다.' } };
    const pick = (k: string) => (Object.prototype.hasOwnProperty.call(input, k) ? input[k] : existing?.get(k));
    const v = validateCustomerInfo({ name: pick('name') ?? '', phone: pick('phone') ?? '', email: pick('email') ?? '', organization: pick('organization') ?? '' });
    const errors: Record<string, string> = {};
    for (const e of v.errors) errors[e.attr ?? 'name'] ??= e.detail;
    let orderId = existing?.orderId ?? null;
    if (!existing) {
      orderId = text(input.orderId) || null;
      if (!orderId || !(await Order.findByPk(orderId, { transaction: t }))) errors.orderId = '유효하지 않은 ID입니다.';
      else if (await CustomerInfo.findOne({ where: { orderId }, transaction: t })) errors.orderId = '이 주문에는 이미 고객 정보가 있습니다.';
    }
    if (Object.keys(errors).length || !v.value) return { ok: false, errors };
    const row = existing ? await existing.update(v.value, { transaction: t }) : await CustomerInfo.create({ orderId, ...v.value }, { transaction: t });
    return { ok: true, row };
  });
}
