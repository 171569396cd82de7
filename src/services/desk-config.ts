/**
 * Registration-desk day configurations: which categories the session desk may write to on which Asia/Seoul
 * days (name, event, start_date … end_date inclusive, categories; periods never overlap), the one that
 * applies today, and the desk's statistics for it. Used by the panel (create / edit) and the desk API.
 */
import { Op, QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { Category, RegistrationDeskConfig } from '../models/index.js';
import { isIsoDate, periodsOverlap, seoulDate } from '../domain/desk/day.js';

export const DeskConfigMessages = {
  OVERLAP: '다른 등록 데스크 설정과 기간이 겹칩니다.',
  END_BEFORE_START: '종료일은 시작일과 같거나 뒤여야 합니다.',
  INVALID_DATE: 'YYYY-MM-DD 형식의 날짜가 필요합니다.',
  REQUIRED: '이 필드는 필수 항목입니다.',
  CATEGORIES_REQUIRED: '대상 카테고리를 하나 이상 고르세요.',
  UNKNOWN_CATEGORY: '유효하지 않은 카테고리입니다.',
  NO_CONFIG_TODAY: '오늘 적용되는 등록 데스크 설정이 없습니다.',
  NOT_TODAYS_CATEGORY: '오늘 등록 데스크 설정의 대상 카테고리가 아닙니다.',
} as const;

type Input = Record<string, unknown>;
export type SavedConfig = { ok: true; row: RegistrationDeskConfig } | { ok: false; errors: Record<string, string> };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** Category ids from an array, a JSON array, a comma-separated string, or AdminJS's flattened `categoryIds.0`… */
export function categoryIdsOf(input: Input): string[] | undefined {
  let v: unknown = input.categoryIds;
  if (v === undefined) {
    const flat = Object.keys(input).filter((k) => /^categoryIds\.\d+$/.test(k));
    if (flat.length) v = flat.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])).map((k) => input[k]);
  }
  if (v === undefined) return undefined;
  if (typeof v === 'string') v = v.trim().startsWith('[') ? (JSON.parse(v) as unknown) : v.split(',');
  return (Array.isArray(v) ? v : [v]).map((x) => str(x).trim().toLowerCase()).filter(Boolean);
}

/** Create (id null) or update a configuration; all rules checked, then one write. */
export async function saveDeskConfig(sequelize: Sequelize, id: string | null, input: Input): Promise<SavedConfig> {
  try {
    return await sequelize.transaction(async (t) => {
      const existing = id ? await RegistrationDeskConfig.findByPk(id, { transaction: t }) : null;
      if (id && !existing) return { ok: false, errors: { id: '유효하지 않은 ID입니다.' } };
      const pick = (k: string) => (Object.prototype.hasOwnProperty.call(input, k) ? input[k] : existing?.get(k));
      const values = {
        name: str(pick('name')).trim(),
        eventName: str(pick('eventName')).trim(),
        startDate: str(pick('startDate')).slice(0, 10),
        endDate: str(pick('endDate')).slice(0, 10),
        categoryIds: categoryIdsOf(input) ?? existing?.categoryIds ?? [],
      };
      const errors: Record<string, string> = {};
      if (!values.name) errors.name = DeskConfigMessages.REQUIRED;
      if (!isIsoDate(values.startDate)) errors.startDate = DeskConfigMessages.INVALID_DATE;
      if (!isIsoDate(values.endDate)) errors.endDate = DeskConfigMessages.INVALID_DATE;
      if (!errors.startDate && !errors.endDate && values.endDate < values.startDate) errors.endDate = DeskConfigMessages.END_BEFORE_START;
      if (values.categoryIds.length === 0) errors.categoryIds = DeskConfigMessages.CATEGORIES_REQUIRED;
      else if (values.categoryIds.some((c) => !UUID_RE.test(c)) || (await Category.count({ where: { id: values.categoryIds }, transaction: t })) !== new Set(values.categoryIds).size) {
        errors.categoryIds = DeskConfigMessages.UNKNOWN_CATEGORY;
      }
      if (!errors.startDate && !errors.endDate) {
        const others = await RegistrationDeskConfig.findAll({ where: id ? { id: { [Op.ne]: id } } : {}, transaction: t, lock: t.LOCK.UPDATE });
        if (others.some((o) => periodsOverlap({ start: values.startDate, end: values.endDate }, { start: o.startDate, end: o.endDate }))) {
          errors.startDate = DeskConfigMessages.OVERLAP;
        }
      }
      if (Object.keys(errors).length) return { ok: false, errors };
      values.categoryIds = [...new Set(values.categoryIds)];
      const row = existing ? await existing.update(values, { transaction: t }) : await RegistrationDeskConfig.create(values, { transaction: t });
      return { ok: true, row };
    });
  } catch (e) {
    // two saves at once: the exclusion constraint lets one win
    if ((e as { parent?: { code?: string } }).parent?.code === '23P01') return { ok: false, errors: { startDate: DeskConfigMessages.OVERLAP } };
    throw e;
  }
}

/** The configuration whose period contains today's Asia/Seoul date, or null. */
export async function todaysDeskConfig(now: Date, transaction?: Transaction): Promise<RegistrationDeskConfig | null> {
  const day = seoulDate(now);
  return RegistrationDeskConfig.findOne({ where: { startDate: { [Op.lte]: day }, endDate: { [Op.gte]: day } }, transaction });
}

export interface DeskStatistics {
  /** paid + used items of the configuration's categories */
  target: number;
  /** checked in (used) */
  registered: number;
  /** not yet checked in (paid) */
  waiting: number;
}

/** Counts over live items of paid orders (an order with payment history) in the configuration's categories. */
export async function deskStatistics(sequelize: Sequelize, config: RegistrationDeskConfig): Promise<DeskStatistics> {
  const [row] = await sequelize.query<{ registered: string; waiting: string }>(
    `SELECT count(*) FILTER (WHERE i.status = 'used') AS registered, count(*) FILTER (WHERE i.status = 'paid') AS waiting
       FROM order_product_relations i
       JOIN orders o ON o.id = i.order_id AND o.deleted_at IS NULL
       JOIN products p ON p.id = i.product_id
      WHERE i.deleted_at IS NULL AND i.status IN ('paid', 'used') AND p.category_id = ANY(CAST(:cats AS uuid[]))
        AND EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id AND ph.deleted_at IS NULL)`,
    { type: QueryTypes.SELECT, replacements: { cats: `{${config.categoryIds.join(',')}}` } },
  );
  const registered = Number(row?.registered ?? 0);
  const waiting = Number(row?.waiting ?? 0);
  return { target: registered + waiting, registered, waiting };
}
