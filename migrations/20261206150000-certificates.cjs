'use strict';
/**
 * Participation certificates (참가확인서): events, document templates, issued documents.
 *
 * events — what a ticket category admits to (name ko/en, first and last day as calendar dates in Asia/Seoul).
 *   `categories.event_id` links a category to its event; an item can get a certificate only when its
 *   category is a ticket category linked to an event and the item is checked in (status `used`).
 * document_templates — HTML with `{{ var }}` placeholders, one per document type may be active (partial
 *   unique index). A template that issued documents point to is read-only (the service refuses edits).
 * issued_documents — one live document per order item (partial unique index: the database itself refuses a
 *   second one, the backstop of the row lock the issue service takes). `context` is the snapshot frozen at
 *   issue time (holder, event); `document_number` = COP-{issue year}-{short id}. Revocation is a timestamp +
 *   who + why; a revoked document stays the item's document (no re-issue, as the original).
 */
const common = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  updated_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  deleted_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT`;

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name_ko text NOT NULL,
        name_en text NOT NULL DEFAULT '',
        start_date date NOT NULL,
        end_date date NOT NULL,
        ${common},
        CONSTRAINT events_dates_ck CHECK (end_date >= start_date)
      );
      ALTER TABLE categories ADD COLUMN event_id uuid NULL REFERENCES events(id) ON DELETE RESTRICT;
      CREATE INDEX categories_event_idx ON categories (event_id) WHERE event_id IS NOT NULL;

      CREATE TABLE document_templates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        document_type varchar(40) NOT NULL CHECK (document_type IN ('confirmation_of_participation')),
        name text NOT NULL,
        body text NOT NULL,
        is_active boolean NOT NULL DEFAULT false,
        ${common}
      );
      CREATE UNIQUE INDEX document_templates_one_active_uq ON document_templates (document_type)
        WHERE is_active AND deleted_at IS NULL;

      CREATE TABLE issued_documents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        document_type varchar(40) NOT NULL,
        document_number varchar(40) NOT NULL,
        template_id uuid NOT NULL REFERENCES document_templates(id) ON DELETE RESTRICT,
        order_product_relation_id uuid NOT NULL REFERENCES order_product_relations(id) ON DELETE RESTRICT,
        context jsonb NOT NULL,
        revoked_at timestamptz NULL,
        revoked_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
        revoke_reason text NULL,
        -- for the panel's "revoked?" filter (AdminJS filters on columns)
        is_revoked boolean GENERATED ALWAYS AS (revoked_at IS NOT NULL) STORED,
        ${common}
      );
      CREATE UNIQUE INDEX issued_documents_opr_uq ON issued_documents (order_product_relation_id) WHERE deleted_at IS NULL;
      CREATE UNIQUE INDEX issued_documents_number_uq ON issued_documents (document_number);
      CREATE INDEX issued_documents_template_idx ON issued_documents (template_id);
      CREATE INDEX issued_documents_created_idx ON issued_documents (created_at);
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP TABLE IF EXISTS issued_documents;
      DROP TABLE IF EXISTS document_templates;
      ALTER TABLE categories DROP COLUMN IF EXISTS event_id;
      DROP TABLE IF EXISTS events;
    `);
  },
};
