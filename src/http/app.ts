/**
 * The Express 4 application: public shop API under /v1/shop, health check, error shape.
 * (AdminJS, when mounted, must come before the body parsers: see STACK.md.)
 */
import express, { type Express } from 'express';
import compression from 'compression';
import type { AppDeps } from './types.js';
import { errorHandler, notFoundHandler, ah } from './errors.js';
import { productRoutes } from './shop/products.js';
import { createAuth } from './auth/index.js';
import { orderRoutes, patronRoutes } from './shop/orders.js';
import { scancodeRoutes } from './shop/scancode.js';
import { deskRoutes } from './desk/index.js';
import { certificateIssueRoutes, documentDownloadRoutes, documentVerifyRoutes } from './document.js';
import { registrationDeskRoutes, rosaDiscovery, REGISTRATION_DESK_BASE } from './desk/registration.js';
import { webhookRoutes, buyerRefundRoutes, webhookBodyErrors } from './shop/payments.js';
import { openApiDocument } from './contract/openapi.js';
import { rejectUnstorableValues } from './unstorable-values.js';
import { apiSecurityHeaders } from './security-headers.js';
import { enableQueryStats, queryStatsMiddleware } from '../db/query-stats.js';

const WEBHOOK_PATH = '/v1/shop/payment-histories';

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(apiSecurityHeaders({ production: deps.config.env === 'production' })); // nosniff, CSP, frame-ancestors, HSTS (production)
  app.set('trust proxy', deps.config.trustProxy);
  app.set('query parser', 'simple'); // no nested objects from query strings
  if (deps.config.queryStats) {
    // `npm run bench` only (QUERY_STATS=true): SQL statements per request
    enableQueryStats();
    app.use(queryStatsMiddleware);
  }

  // gzip / brotli for every answer over 1 KB the client accepts (the catalogue sends its own precompressed
  // bytes: src/http/encoded-body.ts; an answer that already has a Content-Encoding is left alone)
  app.use(compression());

  // --- auth, part 1: CORS first, so preflights and error answers carry its headers ---
  const auth = createAuth(deps);
  app.use(auth.cors);

  // --- admin panel: a slot before the body parsers; admin/index.ts mountAdmin() fills it ---
  const adminSlot = express.Router();
  app.locals.adminSlot = adminSlot;
  app.use('/admin', adminSlot);

  app.get(
    '/healthz',
    ah(async (_req, res) => {
      try {
        await deps.sequelize.query('SELECT 1');
        res.json({ status: 'ok', database: 'ok' });
      } catch {
        res.status(503).json({
          type: 'server_error',
          errors: [{ code: 'database_unavailable', detail: '데이터베이스에 연결할 수 없습니다.', attr: null }],
          status: 'degraded',
          database: 'unavailable',
        });
      }
    }),
  );

  // QR pages (§7.3): public HTML, no session/CSRF cookie, mounted before the order routes (not an order id)
  app.use('/v1/shop/orders/scancode', scancodeRoutes(deps));
  // certificate verification: public HTML like the QR pages, before the session middleware
  app.use('/v1/document/verify', documentVerifyRoutes(deps));

  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(WEBHOOK_PATH, webhookBodyErrors(deps)); // a refused webhook body is still recorded
  // NUL bytes, 1e400: a 400 here, not a 500 mid-transaction (the webhook records and escapes them itself)
  app.use(rejectUnstorableValues(undefined, [WEBHOOK_PATH]));

  // --- auth, part 2: after the body parsers (the CSRF form field), before every route:
  // cookies → session → passport (req.user) → API key (req.apiKey) → CSRF → actor (runAs); then the
  // sign-in endpoints. Buyer routes use requireUser / requireApiKey(scope) from ./auth/index.js.
  app.use(auth.middleware);
  app.use(auth.routes);
  // --- end auth ---

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.use('/v1/shop/products', productRoutes(deps));
  app.use('/v1/shop/orders', orderRoutes(deps));
  app.use('/v1/shop/orders', buyerRefundRoutes(deps));
  app.use('/v1/shop/orders', certificateIssueRoutes(deps));
  app.use('/v1/document/download', documentDownloadRoutes(deps));
  app.use(WEBHOOK_PATH, webhookRoutes(deps));
  app.use('/v1/shop/patron', patronRoutes(deps));
  app.use('/v1/internal-api/desk-support', deskRoutes(deps));
  app.use(REGISTRATION_DESK_BASE, registrationDeskRoutes(deps));
  app.get('/.well-known/rosa', rosaDiscovery(deps));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
