'use strict';
/**
 * Backfill ticket holders from the free-text answers that collected them before `ticket_infos` existed (the
 * original's rule, by option-group name): starts with "성함" → name; "소속" → organization; "이메일" →
 * email; starts with "연락처" or "전화번호" → phone; starts with "후원자" → contribution_message. The first
 * non-empty answer wins when several map to one field.
 *
 * For every live item of a ticket category without any holder row: items without a name are skipped; the
 * others get a holder, and the answers that were moved into it are soft-deleted (they now live in the holder).
 * Idempotent: items that have a holder are skipped, so running it again (or after holders were entered)
 * changes nothing. Every created holder and every moved answer gets an audit row (actor
 * `migration:backfill-ticket-info`); `down` uses them to restore the answers and remove those holders.
 */
const ACTOR = 'migration:backfill-ticket-info';

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      WITH cand AS (
        SELECT opr.id AS opr_id
          FROM order_product_relations opr
          JOIN products p ON p.id = opr.product_id
          JOIN categories c ON c.id = p.category_id AND c.is_ticket
         WHERE opr.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM ticket_infos ti WHERE ti.order_product_relation_id = opr.id)
      ), ans AS (
        SELECT a.id, a.order_product_relation_id AS opr_id, a.created_at, btrim(COALESCE(a.custom_response, '')) AS v,
               CASE WHEN g.name_ko LIKE '성함%' THEN 'name'
                    WHEN g.name_ko = '소속' THEN 'organization'
                    WHEN g.name_ko = '이메일' THEN 'email'
                    WHEN g.name_ko LIKE '연락처%' OR g.name_ko = '전화번호' THEN 'phone'
                    WHEN g.name_ko LIKE '후원자%' THEN 'contribution_message' END AS field
          FROM order_product_option_relations a
          JOIN option_groups g ON g.id = a.product_option_group_id AND g.is_custom_response
         WHERE a.deleted_at IS NULL AND a.order_product_relation_id IN (SELECT opr_id FROM cand)
      ), picked AS (
        SELECT opr_id,
               (array_agg(v ORDER BY created_at, id) FILTER (WHERE field = 'name' AND v <> ''))[1] AS name,
               (array_agg(v ORDER BY created_at, id) FILTER (WHERE field = 'phone' AND v <> ''))[1] AS phone,
               (array_agg(v ORDER BY created_at, id) FILTER (WHERE field = 'email' AND v <> ''))[1] AS email,
               (array_agg(v ORDER BY created_at, id) FILTER (WHERE field = 'organization' AND v <> ''))[1] AS organization,
               (array_agg(v ORDER BY created_at, id) FILTER (WHERE field = 'contribution_message' AND v <> ''))[1] AS contribution_message
          FROM ans WHERE field IS NOT NULL GROUP BY opr_id
      ), ins AS (
        INSERT INTO ticket_infos (order_product_relation_id, name, phone, email, organization, contribution_message)
        SELECT opr_id, name, COALESCE(phone, ''), COALESCE(email, ''), organization, contribution_message
          FROM picked WHERE name IS NOT NULL
        RETURNING *
      ), moved AS (
        UPDATE order_product_option_relations SET deleted_at = now(), updated_at = now()
         WHERE id IN (SELECT id FROM ans WHERE field IS NOT NULL AND opr_id IN (SELECT order_product_relation_id FROM ins))
        RETURNING id
      )
      INSERT INTO audit_logs (table_name, record_id, action, actor_label, reason, after)
      SELECT 'ticket_infos', ins.id::text, 'create', '${ACTOR}', 'backfilled from free-text answers', to_jsonb(ins) FROM ins
      UNION ALL
      SELECT 'order_product_option_relations', moved.id::text, 'delete', '${ACTOR}', 'moved into ticket_infos', NULL FROM moved;
    `);
  },

  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      UPDATE order_product_option_relations SET deleted_at = NULL
       WHERE id::text IN (SELECT record_id FROM audit_logs WHERE actor_label = '${ACTOR}' AND table_name = 'order_product_option_relations');
      DELETE FROM ticket_infos
       WHERE id::text IN (SELECT record_id FROM audit_logs WHERE actor_label = '${ACTOR}' AND table_name = 'ticket_infos');
      DELETE FROM audit_logs WHERE actor_label = '${ACTOR}';
    `);
  },
};
