/**
 * Operator writes of the certificate set-up: events and document templates, validated like the catalogue
 * (field errors keyed by attribute).
 *
 * Templates: HTML with `{{ var }}` placeholders (the variables of TEMPLATE_VARIABLES); images only as data:
 * URLs; at most one active per type; a template that issued documents point to is read-only except for its
 * active flag (deactivate it and create a new one) — those documents render from it on every download.
 */
import { Op, type Sequelize } from 'sequelize';
import { DocumentTemplate, Event, IssuedDocument } from '../models/index.js';
import { CatalogMessages, Reader, type SaveResult } from './admin-catalog.js';
import { templateVariables } from '../domain/notification/template.js';
import { DocumentMessages, TEMPLATE_VARIABLES, isDocumentType, CERTIFICATE_TYPE } from '../domain/document/certificate.js';

type Input = Record<string, unknown>;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function calendarDay(r: Reader, key: string, input: Input, existing: Event | null): string | undefined {
  const raw = Object.prototype.hasOwnProperty.call(input, key) ? input[key] : existing?.get(key);
  const v = raw instanceof Date ? raw.toISOString().slice(0, 10) : String(raw ?? '').trim().slice(0, 10);
  if (!v) {
    r.errors[key] ??= CatalogMessages.REQUIRED;
    return undefined;
  }
  if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) {
    r.errors[key] ??= CatalogMessages.NOT_DATE;
    return undefined;
  }
  return v;
}

export async function saveEvent(sequelize: Sequelize, id: string | null, input: Input): Promise<SaveResult<Event>> {
  return sequelize.transaction(async (t) => {
    const existing = id ? await Event.findByPk(id, { transaction: t }) : null;
    if (id && !existing) return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
    const r = new Reader(input, existing?.get() ?? null);
    const values = {
      nameKo: r.text('nameKo', { required: true, max: 200 }),
      nameEn: r.text('nameEn', { max: 200 }),
      startDate: calendarDay(r, 'startDate', input, existing),
      endDate: calendarDay(r, 'endDate', input, existing),
    };
    if (values.startDate && values.endDate && values.endDate < values.startDate) r.errors.endDate = CatalogMessages.WINDOW_INVERTED;
    if (!r.ok) return { ok: false, errors: r.errors };
    const row = existing ? await existing.update(values, { transaction: t }) : await Event.create(values, { transaction: t });
    return { ok: true, row };
  });
}

/** Problems of a template body (unknown variables, unbalanced braces, non-data images, scripts). */
export function templateBodyErrors(body: string): string | null {
  if (!body.trim()) return CatalogMessages.REQUIRED;
  if ((body.match(/\{\{/g)?.length ?? 0) !== (body.match(/\}\}/g)?.length ?? 0)) return '{{ }} 괄호가 맞지 않습니다.';
  const unknown = templateVariables(body).filter((v) => !(TEMPLATE_VARIABLES as readonly string[]).includes(v));
  if (unknown.length) return `알 수 없는 변수: ${unknown.join(', ')} (사용 가능: ${TEMPLATE_VARIABLES.join(', ')})`;
  for (const m of body.matchAll(/<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    const src = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (!/^data:image\/(png|jpe?g);base64,/i.test(src) && !/^\{\{\s*qr_data_uri\s*\}\}$/.test(src)) {
      return '이미지는 data: URL(PNG/JPEG) 또는 {{ qr_data_uri }} 만 쓸 수 있습니다.';
    }
  }
  if (/<script\b/i.test(body)) return '<script> 는 쓸 수 없습니다.';
  return null;
}

export async function isTemplateUsed(id: string, t?: import('sequelize').Transaction): Promise<boolean> {
  return (await IssuedDocument.count({ where: { templateId: id }, paranoid: false, transaction: t })) > 0;
}

export async function saveDocumentTemplate(sequelize: Sequelize, id: string | null, input: Input): Promise<SaveResult<DocumentTemplate>> {
  return sequelize.transaction(async (t) => {
    const existing = id ? await DocumentTemplate.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE }) : null;
    if (id && !existing) return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
    const r = new Reader(input, existing?.get() ?? null);
    const values = {
      documentType: r.text('documentType') || CERTIFICATE_TYPE,
      name: r.text('name', { required: true, max: 200 }),
      body: String((Object.prototype.hasOwnProperty.call(input, 'body') ? input.body : existing?.body) ?? ''),
      isActive: r.bool('isActive'),
    };
    if (!isDocumentType(values.documentType)) r.errors.documentType = CatalogMessages.INVALID_ID;
    const bodyError = templateBodyErrors(values.body);
    if (bodyError) r.errors.body = bodyError;
    if (existing && (await isTemplateUsed(existing.id, t))) {
      const changed = (['documentType', 'name', 'body'] as const).filter((k) => values[k] !== existing.get(k));
      for (const k of changed) r.errors[k] = DocumentMessages.TEMPLATE_USED;
    }
    if (r.ok && values.isActive) {
      const clash = await DocumentTemplate.findOne({
        where: { documentType: values.documentType, isActive: true, ...(id ? { id: { [Op.ne]: id } } : {}) },
        transaction: t,
      });
      if (clash) r.errors.isActive = DocumentMessages.TEMPLATE_ACTIVE_EXISTS;
    }
    if (!r.ok) return { ok: false, errors: r.errors };
    const row = existing ? await existing.update(values, { transaction: t }) : await DocumentTemplate.create(values, { transaction: t });
    return { ok: true, row };
  });
}
