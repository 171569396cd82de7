/**
 * `/v1/internal-api/registration-desk/` — today's registration-desk client (after-pr43 §6), over the same
 * desk service as the API-key desk (src/services/desk.ts). Authentication is a signed-in **staff session**
 * (sign in with the allauth-shaped `POST /authn/social/browser/v1/auth/login`; unsafe calls carry the CSRF
 * header): staff with the `manager` role or superusers; others 403. Discovery document: `GET /.well-known/rosa`.
 *
 * Writes (check-in / undo, answers) and refunds are allowed only for items of the categories of today's desk
 * configuration (Asia/Seoul date): no configuration today → 403 "오늘 적용되는 등록 데스크 설정이 없습니다.",
 * another category → 403 "오늘 등록 데스크 설정의 대상 카테고리가 아닙니다.". Reads are not limited.
 *
 * Decision: refunds need the authorizer's TOTP (`otp` + `authorizer`, as the API-key desk) although the
 * original dropped TOTP for its desk: a stolen or unattended desk session must not be able to return money.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { AppDeps } from '../types.js';
import { ah, ApiError } from '../errors.js';
import { uuidParam } from '../validate.js';
import { requestLang } from '../lang.js';
import { deskDeps } from './index.js';
import { User, Category, CategoryGroup, OrderProductRelation, type RegistrationDeskConfig } from '../../models/index.js';
import { deskOrderProduct, deskRefund, deskSearch, deskUpdateOrder, parseDeskFilters, type DeskCall } from '../../services/desk.js';
import { DeskConfigMessages, deskStatistics, todaysDeskConfig } from '../../services/desk-config.js';
import { seoulDate } from '../../domain/desk/day.js';
import { ServiceError } from '../../services/errors.js';
import { AUTH_BASE } from '../auth/routes.js';

export const REGISTRATION_DESK_BASE = '/v1/internal-api/registration-desk';
const SEARCH_KEYS = ['keywords', 'order_id', 'order_product_relation_id', 'user_unique_id'] as const;

interface DeskStaff {
  id: number;
  email: string;
  username: string;
  is_superuser: boolean;
  admin_role: string | null;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      deskStaff?: DeskStaff;
    }
  }
}

/** A signed-in session (no API key) of an active staff member who may write (manager or superuser). */
const requireDeskStaff: RequestHandler = ah(async (req, _res, next) => {
  if (!req.user || req.apiKey) throw ApiError.notAuthenticated();
  const u = await User.findByPk(req.user.id, { attributes: ['id', 'email', 'username', 'isActive', 'isStaff', 'isSuperuser', 'adminRole'] });
  if (!u || !u.isActive || !u.isStaff || !(u.isSuperuser || u.adminRole === 'manager')) {
    throw ApiError.client(403, 'permission_denied', '등록 데스크 권한이 없습니다.');
  }
  req.deskStaff = { id: u.id, email: u.email, username: u.username, is_superuser: u.isSuperuser, admin_role: u.adminRole };
  next();
});

function configDto(c: RegistrationDeskConfig, categories: Array<{ id: string; name: string; group: string | null }>) {
  return { id: c.id, name: c.name, event: { name: c.eventName }, start_date: c.startDate, end_date: c.endDate, categories };
}

async function categoriesOf(c: RegistrationDeskConfig) {
  const rows = await Category.findAll({ where: { id: c.categoryIds }, paranoid: false, include: [{ model: CategoryGroup, as: 'group', paranoid: false }] });
  return rows.map((r) => ({ id: r.id, name: r.name, group: (r as Category & { group?: CategoryGroup }).group?.name ?? null }));
}

export function registrationDeskRoutes(deps: AppDeps): Router {
  const desk = deskDeps(deps);
  const r = Router();
  r.use(requireDeskStaff);

  const call = (req: Request, config?: RegistrationDeskConfig | null): DeskCall => ({
    keyName: req.deskStaff!.email || `user:${req.deskStaff!.id}`,
    lang: requestLang(req),
    now: new Date(),
    ...(config ? { scope: { categoryIds: config.categoryIds } } : {}),
  });
  /** Today's configuration, or 403 (writes, refunds, statistics). */
  const today = async (): Promise<RegistrationDeskConfig> => {
    const c = await todaysDeskConfig(new Date());
    if (!c) throw ServiceError.client(403, 'permission_denied', DeskConfigMessages.NO_CONFIG_TODAY);
    return c;
  };

  r.get(
    '/session/',
    ah(async (req, res) => {
      const c = await todaysDeskConfig(new Date());
      res.json({ user: req.deskStaff, today: seoulDate(new Date()), configuration: c ? configDto(c, await categoriesOf(c)) : null });
    }),
  );
  r.get(
    '/configuration/',
    ah(async (_req, res) => {
      const c = await today();
      res.json(configDto(c, await categoriesOf(c)));
    }),
  );
  r.get(
    '/statistics/',
    ah(async (_req, res) => {
      res.json(await deskStatistics(deps.sequelize, await today()));
    }),
  );
  r.get(
    '/orders/',
    ah(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      if (!SEARCH_KEYS.some((k) => typeof q[k] === 'string' && (q[k] as string).trim() !== '')) {
        throw ServiceError.validation([{ code: 'required', detail: `${SEARCH_KEYS.join(', ')} 중 하나가 필요합니다.`, attr: 'non_field_errors' }]);
      }
      res.json(await deskSearch(desk, call(req), parseDeskFilters(q)));
    }),
  );
  r.patch(
    '/orders/:orderId/',
    ah(async (req, res) => {
      const orderId = uuidParam(req, 'orderId');
      res.json(await deskUpdateOrder(desk, call(req, await today()), orderId, req.body));
    }),
  );
  const refundInput = (req: Request) => {
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const q = req.query as Record<string, unknown>;
    return { otp: body.otp ?? q.otp, authorizer: body.authorizer ?? q.authorizer, reason: body.reason ?? q.reason };
  };
  r.delete(
    '/orders/:orderId/refund/',
    ah(async (req, res) => {
      const orderId = uuidParam(req, 'orderId');
      await deskRefund(desk, orderId, refundInput(req), { call: call(req, await today()) });
      res.status(204).end();
    }),
  );
  r.get(
    '/order-products/',
    ah(async (req, res) => {
      res.json(await deskOrderProduct(desk, call(req), req.query as Record<string, unknown>));
    }),
  );
  r.delete(
    '/order-products/:oprId/refund/',
    ah(async (req, res) => {
      const oprId = uuidParam(req, 'oprId');
      const opr = await OrderProductRelation.findByPk(oprId, { attributes: ['id', 'orderId'] });
      if (!opr?.orderId) throw ServiceError.notFound('주문 상품을 찾을 수 없습니다.');
      await deskRefund(desk, opr.orderId, refundInput(req), { itemId: opr.id, call: call(req, await today()) });
      res.status(204).end();
    }),
  );
  return r;
}

/**
 * `GET /.well-known/rosa` — how the desk client finds this server: the API base, the session sign-in
 * (allauth headless browser endpoints), the CSRF cookie / header, and the endpoint list. Public, no secrets.
 */
export function rosaDiscovery(deps: AppDeps): RequestHandler {
  return (_req, res) => {
    const base = deps.config.backendDomain;
    res.set('cache-control', 'public, max-age=300').json({
      service: 'registration-desk',
      version: 1,
      api_base: `${base}${REGISTRATION_DESK_BASE}/`,
      auth: {
        type: 'session',
        flavor: 'allauth-headless-browser',
        session: `${base}${AUTH_BASE}/session`,
        login: `${base}${AUTH_BASE}/login`,
        logout: `${base}${AUTH_BASE}/session`,
        csrf_cookie_name: deps.config.auth.csrfCookieName,
        csrf_header_name: 'X-CSRFToken',
      },
      endpoints: {
        session: 'GET session/',
        configuration: 'GET configuration/',
        statistics: 'GET statistics/',
        orders: 'GET orders/?keywords=|order_id=|order_product_relation_id=|user_unique_id=',
        order_update: 'PATCH orders/{order_id}/',
        order_refund: 'DELETE orders/{order_id}/refund/?otp=&authorizer=',
        order_product: 'GET order-products/?scancode=<opr token>|order_product_relation_id=',
        order_product_refund: 'DELETE order-products/{order_product_relation_id}/refund/?otp=&authorizer=',
      },
      refund_authorization: 'totp',
    });
  };
}
