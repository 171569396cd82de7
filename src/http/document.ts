/**
 * Participation certificates over HTTP:
 * - `POST /v1/shop/orders/{orderId}/products/{oprId}/certificate/` (buyer session; body ignored) → 200
 *   `{download_url}`; errors in the standard shape: 404 `not_found`, 410 `document_revoked`, 503
 *   `document_template_missing` (the original answered `{detail}`; we keep one error shape everywhere).
 * - `GET /v1/document/download/{id}/` (the order owner's session) → the PDF as an attachment
 *   `참가확인서_{number}.pdf` (RFC 5987 `filename*`, ASCII fallback); errors are HTML pages (404 / 410 / 503).
 * - `GET /v1/document/verify/{token}/` (public, no session) → the verification page, styled and headed like
 *   the QR pages (no-store, no-referrer, noindex, a CSP without scripts).
 */
import { Router, type Response } from 'express';
import type { AppDeps } from './types.js';
import { ah, ApiError } from './errors.js';
import { isUuid, uuidParam } from './validate.js';
import { escapeHtml as e } from '../domain/html.js';
import { DocumentMessages } from '../domain/document/certificate.js';
import { documentForDownload, documentForVerify, documentPdf, issueCertificate, verifyFields, type DocumentDeps } from '../services/certificates.js';
import { layout, send } from './shop/scancode.js';
import { logger } from '../logger.js';

export function documentDeps(deps: AppDeps): DocumentDeps {
  return { sequelize: deps.sequelize, backendDomain: deps.config.backendDomain, documentSalts: deps.config.documentSalts };
}

const TITLE = '참가확인서';

function errorPage(res: Response, status: number, message: string): void {
  send(res, status, layout(TITLE, `<section class="error" data-error="${status}">${e(message)}</section>`));
}

/** Mounted at /v1/shop/orders (after the session middleware). */
export function certificateIssueRoutes(deps: AppDeps): Router {
  const docs = documentDeps(deps);
  const r = Router();
  r.post(
    '/:orderId/products/:oprId/certificate/',
    ah(async (req, res) => {
      if (!req.user) throw ApiError.notAuthenticated();
      const { download_url } = await issueCertificate(docs, req.user.id, uuidParam(req, 'orderId'), uuidParam(req, 'oprId'));
      res.json({ download_url });
    }),
  );
  return r;
}

/** Mounted at /v1/document/verify before the session middleware: public, sets no cookie. */
export function documentVerifyRoutes(deps: AppDeps): Router {
  const docs = documentDeps(deps);
  const r = Router();
  r.get(
    '/:token/',
    ah(async (req, res) => {
      const found = await documentForVerify(docs, req.params.token);
      if (found.kind === 'error') return errorPage(res, found.status, found.message);
      const v = verifyFields(found.document);
      send(
        res,
        200,
        layout(
          `${TITLE} 진위 확인`,
          `<section class="card verified" data-document-number="${e(v.number)}">
<h2>유효한 문서입니다<span class="status used">확인됨</span></h2>
<dl>
<dt>문서 번호</dt><dd>${e(v.number)}</dd>
<dt>발급 일시</dt><dd>${e(v.issuedAt)} (KST)</dd>
${v.fields.map(([k, val]) => `<dt>${e(k)}</dt><dd>${e(val)}</dd>`).join('\n')}
</dl>
</section>`,
        ),
      );
    }),
  );
  return r;
}

/** Mounted at /v1/document/download after the session middleware. */
export function documentDownloadRoutes(deps: AppDeps): Router {
  const docs = documentDeps(deps);
  const r = Router();
  r.get(
    '/:id/',
    ah(async (req, res) => {
      const id = isUuid(req.params.id) ? req.params.id.toLowerCase() : null;
      const found = await documentForDownload(docs, req.user?.id ?? null, id);
      if (found.kind === 'error') return errorPage(res, found.status, found.message);
      let out: { pdf: Buffer; filename: string };
      try {
        out = await documentPdf(docs, found.document);
      } catch (err) {
        logger.error('document rendering failed', { documentId: found.document.id, error: String((err as Error)?.message ?? err) });
        return errorPage(res, 503, DocumentMessages.RENDER_FAILED);
      }
      res.status(200);
      res.attachment(out.filename); // Content-Disposition with an ASCII fallback and RFC 5987 filename*
      res.set({ 'Content-Type': 'application/pdf', 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(out.pdf);
    }),
  );
  return r;
}
