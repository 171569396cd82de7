'use strict';
/**
 * The default participation-certificate template (참가확인서), active. Not demo data: runs on every deployment
 * (also with SEED_DEMO=false), once; skipped when an operator already has an active certificate template.
 * Operators edit or replace it in the panel (Certificates → document_templates); the body is the file
 * assets/documents/confirmation-of-participation.html at seeding time.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ID = '6f1d8a8e-0015-4000-8000-000000000001';

module.exports = {
  async up(queryInterface) {
    const body = readFileSync(join(__dirname, '..', 'assets', 'documents', 'confirmation-of-participation.html'), 'utf8');
    await queryInterface.sequelize.query(
      `INSERT INTO document_templates (id, document_type, name, body, is_active)
       SELECT :id, 'confirmation_of_participation', '참가확인서 (기본)', :body, true
        WHERE NOT EXISTS (SELECT 1 FROM document_templates WHERE document_type = 'confirmation_of_participation' AND is_active AND deleted_at IS NULL)
       ON CONFLICT DO NOTHING`,
      { replacements: { id: ID, body } },
    );
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(
      `DELETE FROM document_templates WHERE id = :id AND NOT EXISTS (SELECT 1 FROM issued_documents WHERE template_id = :id)`,
      { replacements: { id: ID } },
    );
  },
};
