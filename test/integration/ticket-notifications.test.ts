// Per-ticket notifications: one message per order item to its holder (ticket_infos), else the customer,
// with that ticket's QR URL and answers; dedupe_key = the item; delivered by the worker (e-mail and SMS).
import { expect } from 'chai';
import { QueryTypes, type Sequelize } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeCategory, makeGroup, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { startTestSmtp, waitFor, type TestSmtp } from '../helpers/smtp.js';
import { startTestWorker, type TestWorker } from '../helpers/jobs.js';
import { startFakeNhn, type FakeNhnServer } from '../../src/nhn/fake-server.js';
import { CustomerInfo, NotificationRecipient, NotificationTemplate, OrderProductRelation, type Order } from '../../src/models/index.js';
import { previewTicketNotification, renderTicketNotification, sendTicketNotification } from '../../src/services/ticket-notifications.js';
import { parseItemFilter } from '../../src/services/order-items.js';
import { signScancodeToken, scancodeUrl } from '../../src/domain/scancode/token.js';

const SMS = { appKey: 'sms-app', secretKey: 'sms-secret' };

describe('per-ticket notifications (holders, QR per ticket, dedupe per ticket)', function () {
  this.timeout(30_000);
  let smtp: TestSmtp;
  let fake: FakeNhnServer;
  let worker: TestWorker;
  let sequelize: Sequelize;
  let order: Order;
  let items: OrderProductRelation[];

  before(async () => {
    smtp = await startTestSmtp();
    fake = await startFakeNhn({ alimtalk: { appKey: 'a', secretKey: 'b' }, sms: SMS });
    sequelize = await resetDb();
    worker = await startTestWorker(smtp.port, {
      NHN_CLOUD_SMS_API_URL: fake.url,
      NHN_CLOUD_SMS_APP_KEY: SMS.appKey,
      NHN_CLOUD_SMS_SECRET_KEY: SMS.secretKey,
      NHN_CLOUD_SMS_SEND_NO: '0212345678',
      NOTIFICATION_RATE_LIMIT_PER_MINUTE: '0',
    });
  });
  after(async () => {
    await worker?.stop();
    await smtp?.close();
    await fake?.close();
  });

  beforeEach(async () => {
    sequelize = await resetDb();
    smtp.reset();
    fake.reset();
    const ticket = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 45000 }, await makeCategory('티켓', '컨퍼런스 티켓', true));
    const size = await makeGroup(ticket, { nameKo: '티셔츠', isCustomResponse: true, customResponsePattern: '.*' });
    const buyer = await makeUser();
    order = await makeOrder(buyer, [
      { product: ticket, options: [{ group: size, customResponse: 'L' }] },
      { product: ticket, options: [{ group: size, customResponse: 'M' }] },
      { product: ticket, options: [{ group: size, customResponse: 'S' }] },
    ]);
    await order.update({ nameKo: '컨퍼런스 티켓 외 2건' });
    await CustomerInfo.create({ orderId: order.id, name: '구매자', phone: '010-0000-0001', email: 'buyer@example.com', organization: '회사' });
    items = await OrderProductRelation.findAll({ where: { orderId: order.id }, order: [['createdAt', 'ASC'], ['id', 'ASC']] });
    // two tickets have holders; the third has none (→ the customer)
    const holders = [
      { id: items[0]!.id, name: '참가자 하나', phone: '010-1111-0001', email: 'one@example.com', organization: '<b>팀</b>', message: '화이팅' },
      { id: items[1]!.id, name: '참가자 둘', phone: '010-1111-0002', email: 'two@example.com', organization: null, message: null },
    ];
    for (const h of holders) {
      await sequelize.query(
        `INSERT INTO ticket_infos (order_product_relation_id, name, phone, email, organization, contribution_message) VALUES (:id, :name, :phone, :email, :organization, :message)`,
        { replacements: h, type: QueryTypes.INSERT },
      );
    }
  });

  const qr = (id: string) => scancodeUrl('http://shop.test', signScancodeToken('opr', id, worker.config.scancodeSalts));

  it('preview: one recipient per ticket, holder else customer, that ticket’s QR and answers; render shows the first', async () => {
    const t = await NotificationTemplate.create({ code: 'ticket', language: 'ko', subject: '{{ product_name }} 안내', body: '{{ 성함 }}님 ({{ 소속 }}) {{ 티셔츠 }} {{ scancode_url }} {{ product_price }}원' });
    const preview = await previewTicketNotification(sequelize, { templateId: t.id, filter: parseItemFilter({ order_id: order.id }) });
    expect(preview.recipients.map((r) => [r.recipient, r.dedupe_key])).to.deep.equal([
      ['one@example.com', items[0]!.id],
      ['two@example.com', items[1]!.id],
      ['buyer@example.com', items[2]!.id],
    ]);
    expect(preview.recipients[0]!.context).to.include({
      participant_name: '참가자 하나',
      성함: '참가자 하나',
      소속: '<b>팀</b>',
      contribution_message: '화이팅',
      티셔츠: 'L',
      scancode_url: qr(items[0]!.id),
      product_price: '45,000',
      product_status: '결제 완료',
      order_name: '컨퍼런스 티켓 외 2건',
      customer_name: '구매자',
    });
    expect(preview.recipients[2]!.context).to.include({ participant_name: '구매자', 티셔츠: 'S', scancode_url: qr(items[2]!.id) });
    const rendered = await renderTicketNotification(sequelize, { templateId: t.id, filter: parseItemFilter({ order_id: order.id }) });
    expect(rendered).to.deep.equal({ recipient: 'one@example.com', subject: '컨퍼런스 티켓 안내', body: `참가자 하나님 (<b>팀</b>) L ${qr(items[0]!.id)} 45,000원` });
  });

  it('send: the same address gets one message per ticket; the worker delivers each with its own QR', async () => {
    // all three tickets held by one person: three messages to one address, each its own ticket
    await sequelize.query(`UPDATE ticket_infos SET email = 'same@example.com'`);
    await sequelize.query(
      `INSERT INTO ticket_infos (order_product_relation_id, name, phone, email) VALUES (:id, '참가자 셋', '010-1111-0003', 'same@example.com')`,
      { replacements: { id: items[2]!.id } },
    );
    const t = await NotificationTemplate.create({ code: 'ticket', language: 'ko', subject: '입장권 {{ 티셔츠 }}', body: '{{ scancode_url }}' });
    const history = await sendTicketNotification(sequelize, { templateId: t.id, filter: parseItemFilter({ order_id: order.id }) });
    expect(history.trigger).to.equal('manual_ticket');
    expect(history.recipients.map((r) => r.order_product_relation_id)).to.deep.equal(items.map((i) => i.id));
    await waitFor(() => smtp.received.length === 3);
    expect(smtp.received.every((m) => m.to[0] === 'same@example.com')).to.equal(true);
    expect(smtp.received.map((m) => m.subject).sort()).to.deep.equal(['입장권 L', '입장권 M', '입장권 S']);
    for (const i of items) expect(smtp.received.some((m) => m.text.includes(qr(i.id)))).to.equal(true);
    await waitFor(async () => (await NotificationRecipient.count({ where: { status: 'SENT' } })) === 3);
  });

  it('SMS goes to the holder’s phone; the item filter narrows (status, ids) and an unpaid item is never a target', async () => {
    const t = await NotificationTemplate.create({ channel: 'sms', code: 'ticket-sms', language: 'ko', subject: '', body: '{{ 성함 }}님 입장 QR {{ scancode_url }}' });
    await items[1]!.update({ status: 'used' });
    const history = await sendTicketNotification(sequelize, { templateId: t.id, filter: parseItemFilter({ order_id: order.id, status: 'used' }) });
    expect(history.recipients.map((r) => r.recipient)).to.deep.equal(['010-1111-0002']);
    await waitFor(() => fake.messages.length === 1);
    expect(fake.messages[0]).to.include({ recipientNo: '01011110002', body: `참가자 둘님 입장 QR ${qr(items[1]!.id)}` });
    await items[0]!.update({ status: 'pending' });
    const none = await previewTicketNotification(sequelize, { templateId: t.id, filter: parseItemFilter({ id: items[0]!.id }) });
    expect(none.recipients).to.deep.equal([]);
  });
});
