/**
 * The panel's check-in page (handler): categories, live counts, search, check-in / undo. Reading is for
 * all staff; check-in and undo are writes (managers), done as the signed-in staff member (audit actor;
 * `used_by` records their e-mail as the registration desk records its key's name).
 */
import type { AppDeps } from '../src/http/types.js';
import { runAs } from '../src/context.js';
import { ServiceError } from '../src/services/errors.js';
import { checkinCategories, checkinCounts, checkinSearch, checkinSet } from '../src/services/checkin.js';
import type { DeskCall, DeskDeps } from '../src/services/desk.js';
import { seoulDay } from '../src/domain/admin/format.js';
import { adminOf, canWrite } from './roles.js';

type Ctx = { currentAdmin?: unknown };

export function checkinHandler(deps: AppDeps) {
  const desk: DeskDeps = {
    sequelize: deps.sequelize,
    backendDomain: deps.config.backendDomain,
    scancodeSalts: deps.config.scancodeSalts,
    refund: { sequelize: deps.sequelize, portone: deps.portone, secretKey: deps.config.secretKey },
  };
  return async (request: { method?: string; payload?: Record<string, unknown> }, _response: unknown, context: Ctx) => {
    const a = adminOf(context);
    if (!a) return { error: 'forbidden' };
    const now = new Date();
    const call: DeskCall = { keyName: a.email, lang: 'ko', now };
    const p = (request.method === 'post' ? request.payload : undefined) ?? {};
    const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : '');
    const day = str('day') || seoulDay(now);
    return runAs({ userId: a.userId, label: `user:${a.userId}` }, async () => {
      try {
        const base = { today: seoulDay(now), day, canWrite: canWrite(context) };
        if (request.method !== 'post') return { ...base, categories: await checkinCategories() };
        const categoryId = str('categoryId');
        if (str('step') === 'search') {
          return { ...base, counts: categoryId ? await checkinCounts(deps.sequelize, categoryId, day) : null, rows: await checkinSearch(desk, call, str('q')) };
        }
        if (str('step') === 'checkin' || str('step') === 'undo') {
          if (!canWrite(context)) return { ...base, notice: { message: '체크인은 매니저만 할 수 있습니다.', type: 'error' } };
          const row = await checkinSet(desk, call, str('orderId'), str('itemId'), str('step') === 'checkin');
          const notice = row.notices[0]?.detail ?? (str('step') === 'checkin' ? '체크인했습니다.' : '체크인을 취소했습니다.');
          return { ...base, row, counts: categoryId ? await checkinCounts(deps.sequelize, categoryId, day) : null, notice: { message: notice, type: row.notices.length ? 'info' : 'success' } };
        }
        return { ...base, counts: await checkinCounts(deps.sequelize, categoryId, day) };
      } catch (e) {
        if (e instanceof ServiceError) return { notice: { message: e.errors.map((x) => x.detail).join(' / '), type: 'error' } };
        throw e;
      }
    });
  };
}
