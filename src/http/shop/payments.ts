/**
 * PortOne's webhook `POST /v1/shop/payment-histories/` (no session, no CSRF; JSON or form body) and the
 * buyer's refunds `DELETE /v1/shop/orders/{id}/` and `DELETE /v1/shop/orders/{id}/products/{opr}/`.
 */
import { Router, type Request } from 'express';
import type { AppDeps } from '../types.js';
import { ah, ApiError } from '../errors.js';
import { uuidParam } from '../validate.js';
import { processWebhook } from '../../services/webhook.js';
import { refund } from '../../services/refund.js';
import { logger } from '../../logger.js';

function clientIp(req: Request): string {
  // Express's req.ip: with TRUST_PROXY, the right-most X-Forwarded-For entry that is not a trusted proxy
  const ip = req.ip ?? req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);

export function webhookRoutes(deps: AppDeps): Router {
  const r = Router();
  r.post(
    '/',
    ah(async (req, res) => {
      const ip = clientIp(req);
      const allowed = deps.config.portone.ipList.includes(ip) || (deps.config.portone.allowLoopback && LOOPBACK.has(ip));
      if (!allowed) {
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
