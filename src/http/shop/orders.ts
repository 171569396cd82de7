/**
 * Buyer endpoints under /v1/shop/orders (contract: retrieveCart … patchOrderOptions) and the public
 * patron list. Routes only translate HTTP ↔ service calls; every rule lives in the services/domain.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../types.js';
import { ah, ApiError } from '../errors.js';
import { parse, uuidParam } from '../validate.js';
import { requestLang } from '../lang.js';
import { addToCart, checkoutCart, checkoutSingle, getCart, removeFromCart, type CallContext, type ShopDeps } from '../../services/cart.js';
import { editItem, editItemAnswers, getOrder, listOrders, listPatrons } from '../../services/orders.js';
import { receiptPage } from '../../services/receipt.js';
import { PERSONAL_REVALIDATE } from '../cache-control.js';

export function shopDeps(deps: AppDeps): ShopDeps {
  return {
    sequelize: deps.sequelize,
    portone: deps.portone,
    secretKey: deps.config.secretKey,
    checkoutHoldMs: deps.config.checkoutHoldMs,
    backendDomain: deps.config.backendDomain,
    scancodeSalts: deps.config.scancodeSalts,
  };
}

/** The signed-in buyer's call context; writes without a session are 401 (spec: "로그인 후 이용해주세요."). */
function buyer(req: Request): CallContext {
  if (!req.user) throw ApiError.notAuthenticated();
  return { userId: req.user.id, lang: requestLang(req), now: new Date() };
}

export function orderRoutes(deps: AppDeps): Router {
  const shop = shopDeps(deps);
  const r = Router();

  r.get(
    '/cart/',
    ah(async (req, res) => {
      if (!req.user) return res.json({}); // anonymous: an empty cart, as the original answers
      res.json((await getCart(shop, buyer(req))) ?? {});
    }),
  );
  r.post(
    '/cart/products/',
    ah(async (req, res) => {
      res.status(201).json(await addToCart(shop, buyer(req), req.body));
    }),
  );
  r.delete(
    '/cart/products/:oprId/',
    ah(async (req, res) => {
      const c = buyer(req);
      res.json((await removeFromCart(shop, c, uuidParam(req, 'oprId'))) ?? {});
    }),
  );
  r.post(
    '/single/',
    ah(async (req, res) => {
      res.status(201).json(await checkoutSingle(shop, buyer(req), req.body));
    }),
  );
  r.get(
    '/',
    ah(async (req, res) => {
      if (!req.user) return res.json([]);
      // Express answers 304 itself when the list's ETag (a hash of the body) matches If-None-Match
      res.set('Cache-Control', PERSONAL_REVALIDATE).json(await listOrders(shop, buyer(req)));
    }),
  );
  r.post(
    '/',
    ah(async (req, res) => {
      res.status(201).json(await checkoutCart(shop, buyer(req), req.body));
    }),
  );
  r.get(
    '/:orderId/',
    ah(async (req, res) => {
      const c = buyer(req);
      res.json(await getOrder(shop, c, uuidParam(req, 'orderId')));
    }),
  );
  r.get(
    '/:orderId/receipt/',
    ah(async (req, res) => {
      const c = buyer(req);
      const page = await receiptPage({ portone: deps.portone, kcp: deps.config.kcp }, c.userId, uuidParam(req, 'orderId'));
      res.status(page.status).type('html').send(page.html);
    }),
  );
  r.patch(
    '/:orderId/products/:oprId/',
    ah(async (req, res) => {
      const c = buyer(req);
      await editItem(shop, c, uuidParam(req, 'orderId'), uuidParam(req, 'oprId'), req.body);
      res.status(204).end();
    }),
  );
  // the old client's call (deprecated, kept): answers only, answered with the whole order
  r.patch(
    '/:orderId/products/:oprId/options/',
    ah(async (req, res) => {
      const c = buyer(req);
      res.json(await editItemAnswers(shop, c, uuidParam(req, 'orderId'), uuidParam(req, 'oprId'), req.body));
    }),
  );
  return r;
}

const PatronQuery = z.object({ year: z.coerce.number().int().min(2000).max(9999).optional() }).loose();

export function patronRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get(
    '/',
    ah(async (req, res) => {
      const q = parse(PatronQuery, req.query);
      res.json(await listPatrons(deps.sequelize, q.year ?? null));
    }),
  );
  return r;
}
