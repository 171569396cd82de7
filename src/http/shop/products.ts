import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../types.js';
import { ah, ApiError } from '../errors.js';
import { parse, uuidParam } from '../validate.js';
import { requestLang } from '../lang.js';
import { listProducts, getProduct } from '../../services/catalog.js';

export const ProductListQuery = z
  .object({
    category_group: z.string().max(100).optional(),
    category: z.string().max(100).optional(),
  })
  .loose();

export function productRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get(
    '/',
    ah(async (req, res) => {
      const q = parse(ProductListQuery, req.query);
      res.json(
        await listProducts(deps.sequelize, {
          lang: requestLang(req),
          now: new Date(),
          userId: req.user?.id ?? null,
          categoryGroup: q.category_group,
          category: q.category,
        }),
      );
    }),
  );
  r.get(
    '/:id/',
    ah(async (req, res) => {
      const id = uuidParam(req, 'id');
      const p = await getProduct(deps.sequelize, id, { lang: requestLang(req), now: new Date(), userId: req.user?.id ?? null });
      if (!p) throw ApiError.notFound('상품을 찾을 수 없습니다.');
      res.json(p);
    }),
  );
  return r;
}
