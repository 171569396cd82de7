/**
 * `/v1/internal-api/desk-support/` — the registration-desk API (spec §8.2) for API keys with the `desk`
 * scope (`x-api-key` + `x-api-secret`; no key → 401, a key without the scope → 403). The request's actor
 * (`api_key:<name>`, set by the auth middleware) is what the audit log records; `used_by` of a check-in is
 * the key's name. `DELETE /{order_id}/?otp=…&authorizer=…` is the full refund through the one refund service.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { AppDeps } from '../types.js';
import { ah, ApiError } from '../errors.js';
import { uuidParam } from '../validate.js';
import { requestLang } from '../lang.js';
import { requireApiKey } from '../auth/index.js';
import { deskRefund, deskSearch, deskUpdateOrder, parseDeskFilters, type DeskCall, type DeskDeps } from '../../services/desk.js';

export const DESK_SCOPE = 'desk';

export function deskDeps(deps: AppDeps): DeskDeps {
  return {
    sequelize: deps.sequelize,
    backendDomain: deps.config.backendDomain,
    scancodeSalts: deps.config.scancodeSalts,
    refund: { sequelize: deps.sequelize, portone: deps.portone, secretKey: deps.config.secretKey },
  };
}

function deskCall(req: Request): DeskCall {
  if (!req.apiKey) throw ApiError.notAuthenticated();
  return { keyName: req.apiKey.name, lang: requestLang(req), now: new Date() };
}

/** The desk router; `guard` defaults to `requireApiKey('desk')` (tests may pass another). */
export function deskRoutes(deps: AppDeps, guard: RequestHandler = requireApiKey(DESK_SCOPE)): Router {
  const desk = deskDeps(deps);
  const r = Router();
  r.use(guard);
  r.get(
    '/',
    ah(async (req, res) => {
      const call = deskCall(req);
      res.json(await deskSearch(desk, call, parseDeskFilters(req.query as Record<string, unknown>)));
    }),
  );
  r.patch(
    '/:orderId/',
    ah(async (req, res) => {
      const call = deskCall(req);
      res.json(await deskUpdateOrder(desk, call, uuidParam(req, 'orderId'), req.body));
    }),
  );
  r.delete(
    '/:orderId/',
    ah(async (req, res) => {
      deskCall(req);
      // query string (the spec's `?otp=`) or a JSON body; the body wins when both are given
      const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const q = req.query as Record<string, unknown>;
      await deskRefund(desk, uuidParam(req, 'orderId'), {
        otp: body.otp ?? q.otp,
        authorizer: body.authorizer ?? q.authorizer,
        reason: body.reason ?? q.reason,
      });
      res.status(204).end();
    }),
  );
  return r;
}
