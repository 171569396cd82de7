'use strict';
/**
 * Notification channels Kakao alimtalk and SMS (NHN Cloud), per-ticket sends, one message per order.
 *
 * notification_templates
 *   channel        'email' | 'kakao' | 'sms'
 *   provider_template_code  the template code registered at NHN Cloud (Kakao alimtalk: the approved
 *                  template's code; required for kakao, unused for e-mail and SMS — SMS sends the rendered
 *                  body, NHN refuses a templateId it does not know)
 *   body_format    'text' | 'html' (e-mail only: html bodies are rendered with every value HTML-escaped)
 * notification_histories.trigger gains 'payment_completed' (unused) and 'manual_ticket' (per-ticket sends)
 * notification_recipients
 *   dedupe_key     what one message is about: the order id (order sends) or the order item id (per-ticket
 *                  sends). Unique per (history, address, dedupe_key): one address may get one message per
 *                  order / per ticket, never the same one twice.
 *   order_product_relation_id  the ticket of a per-ticket send
 *   subject may be '' (Kakao / SMS have none)
 */
const up = `
ALTER TABLE notification_templates DROP CONSTRAINT IF EXISTS notification_templates_channel_check;
ALTER TABLE notification_templates ADD CONSTRAINT notification_templates_channel_check CHECK (channel IN ('email', 'kakao', 'sms'));
ALTER TABLE notification_templates ADD COLUMN provider_template_code varchar(64) NULL;
ALTER TABLE notification_templates ADD COLUMN body_format varchar(8) NOT NULL DEFAULT 'text' CHECK (body_format IN ('text', 'html'));

ALTER TABLE notification_histories DROP CONSTRAINT IF EXISTS notification_histories_trigger_check;
ALTER TABLE notification_histories ADD CONSTRAINT notification_histories_trigger_check
  CHECK (trigger IN ('manual', 'manual_ticket', 'order_paid', 'order_refunded'));

ALTER TABLE notification_recipients ADD COLUMN dedupe_key varchar(64) NOT NULL DEFAULT '';
ALTER TABLE notification_recipients ADD COLUMN order_product_relation_id uuid NULL REFERENCES order_product_relations(id) ON DELETE RESTRICT;
UPDATE notification_recipients SET dedupe_key = COALESCE(order_id::text, '');
DROP INDEX IF EXISTS notification_recipients_uq;
CREATE UNIQUE INDEX notification_recipients_uq ON notification_recipients (history_id, lower(recipient), dedupe_key);
CREATE INDEX notification_recipients_opr_idx ON notification_recipients (order_product_relation_id) WHERE order_product_relation_id IS NOT NULL;
`;

const down = `
DROP INDEX IF EXISTS notification_recipients_opr_idx;
DROP INDEX IF EXISTS notification_recipients_uq;
DELETE FROM notification_recipients r USING notification_recipients s
 WHERE r.history_id = s.history_id AND lower(r.recipient) = lower(s.recipient) AND r.id > s.id;
CREATE UNIQUE INDEX notification_recipients_uq ON notification_recipients (history_id, lower(recipient));
ALTER TABLE notification_recipients DROP COLUMN order_product_relation_id;
ALTER TABLE notification_recipients DROP COLUMN dedupe_key;
DELETE FROM notification_histories WHERE trigger = 'manual_ticket';
ALTER TABLE notification_histories DROP CONSTRAINT IF EXISTS notification_histories_trigger_check;
ALTER TABLE notification_histories ADD CONSTRAINT notification_histories_trigger_check CHECK (trigger IN ('manual', 'order_paid', 'order_refunded'));
DELETE FROM notification_templates WHERE channel <> 'email';
ALTER TABLE notification_templates DROP COLUMN body_format;
ALTER TABLE notification_templates DROP COLUMN provider_template_code;
ALTER TABLE notification_templates DROP CONSTRAINT IF EXISTS notification_templates_channel_check;
ALTER TABLE notification_templates ADD CONSTRAINT notification_templates_channel_check CHECK (channel IN ('email'));
`;

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(up);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(down);
  },
};
