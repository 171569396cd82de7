'use strict';
/**
 * The e-mail templates of the automatic order notifications, in Korean and English. Not demo
 * data: runs on every deployment (also with SEED_DEMO=false), once. Fixed ids + ON CONFLICT DO NOTHING, and a
 * template that an operator already created for the same (channel, code, language) is left alone.
 *
 * Placeholders are `{{ name }}` (spec §6.6 context): order_id, order_name, first_paid_at, first_paid_price,
 * current_paid_price, customer_name, customer_email, customer_phone, scancode_url, plus one per option group of
 * the order's first item. Operators can edit the text in the panel (the seeded rows are ordinary rows).
 */
const TEMPLATES = [
  {
    id: '6f1d8a8e-0010-4000-8000-000000000001',
    code: 'order_paid',
    language: 'ko',
    name: '결제 완료 안내 (한국어)',
    subject: '[PyCon 한국] 결제가 완료되었습니다 - {{ order_name }}',
    body: `{{ customer_name }}님, 안녕하세요.

주문하신 "{{ order_name }}"의 결제가 완료되었습니다.

- 주문 번호: {{ order_id }}
- 결제 금액: {{ first_paid_price }}원
- 결제 시각: {{ first_paid_at }}

아래 주소에서 주문 QR 코드를 확인하실 수 있습니다. 행사 당일 등록 데스크에서 QR 코드를 보여주세요.
{{ scancode_url }}

QR 코드는 본인 확인에 쓰이니 다른 사람에게 공유하지 마세요. 구매하신 상품은 양도할 수 없습니다.
구매 내역은 pycon.kr 의 구매 내역 페이지에서도 확인하실 수 있습니다.

감사합니다.
PyCon 한국 준비 위원회
`,
  },
  {
    id: '6f1d8a8e-0010-4000-8000-000000000002',
    code: 'order_paid',
    language: 'en',
    name: 'Payment completed (English)',
    subject: '[PyCon Korea] Payment completed - {{ order_name }}',
    body: `Hello {{ customer_name }},

your payment for "{{ order_name }}" is complete.

- Order number: {{ order_id }}
- Amount paid: KRW {{ first_paid_price }}
- Paid at: {{ first_paid_at }}

Your order's QR code is at the address below. Please show it at the registration desk on the day.
{{ scancode_url }}

The QR code identifies you: do not share it. Purchased items are non-transferable.
You can also see your purchases on pycon.kr (purchase history).

Thank you,
PyCon Korea Organizing Committee
`,
  },
  {
    id: '6f1d8a8e-0010-4000-8000-000000000003',
    code: 'order_refunded',
    language: 'ko',
    name: '환불 완료 안내 (한국어)',
    subject: '[PyCon 한국] 환불이 처리되었습니다 - {{ order_name }}',
    body: `{{ customer_name }}님, 안녕하세요.

주문 "{{ order_name }}"의 환불이 처리되었습니다.

- 주문 번호: {{ order_id }}
- 최초 결제 금액: {{ first_paid_price }}원
- 환불 후 남은 결제 금액: {{ current_paid_price }}원

카드 결제의 경우 카드사 사정에 따라 환불 금액이 확인되기까지 며칠이 걸릴 수 있습니다.
구매 내역은 pycon.kr 의 구매 내역 페이지에서 확인하실 수 있습니다.

감사합니다.
PyCon 한국 준비 위원회
`,
  },
  {
    id: '6f1d8a8e-0010-4000-8000-000000000004',
    code: 'order_refunded',
    language: 'en',
    name: 'Refund processed (English)',
    subject: '[PyCon Korea] Refund processed - {{ order_name }}',
    body: `Hello {{ customer_name }},

a refund for your order "{{ order_name }}" has been processed.

- Order number: {{ order_id }}
- Amount first paid: KRW {{ first_paid_price }}
- Amount still paid after the refund: KRW {{ current_paid_price }}

For card payments it may take a few days until your card company shows the refund.
You can see your purchases on pycon.kr (purchase history).

Thank you,
PyCon Korea Organizing Committee
`,
  },
];

module.exports = {
  TEMPLATES,
  async up(queryInterface) {
    const sql = queryInterface.sequelize;
    for (const t of TEMPLATES) {
      await sql.query(
        `INSERT INTO notification_templates (id, channel, code, language, name, subject, body, active)
         SELECT :id, 'email', :code, :language, :name, :subject, :body, true
          WHERE NOT EXISTS (
            SELECT 1 FROM notification_templates
             WHERE channel = 'email' AND code = :code AND language = :language AND active AND deleted_at IS NULL)
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
