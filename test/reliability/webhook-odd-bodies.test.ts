/**
 * Every webhook PortOne's address receives leaves a payment_webhook_events row, whatever its body: NUL bytes
 * and unpaired surrogates (which PostgreSQL refuses in text and jsonb) are stored escaped, a body the JSON
 * parser refuses is stored as text. A paid notification with such a body is still processed.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { paymentsBed } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { PaymentHistory, PaymentWebhookEvent } from '../../src/models/index.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';

const WEBHOOK = '/v1/shop/payment-histories/';
const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

describe('reliability: webhook event rows for any body', () => {
  let app: Express;
  let sim: PortOneSimulator;
  beforeEach(async () => ({ app, sim } = await paymentsBed({ simulatorWebhooks: true })));

  it('a paid notification carrying a NUL byte is processed AND logged (the NUL stored escaped)', async () => {
    const p = await makeProduct({ price: 9000 });
    const cart = (await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(201)).body;
    const { payment } = await sim.pay({ merchant_uid: cart.merchant_uid, notify: false });
    const body = JSON.stringify({ imp_uid: payment.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid', custom_data: 'a\u0000b', 'k\u0000': 1 });
    await request(app).post(WEBHOOK).set('Content-Type', 'application/json').send(body).expect(200);
    expect(await PaymentHistory.count({ where: { orderId: cart.id, status: 'completed' } })).to.equal(1);
    const events = await PaymentWebhookEvent.findAll({ order: [['createdAt', 'ASC']] });
    expect(events.map((e) => e.eventType)).to.deep.equal(['webhook_received', 'payment_lookup_succeeded', 'payment_accepted']);
    expect(events[0]!.requestPayload).to.deep.include({ custom_data: 'a\\u0000b', 'k\\u0000': 1, imp_uid: payment.imp_uid });
  });

  const odd: Array<[string, string, string]> = [
    ['NUL in every field', 'application/json', JSON.stringify({ imp_uid: 'imp_\u0000', merchant_uid: '\u0000', status: 'paid\u0000' })],
    ['an unpaired surrogate', 'application/json', '{"imp_uid":"imp_\\ud800x","merchant_uid":"m.\\udfff","status":"paid"}'],
    ['a NUL in a form body', 'application/x-www-form-urlencoded', 'imp_uid=imp_%00&merchant_uid=x.y&status=paid'],
    ['invalid JSON', 'application/json', '{"imp_uid": "imp_1", "merchant_uid": '],
    ['a JSON array', 'application/json', '[1, "\\u0000", {"a": null}]'],
    ['a JSON string', 'application/json', '"\\u0000"'],
    ['deeply nested JSON', 'application/json', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['an empty body', 'application/json', ''],
  ];
  for (const [name, type, body] of odd) {
    it(`${name}: answered in the error shape (never 500) and a webhook_received row is written`, async () => {
      const res = await request(app).post(WEBHOOK).set('Content-Type', type).send(body);
      expect(res.status, JSON.stringify(res.body)).to.be.oneOf([400, 413]);
      expect(res.body.type).to.be.oneOf(['validation_error', 'client_error']);
      const received = await PaymentWebhookEvent.findAll({ where: { eventType: 'webhook_received' } });
      expect(received, 'one webhook_received row').to.have.length(1);
      expect(JSON.stringify(received[0]!.requestPayload)).to.not.include('\u0000');
      const outcome = await PaymentWebhookEvent.count({ where: { eventType: ['payment_rejected', 'payment_lookup_failed'] } });
      expect(outcome, 'and why it was refused').to.equal(1);
    });
  }
});
