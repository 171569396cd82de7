/**
 * PortOne's webhook `POST /v1/shop/payment-histories/` (no session, no CSRF; JSON or form body) and the
 * buyer's refunds `DELETE /v1/shop/orders/{id}/` and `DELETE /v1/shop/orders/{id}/products/{opr}/`.
 */
import { Router, type ErrorRequestHandler, type Request } from 'express';
import type { AppDeps } from '../types.js';
import { ah, ApiError } from '../errors.js';
import { uuidParam } from '../validate.js';
import { logEvent, processWebhook } from '../../services/webhook.js';
import { refund } from '../../services/refund.js';
import { logger } from '../../logger.js';

function clientIp(req: Request): string {
  // Express's req.ip: with TRUST_PROXY, the right-most X-Forwarded-For entry that is not a trusted proxy
  const ip = req.ip ?? req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);

const senderAllowed = (deps: AppDeps, ip: string) => deps.config.portone.ipList.includes(ip) || (deps.config.portone.allowLoopback && LOOPBACK.has(ip));

/**
 * Mounted on the webhook path right after the body parsers: a body they refused (bad JSON, a bare JSON
 * string, bad encoding, too large) never reaches the webhook route, so it is recorded here all the same
 * (what arrived, as text), then answered in the error shape by the error handler. (An error handler must be
 * a 4-argument function of its own: Express never runs a Router in error mode.)
 */
export function webhookBodyErrors(deps: AppDeps): ErrorRequestHandler {
  return (err, req, _res, next) => {
    const e = err as { type?: string; body?: unknown; status?: number } | null;
    if (req.method !== 'POST' || typeof e?.type !== 'string' || !(e.status && e.status >= 400 && e.status < 500)) return next(err);
    if (!senderAllowed(deps, clientIp(req))) return next(err);
    const raw = typeof e.body === 'string' ? e.body : null;
    const base = { impUid: null, merchantUid: null, payload: { unparsed_body: raw?.slice(0, 8000) ?? null, parse_error: e.type } };
    logEvent('webhook_received', base)
      .then(() => logEvent('payment_rejected', base, { reasonCode: 'unparsable_body', reason: e.type }))
      .then(() => next(err), next);
  };
}

export function webhookRoutes(deps: AppDeps): Router {
  const r = Router();
  r.post(
    '/',
    ah(async (req, res) => {
      const ip = clientIp(req);
      if (!senderAllowed(deps, ip)) {
        logger.warn('webhook from a sender not on PORTONE_IP_LIST', { ip });
        throw ApiError.client(403, 'permission_denied', '허용되지 않은 발신지입니다.');
      }
      const result = await processWebhook({ sequelize: deps.sequelize, portone: deps.portone, secretKey: deps.config.secretKey }, req.body);
      if (result.status !== 200) logger.warn('webhook rejected', { status: result.status, body: result.body });
      res.status(result.status).json(result.body);
    }),
  );
  return r;
}

export function buyerRefundRoutes(deps: AppDeps): Router {
  const r = Router();
  const refundDeps = { sequelize: deps.sequelize, portone: deps.portone, secretKey: deps.config.secretKey };
  const buyerId = (req: Request) => {
    if (!req.user) throw ApiError.notAuthenticated();
    return req.user.id;
  };
  r.delete(
    '/:orderId/',
    ah(async (req, res) => {
      const userId = buyerId(req);
      await refund(refundDeps, { orderId: uuidParam(req, 'orderId'), channel: 'buyer', buyerUserId: userId });
      res.status(204).end();
    }),
  );
  r.delete(
    '/:orderId/products/:oprId/',
    ah(async (req, res) => {
      const userId = buyerId(req);
      await refund(refundDeps, { orderId: uuidParam(req, 'orderId'), itemId: uuidParam(req, 'oprId'), channel: 'buyer', buyerUserId: userId });
      res.status(204).end();
    }),
  );
  return r;
}
