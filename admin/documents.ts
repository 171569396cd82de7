/**
 * The panel's certificate set-up (Certificates menu): events (a ticket category links to one), document
 * templates (HTML with `{{ var }}`, one active per type, read-only once used; *Preview* renders the PDF with
 * sample data) and issued documents (read-only list with filters; *PDF*; *Revoke* for managers — audited,
 * final). Every write goes through src/services/{admin-documents,certificates}.ts.
 */
import { type ActionContext, type ActionResponse, type ResourceWithOptions } from 'adminjs';
import type { Response } from 'express';
import { DocumentTemplate, Event, IssuedDocument } from '../src/models/index.js';
import type { AppDeps } from '../src/http/types.js';
import { saveDocumentTemplate, saveEvent } from '../src/services/admin-documents.js';
import { documentPdf, previewTemplatePdf, revokeDocument, type DocumentDeps } from '../src/services/certificates.js';
import { DOCUMENT_TYPES, TEMPLATE_VARIABLES } from '../src/domain/document/certificate.js';
import { adminOf, canWrite, isStaff, never } from './roles.js';
import {
  BASE_HIDDEN,
  asAdmin,
  hidden,
  historyAction,
  serviceWriteActions,
  noticeOf,
  readOnlyMeta,
  recordJson,
  type ActionDef,
  type Components,
} from './resources.js';

const NAV = { name: 'Certificates', icon: 'Award' };
const typeValues = Object.entries(DOCUMENT_TYPES).map(([value, t]) => ({ value, label: `${t.label} (${value})` }));

function sendPdf(response: unknown, pdf: Buffer, filename: string, inline: boolean): ActionResponse {
  const res = response as Response;
  res.status(200);
  res.attachment(filename);
  if (inline) res.setHeader('Content-Disposition', String(res.getHeader('Content-Disposition')).replace(/^attachment/, 'inline'));
  res.setHeader('Content-Type', 'application/pdf');
  res.setHeader('Cache-Control', 'no-store');
  res.end(pdf);
  return undefined as unknown as ActionResponse; // already answered
}

export function documentResources(deps: AppDeps, components: Components): ResourceWithOptions[] {
  const { sequelize } = deps;
  const docs: DocumentDeps = { sequelize, backendDomain: deps.config.backendDomain, documentSalts: deps.config.documentSalts };
  const readOnly = { new: { isAccessible: never }, edit: { isAccessible: never }, delete: { isAccessible: never }, bulkDelete: { isAccessible: never } };
  const base = {
    ...hidden(BASE_HIDDEN),
    id: { isVisible: { list: false, show: true, edit: false, filter: true } },
    createdAt: readOnlyMeta,
    updatedAt: readOnlyMeta,
  };

  const preview: ActionDef = {
    actionType: 'record',
    icon: 'Eye',
    isAccessible: isStaff,
    component: components.DocumentPreview,
    handler: async (request, response, context) => {
      const q = (request.query ?? {}) as Record<string, unknown>;
      const t = context.record!;
      if (q.format === 'pdf') {
        const pdf = await previewTemplatePdf(docs, String(t.param('body') ?? ''));
        return sendPdf(response, pdf, `preview_${t.id()}.pdf`, true);
      }
      const json = recordJson(context);
      return { record: { ...json, params: { ...json.params, variables: TEMPLATE_VARIABLES.join(', ') } } } as ActionResponse;
    },
  };

  const pdf: ActionDef = {
    actionType: 'record',
    icon: 'Download',
    isAccessible: isStaff,
    component: false,
    handler: async (request, response, context) => {
      const q = (request.query ?? {}) as Record<string, unknown>;
      const doc = await IssuedDocument.findByPk(String(context.record!.id()));
      if (!doc) return { record: recordJson(context), notice: { message: '문서를 찾을 수 없습니다.', type: 'error' } } as ActionResponse;
      if (q.format !== 'pdf') {
        return { record: recordJson(context), redirectUrl: `/admin/api/resources/issued_documents/records/${doc.id}/pdf?format=pdf` } as ActionResponse;
      }
      const out = await documentPdf(docs, doc);
      return sendPdf(response, out.pdf, out.filename, false);
    },
  };

  const revoke: ActionDef = {
    actionType: 'record',
    icon: 'Slash',
    isAccessible: canWrite,
    isVisible: (ctx: ActionContext) => canWrite(ctx) && !ctx.record?.param('revokedAt'),
    guard: '이 문서를 반려(취소)합니다. 되돌릴 수 없고, 다시 발급할 수 없습니다. 계속할까요?',
    component: false,
    handler: asAdmin(async (request, _res, context) => {
      try {
        const p = (request.payload ?? {}) as Record<string, unknown>;
        await revokeDocument(sequelize, String(context.record!.id()), { userId: adminOf(context)?.userId ?? null, reason: typeof p.reason === 'string' ? p.reason : null });
        const fresh = await context.resource.findOne(String(context.record!.id()), context);
        return { record: (fresh ?? context.record!).toJSON(context.currentAdmin), notice: { message: '문서를 반려했습니다.', type: 'success' } } as ActionResponse;
      } catch (e) {
        return { record: recordJson(context), notice: noticeOf(e) } as ActionResponse;
      }
    }),
  };

  return [
    {
      resource: Event,
      options: {
        navigation: NAV,
        sort: { sortBy: 'startDate', direction: 'desc' },
        listProperties: ['nameKo', 'nameEn', 'startDate', 'endDate'],
        properties: { ...base, nameKo: { isTitle: true, isRequired: true }, startDate: { type: 'date', isRequired: true }, endDate: { type: 'date', isRequired: true } },
        actions: serviceWriteActions('events', (id, p) => saveEvent(sequelize, id, p), components),
      },
    },
    {
      resource: DocumentTemplate,
      options: {
        navigation: NAV,
        sort: { sortBy: 'updatedAt', direction: 'desc' },
        listProperties: ['name', 'documentType', 'isActive', 'updatedAt'],
        properties: {
          ...base,
          name: { isTitle: true, isRequired: true },
          body: { type: 'textarea', props: { rows: 24 }, isVisible: { list: false, show: true, edit: true, filter: false } },
          documentType: { availableValues: typeValues },
        },
        actions: { ...serviceWriteActions('document_templates', (id, p) => saveDocumentTemplate(sequelize, id, p), components), preview },
      },
    },
    {
      resource: IssuedDocument,
      options: {
        navigation: NAV,
        sort: { sortBy: 'createdAt', direction: 'desc' },
        listProperties: ['documentNumber', 'documentType', 'templateId', 'isRevoked', 'createdAt', 'revokedAt'],
        filterProperties: ['documentNumber', 'documentType', 'templateId', 'isRevoked', 'createdAt', 'revokedAt', 'orderProductRelationId'],
        properties: {
          ...base,
          createdAt: { isVisible: { list: true, show: true, edit: false, filter: true } },
          documentNumber: { isTitle: true },
          documentType: { availableValues: typeValues },
          templateId: { reference: 'document_templates' },
          orderProductRelationId: { reference: 'order_product_relations' },
          revokedById: { reference: 'users' },
          context: { type: 'mixed' },
        },
        actions: { ...readOnly, pdf, revoke, history: historyAction(components) },
      },
    },
  ];
}
