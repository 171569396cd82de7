/**
 * Order-item tags: create / edit (code ≤ 50 unique among live tags, name ≤ 100, integer priority), assign
 * and unassign over the item filter (at least one filter; → number of items affected), and the tags of
 * items for the desk and the exports (ordered by priority, then code).
 */
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { AuditLog, OrderItemTag } from '../models/index.js';
import { currentActor } from '../context.js';
import { ServiceError } from './errors.js';
import { findItemIds, requireItemFilter, type ItemFilter } from './order-items.js';

export const TagMessages = { DUPLICATE_CODE: '이미 있는 코드입니다.', REQUIRED: '이 필드는 필수 항목입니다.' } as const;

export type SavedTag = { ok: true; row: OrderItemTag } | { ok: false; errors: Record<string, string> };

export async function saveOrderItemTag(sequelize: Sequelize, id: string | null, input: Record<string, unknown>): Promise<SavedTag> {
  return sequelize.transaction(async (t) => {
    const existing = id ? await OrderItemTag.findByPk(id, { transaction: t }) : null;
    if (id && !existing) return { ok: false, errors: { id: '유효하지 않은 ID입니다.' } };
    const pick = (k: string) => (Object.prototype.hasOwnProperty.call(input, k) ? input[k] : existing?.get(k));
    const values = { code: String(pick('code') ?? '').trim(), name: String(pick('name') ?? '').trim(), priority: Number(pick('priority') ?? 0) };
    const errors: Record<string, string> = {};
    if (!values.code) errors.code = TagMessages.REQUIRED;
    else if (values.code.length > 50) errors.code = '50자 이하로 입력하세요.';
    if (!values.name) errors.name = TagMessages.REQUIRED;
    else if (values.name.length > 100) errors.name = '100자 이하로 입력하세요.';
    if (!Number.isInteger(values.priority) || Math.abs(values.priority) > 2 ** 31 - 1) errors.priority = '유효한 정수를 입력하십시오.';
    if (!errors.code && (await OrderItemTag.count({ where: { code: values.code, ...(id ? { id: { [Op.ne]: id } } : {}) }, transaction: t }))) {
      errors.code = TagMessages.DUPLICATE_CODE;
    }
    if (Object.keys(errors).length) return { ok: false, errors };
    const row = existing ? await existing.update(values, { transaction: t }) : await OrderItemTag.create(values, { transaction: t });
    return { ok: true, row };
  });
}

async function tagOr404(tagId: string): Promise<OrderItemTag> {
  const tag = /^[0-9a-f-]{36}$/i.test(tagId) ? await OrderItemTag.findByPk(tagId) : null;
  if (!tag) throw ServiceError.notFound('태그를 찾을 수 없습니다.');
  return tag;
}

/**
 * Link the tag to every item of the filter (already linked ones are left alone), or remove it from them →
 * {affected} links added / removed. One audit row names the filter and the count.
 */
async function changeAssignments(sequelize: Sequelize, mode: 'assign' | 'unassign', tagId: string, filter: ItemFilter): Promise<{ affected: number }> {
  requireItemFilter(filter);
  const tag = await tagOr404(tagId);
  const ids = await findItemIds(sequelize, filter);
  const actor = currentActor();
  const sql =
    mode === 'assign'
      ? `INSERT INTO order_item_tag_assignments (tag_id, order_product_relation_id, created_by_id)
         SELECT :tagId, x, :by FROM unnest(CAST(:ids AS uuid[])) AS x
         ON CONFLICT DO NOTHING RETURNING order_product_relation_id AS id`
      : `DELETE FROM order_item_tag_assignments WHERE tag_id = :tagId AND order_product_relation_id = ANY(CAST(:ids AS uuid[]))
         RETURNING order_product_relation_id AS id`;
  return sequelize.transaction(async (t) => {
    const rows = ids.length
      ? await sequelize.query<{ id: string }>(sql, { type: QueryTypes.SELECT, replacements: { tagId: tag.id, ids: `{${ids.join(',')}}`, by: actor.userId }, transaction: t })
      : [];
    await AuditLog.create(
      { tableName: 'order_item_tags', recordId: tag.id, action: `shop.order_item_tag.${mode}ed`, actorUserId: actor.userId, actorLabel: actor.label, after: { filter, affected: rows.length } },
      { transaction: t },
    );
    return { affected: rows.length };
  });
}

export const assignOrderItemTag = (sequelize: Sequelize, tagId: string, filter: ItemFilter) => changeAssignments(sequelize, 'assign', tagId, filter);
export const unassignOrderItemTag = (sequelize: Sequelize, tagId: string, filter: ItemFilter) => changeAssignments(sequelize, 'unassign', tagId, filter);

export interface ItemTagDto {
  code: string;
  name: string;
  priority: number;
}

/** item id → its live tags, by priority then code. */
export async function tagsOfItems(sequelize: Sequelize, itemIds: string[], transaction?: import('sequelize').Transaction): Promise<Map<string, ItemTagDto[]>> {
  const out = new Map<string, ItemTagDto[]>();
  if (itemIds.length === 0) return out;
  const rows = await sequelize.query<ItemTagDto & { item_id: string }>(
    `SELECT a.order_product_relation_id AS item_id, t.code, t.name, t.priority
       FROM order_item_tag_assignments a JOIN order_item_tags t ON t.id = a.tag_id AND t.deleted_at IS NULL
      WHERE a.order_product_relation_id = ANY(CAST(:ids AS uuid[]))
      ORDER BY t.priority, t.code`,
    { type: QueryTypes.SELECT, replacements: { ids: `{${itemIds.join(',')}}` }, transaction },
  );
  for (const r of rows) out.set(r.item_id, [...(out.get(r.item_id) ?? []), { code: r.code, name: r.name, priority: r.priority }]);
  return out;
}

/** SQL of one item's tag names joined ("VIP, 연사") — for the exports (`i` = the item). */
export const ITEM_TAGS_SQL = `(SELECT string_agg(t.name, ', ' ORDER BY t.priority, t.code)
    FROM order_item_tag_assignments a JOIN order_item_tags t ON t.id = a.tag_id AND t.deleted_at IS NULL
   WHERE a.order_product_relation_id = i.id)`;
