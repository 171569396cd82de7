'use strict';
/**
 * The Kakao alimtalk templates of the automatic order notifications (payment completed, refunded), in
 * Korean. Not demo data: runs on every deployment, once. A Kakao template is a copy of the text approved at
 * Kakao (NHN Cloud console) with `{{ var }}` where the approved text has `#{var}`; its variables are sent as
 * NHN's `templateParameter`, and `provider_template_code` is the approved template's code (edit it in the
 * panel to match yours). They are only used when Kakao alimtalk is configured (NHN keys + sender key).
 */
const TEMPLATES = [
  {
    id: '6f1d8a8e-0017-4000-8000-000000000001',
    code: 'order_paid',
    provider: 'pycon_2026_paid',
    name: '결제 완료 알림톡',
    body: `{{ 성함 }}님, 파이콘 한국 결제가 완료되었습니다.

- 주문: {{ order_name }}
- 결제 금액: {{ first_paid_price }}원

QR 코드: {{ scancode_url }}`,
  },
  {
    id: '6f1d8a8e-0017-4000-8000-000000000002',
    code: 'order_refunded',
    provider: 'pycon_2026_refunded',
    name: '환불 알림톡',
    body: `{{ 성함 }}님, 주문 "{{ order_name }}"이 환불되었습니다.

- 남은 결제 금액: {{ current_paid_price }}원`,
  },
];

module.exports = {
  TEMPLATES,
  async up(queryInterface) {
    const sql = queryInterface.sequelize;
    for (const t of TEMPLATES) {
      await sql.query(
        `INSERT INTO notification_templates (id, channel, code, language, name, subject, body, provider_template_code, active)
         SELECT :id, 'kakao', :code, 'ko', :name, '', :body, :provider, true
          WHERE NOT EXISTS (
            SELECT 1 FROM notification_templates
             WHERE channel = 'kakao' AND code = :code AND language = 'ko' AND active AND deleted_at IS NULL)
         ON CONFLICT DO NOTHING`,
        { replacements: t },
      );
    }
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`DELETE FROM notification_templates WHERE id = ANY(CAST(:ids AS uuid[]))`, {
      replacements: { ids: `{${TEMPLATES.map((t) => t.id).join(',')}}` },
    });
  },
};
