/**
 * Participation certificates (참가확인서): issue, download, verify, revoke, and the certificate status of
 * order items. The rules are in src/domain/document/certificate.ts; this file holds the transactions,
 * the row lock and the rendering.
 *
 * - An item can get a certificate when it is checked in (`used`), its category is a ticket category and the
 *   category is linked to a live event ("valid").
 * - Issue: under the item's row lock (SELECT … FOR UPDATE) the live document is returned or one is created,
 *   so concurrent calls issue one; the partial unique index on issued_documents is the backstop. The
 *   context (holder: the item's ticket info, else the order's customer info; event name/dates) is frozen.
 * - The PDF is rendered on every download from the template the document was issued with (not stored).
 * - Revocation is final (no re-issue, as the original) and audited (the model's audit hooks, with the actor).
 */
import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { DocumentTemplate, IssuedDocument } from '../models/index.js';
import {
  CERTIFICATE_TYPE,
  DOCUMENT_TYPES,
  DocumentMessages,
  SAMPLE_CONTEXT,
  documentFilename,
  documentNumber,
  downloadUrl,
  eventDateText,
  isCertificateValid,
  issuedAtMinute,
  issuedAtText,
  signDocumentToken,
  verifyDocumentToken,
  verifyUrl,
  type CertificateContext,
  type CertificateRenderContext,
} from '../domain/document/certificate.js';
import { renderTemplate } from '../domain/notification/template.js';
import { ServiceError } from './errors.js';
import { DOCUMENT_QR_OPTIONS, qrDataUrl } from './qr.js';
import { logger } from '../logger.js';

export interface DocumentDeps {
  sequelize: Sequelize;
  backendDomain: string;
  documentSalts: readonly string[];
}

interface ItemFactsRow {
  id: string;
  order_id: string | null;
  user_id: number | null;
  status: string;
  is_ticket: boolean;
  has_event: boolean;
}

/** The facts that decide whether items are "valid" for a certificate (owner included). */
async function itemFacts(sequelize: Sequelize, oprIds: string[], t?: Transaction, lock = false): Promise<Map<string, ItemFactsRow>> {
  if (oprIds.length === 0) return new Map();
  const rows = await sequelize.query<ItemFactsRow>(
    `SELECT opr.id, opr.order_id, o.user_id, opr.status, coalesce(c.is_ticket, false) AS is_ticket,
            (e.id IS NOT NULL) AS has_event
       FROM order_product_relations opr
       JOIN orders o ON o.id = opr.order_id AND o.deleted_at IS NULL
       JOIN products p ON p.id = opr.product_id
       JOIN categories c ON c.id = p.category_id
       LEFT JOIN events e ON e.id = c.event_id AND e.deleted_at IS NULL
      WHERE opr.id IN (:ids) AND opr.deleted_at IS NULL
      ${lock ? 'FOR UPDATE OF opr' : ''}`,
    { type: QueryTypes.SELECT, replacements: { ids: oprIds }, transaction: t },
  );
  return new Map(rows.map((r) => [r.id, r]));
}

const valid = (f: ItemFactsRow | undefined): boolean =>
  !!f && isCertificateValid({ itemStatus: f.status, isTicket: f.is_ticket, hasEvent: f.has_event });

/** The snapshot frozen at issue time: the item's holder (ticket info, else the order's customer info) and event. */
async function snapshot(sequelize: Sequelize, oprId: string, t: Transaction): Promise<CertificateContext> {
  const [row] = await sequelize.query<{
    name: string | null; organization: string | null; email: string | null;
    event_name: string; event_name_en: string; start_date: string; end_date: string;
  }>(
    `SELECT coalesce(ti.name, ci.name) AS name,
            CASE WHEN ti.id IS NOT NULL THEN ti.organization ELSE ci.organization END AS organization,
            coalesce(ti.email, ci.email) AS email,
            e.name_ko AS event_name, e.name_en AS event_name_en,
            to_char(e.start_date, 'YYYY-MM-DD') AS start_date, to_char(e.end_date, 'YYYY-MM-DD') AS end_date
       FROM order_product_relations opr
       JOIN products p ON p.id = opr.product_id
       JOIN categories c ON c.id = p.category_id
       JOIN events e ON e.id = c.event_id
       LEFT JOIN ticket_infos ti ON ti.order_product_relation_id = opr.id AND ti.deleted_at IS NULL
       LEFT JOIN customer_infos ci ON ci.order_id = opr.order_id AND ci.deleted_at IS NULL
      WHERE opr.id = :oprId`,
    { type: QueryTypes.SELECT, replacements: { oprId }, transaction: t },
  );
  if (!row) throw ServiceError.notFound(DocumentMessages.NOT_ISSUABLE);
  return {
    event_name: row.event_name,
    event_name_en: row.event_name_en,
    event_date: eventDateText(row.start_date, row.end_date),
    participant_name: row.name ?? '',
    organization: row.organization ?? '',
    email: row.email ?? '',
  };
}

/**
 * `POST v1/shop/orders/{orderId}/products/{oprId}/certificate/`: the live document of the buyer's item, or a
 * new one. 404 not the buyer's / not valid; 410 revoked; 503 no active template. Concurrent calls for one
 * item serialize on the item's row lock and return the same document.
 */
export async function issueCertificate(
  deps: DocumentDeps,
  userId: number,
  orderId: string,
  oprId: string,
  now = new Date(),
): Promise<{ download_url: string; document: IssuedDocument }> {
  const document = await deps.sequelize.transaction(async (t) => {
    const facts = (await itemFacts(deps.sequelize, [oprId], t, true)).get(oprId);
    if (!facts || facts.order_id !== orderId || facts.user_id !== userId || !valid(facts)) {
      throw ServiceError.notFound(DocumentMessages.NOT_ISSUABLE);
    }
    const existing = await IssuedDocument.findOne({ where: { orderProductRelationId: oprId }, transaction: t });
    if (existing?.revokedAt) throw ServiceError.client(410, 'document_revoked', DocumentMessages.ISSUE_REVOKED);
    if (existing) return existing;
    const template = await DocumentTemplate.findOne({ where: { documentType: CERTIFICATE_TYPE, isActive: true }, transaction: t });
    if (!template) throw ServiceError.server(503, 'document_template_missing', DocumentMessages.NO_TEMPLATE);
    const id = randomUUID();
    return IssuedDocument.create(
      {
        id,
        documentType: CERTIFICATE_TYPE,
        documentNumber: documentNumber(CERTIFICATE_TYPE, id, now),
        templateId: template.id,
        orderProductRelationId: oprId,
        context: await snapshot(deps.sequelize, oprId, t),
        createdAt: now,
      },
      { transaction: t },
    );
  });
  return { download_url: downloadUrl(deps.backendDomain, document.id), document };
}

/** What the download and verify pages answer: a status and a message, or the document. */
export type DocumentLookup =
  | { kind: 'error'; status: 400 | 404 | 410; message: string }
  | { kind: 'document'; document: IssuedDocument };

const fail = (status: 400 | 404 | 410, message: string): DocumentLookup => ({ kind: 'error', status, message });

/**
 * The document for `GET v1/document/download/{id}/`: only the order owner's session; 404 unknown / not theirs
 * (no difference, so the link reveals nothing), 410 revoked or the item no longer valid (refunded, check-in
 * undone).
 */
export async function documentForDownload(deps: DocumentDeps, userId: number | null, id: string | null): Promise<DocumentLookup> {
  if (userId === null || id === null) return fail(404, DocumentMessages.NOT_FOUND);
  const doc = await IssuedDocument.findByPk(id);
  if (!doc) return fail(404, DocumentMessages.NOT_FOUND);
  const facts = (await itemFacts(deps.sequelize, [doc.orderProductRelationId])).get(doc.orderProductRelationId);
  if (!facts || facts.user_id !== userId) return fail(404, DocumentMessages.NOT_FOUND);
  if (doc.revokedAt) return fail(410, DocumentMessages.REVOKED);
  if (!valid(facts)) return fail(410, DocumentMessages.NOT_VALID);
  return { kind: 'document', document: doc };
}

/** `GET v1/document/verify/{token}/` (public): 404 unknown token, 410 revoked, 400 item no longer valid. */
export async function documentForVerify(deps: DocumentDeps, token: unknown): Promise<DocumentLookup> {
  const id = verifyDocumentToken(token, deps.documentSalts);
  if (id === null) return fail(404, DocumentMessages.NOT_FOUND);
  const doc = await IssuedDocument.findByPk(id);
  if (!doc) return fail(404, DocumentMessages.NOT_FOUND);
  if (doc.revokedAt) return fail(410, DocumentMessages.REVOKED);
  const facts = (await itemFacts(deps.sequelize, [doc.orderProductRelationId])).get(doc.orderProductRelationId);
  if (!valid(facts)) return fail(400, DocumentMessages.NOT_VALID);
  return { kind: 'document', document: doc };
}

/** The fields the verify page shows (from the frozen snapshot). */
export function verifyFields(doc: IssuedDocument): { number: string; issuedAt: string; fields: Array<[string, string]> } {
  const c = doc.context;
  return {
    number: doc.documentNumber,
    issuedAt: issuedAtMinute(doc.createdAt),
    fields: [
      ['참가자명', c.participant_name],
      ['소속', c.organization || '-'],
      ['이메일', c.email],
      ['행사명', c.event_name],
      ['행사 일시', c.event_date],
    ],
  };
}

async function renderContext(deps: DocumentDeps, base: CertificateContext, id: string, number: string, issuedAt: Date): Promise<CertificateRenderContext> {
  const url = verifyUrl(deps.backendDomain, signDocumentToken(id, deps.documentSalts));
  return { ...base, document_number: number, issued_at: issuedAtText(issuedAt), verify_url: url, qr_data_uri: await qrDataUrl(url, DOCUMENT_QR_OPTIONS) };
}

/** Render an HTML template body with a context (values HTML-escaped) to PDF bytes. */
export async function renderDocumentPdf(body: string, context: CertificateRenderContext, title: string): Promise<Buffer> {
  // loaded on first use: the PDF stack (pdfmake, pdfkit, fontkit, linkedom) stays out of every start-up
  const { renderHtmlToPdf } = await import('./pdf.js');
  return renderHtmlToPdf(renderTemplate(body, { ...context }, { html: true }), { title });
}

/** The PDF of an issued document, rendered now from the template it was issued with, and its file name. */
export async function documentPdf(deps: DocumentDeps, doc: IssuedDocument): Promise<{ pdf: Buffer; filename: string }> {
  const template = await DocumentTemplate.findByPk(doc.templateId, { paranoid: false });
  if (!template) throw new Error(`issued document ${doc.id}: template ${doc.templateId} is missing`);
  const ctx = await renderContext(deps, doc.context, doc.id, doc.documentNumber, doc.createdAt);
  const pdf = await renderDocumentPdf(template.body, ctx, `${DOCUMENT_TYPES[doc.documentType].label} ${doc.documentNumber}`);
  return { pdf, filename: documentFilename(doc.documentType, doc.documentNumber) };
}

/** The panel's template preview: the body rendered with sample data. */
export async function previewTemplatePdf(deps: DocumentDeps, body: string, now = new Date()): Promise<Buffer> {
  const id = '00000000-0000-4000-8000-000000000000';
  const ctx = await renderContext(deps, SAMPLE_CONTEXT, id, documentNumber(CERTIFICATE_TYPE, id, now), now);
  return renderDocumentPdf(body, ctx, `${DOCUMENT_TYPES[CERTIFICATE_TYPE].label} (미리보기)`);
}

/**
 * Revoke a document (panel; managers). Idempotent: revoking a revoked document changes nothing. The row is
 * locked, so a concurrent download sees it before or after, never half; the audit row names the actor.
 */
export async function revokeDocument(sequelize: Sequelize, id: string, by: { userId: number | null; reason?: string | null }, now = new Date()): Promise<IssuedDocument> {
  return sequelize.transaction(async (t) => {
    const doc = await IssuedDocument.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!doc) throw ServiceError.notFound(DocumentMessages.NOT_FOUND);
    if (doc.revokedAt) return doc;
    const reason = (by.reason ?? '').trim() || null;
    await doc.update({ revokedAt: now, revokedById: by.userId, revokeReason: reason }, { transaction: t });
    logger.info('document revoked', { documentId: doc.id, documentNumber: doc.documentNumber, by: by.userId });
    return doc;
  });
}
