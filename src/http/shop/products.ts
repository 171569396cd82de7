import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../types.js';
import { ah, ApiError } from '../errors.js';
import { parse, uuidParam } from '../validate.js';
import { requestLang } from '../lang.js';
import { listProducts, getProduct } from '../../services/catalog.js';
import { catalogCache } from '../../services/catalog-cache.js';
import { sendEncodedJson } from '../encoded-body.js';
import { PERSONAL_REVALIDATE } from '../cache-control.js';

export const ProductListQuery = z
  .object({
    category_group: z.string().max(100).optional(),
    category: z.string().max(100).optional(),
  })
  .loose();

export function productRoutes(deps: AppDeps): Router {
  const r = Router();
  // CATALOG_CACHE_MS > 0: rows, sold counts and each buyer's own counts cached, invalidated by writes
  // (src/services/catalog-cache.ts): a warm signed-in request's only statement is the session check
  const ttl = deps.config.catalogCacheMs;
  const cache = ttl > 0 ? catalogCache(deps.sequelize) : null;
  r.get(
    '/',
    ah(async (req, res) => {
      const q = parse(ProductListQuery, req.query);
      const query = { lang: requestLang(req), now: new Date(), userId: req.user?.id ?? null, categoryGroup: q.category_group, category: q.category };
      if (!cache) return res.set('Cache-Control', PERSONAL_REVALIDATE).json(await listProducts(deps.sequelize, query));
      // serialized once per change; a signed-in buyer's answer differs only in the products they have counts on
      const body = query.userId ? await cache.signedInJson({ ...query, userId: query.userId }, ttl) : await cache.anonymousJson(query, ttl);
      // compressed once per body (not per request), 304 when the client's ETag still matches
      res.set('Cache-Control', PERSONAL_REVALIDATE);
      await sendEncodedJson(req, res, body);
    }),
  );
  r.get(
    '/:id/',
    ah(async (req, res) => {
      const id = uuidParam(req, 'id');
      const query = { lang: requestLang(req), now: new Date(), userId: req.user?.id ?? null };
      const p = cache ? ((await cache.list({ ...query, productId: id }, ttl))[0] ?? null) : await getProduct(deps.sequelize, id, query);
      if (!p) throw ApiError.notFound('상품을 찾을 수 없습니다.');
      res.json(p);
    }),
  );
  return r;
}
