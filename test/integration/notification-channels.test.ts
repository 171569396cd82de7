// Kakao alimtalk and SMS through NHN Cloud (the local fake NHN server, real HTTP), per-channel rate limit,
// one message per order, HTML escaping, payment-completed on e-mail + Kakao.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import type { Sequelize } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { startTestSmtp, waitFor, type TestSmtp } from '../helpers/smtp.js';
import { startTestWorker, workerConfig, type TestWorker } from '../helpers/jobs.js';
import { startFakeNhn, type FakeNhnServer } from '../../src/nhn/fake-server.js';
import { createAlimtalkSender, createSmsSender } from '../../src/nhn/client.js';
import { CustomerInfo, NotificationHistory, NotificationRecipient, NotificationTemplate, type Order } from '../../src/models/index.js';
import {
  configureNotifications,
  deliverNotification,
  previewNotification,
  registerOrderNotifications,
  renderNotification,
  sendNotification,
} from '../../src/services/notifications.js';
import { emitOrderEvent } from '../../src/services/order-events.js';
import { createMailer } from '../../src/services/mailer.js';
import { SendSpacing } from '../../src/domain/notification/rate-limit.js';
import { parseConfig } from '../../src/config.js';
import { testEnv } from '../helpers/db.js';

const require = createRequire(import.meta.url);
const kakaoSeeder = require('../../seeders/20261206170000-kakao-templates.cjs') as { up(qi: unknown): Promise<void> };
const emailSeeder = require('../../seeders/20261125000010-notification-templates.cjs') as { up(qi: unknown): Promise<void> };

const ALIMTALK = { appKey: 'alim-app', secretKey: 'alim-secret' };
const SMS = { appKey: 'sms-app', secretKey: 'sms-secret' };

function nhnEnv(fake: FakeNhnServer): Record<string, string> {
  return {
    NHN_CLOUD_ALIMTALK_API_URL: fake.url,
    NHN_CLOUD_SMS_API_URL: fake.url,
    NHN_CLOUD_KAKAO_ALIMTALK_APP_KEY: ALIMTALK.appKey,
    NHN_CLOUD_KAKAO_ALIMTALK_SECRET_KEY: ALIMTALK.secretKey,
    NHN_CLOUD_KAKAO_SENDER_KEY: 'sender-key-40',
    NHN_CLOUD_SMS_APP_KEY: SMS.appKey,
    NHN_CLOUD_SMS_SECRET_KEY: SMS.secretKey,
    NHN_CLOUD_SMS_SEND_NO: '02-123-4567',
  };
}

async function paidOrder(info: { name?: string; phone?: string; email?: string; organization?: string } = {}, productName = '컨퍼런스 티켓'): Promise<Order> {
  const user = await makeUser();
  const product = await makeProduct({ nameKo: productName, price: 1234500 });
  const order = await makeOrder(user, [{ product }], 'completed');
  await order.update({ nameKo: productName });
  await CustomerInfo.create({ orderId: order.id, name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: 'PyCon', ...info });
  return order;
}

const recipientWhen = async (id: string, status: string) =>
  (await waitFor(async () => {
    const r = await NotificationRecipient.findByPk(id);
    return r && r.status === status ? r : null;
  }))!;

describe('notification channels: Kakao alimtalk and SMS over NHN Cloud', function () {
  this.timeout(30_000);
  let smtp: TestSmtp;
  let fake: FakeNhnServer;
  let worker: TestWorker;
  let sequelize: Sequelize;

  before(async () => {
    smtp = await startTestSmtp();
    fake = await startFakeNhn({ alimtalk: ALIMTALK, sms: SMS });
    sequelize = await resetDb();
    // 600/min per channel: one send every 100 ms, so the spacing is measurable without slowing the suite
    worker = await startTestWorker(smtp.port, { ...nhnEnv(fake), NOTIFICATION_RATE_LIMIT_PER_MINUTE: '600' });
  });
  after(async () => {
    await worker?.stop();
    await smtp?.close();
    await fake?.close();
  });
  beforeEach(async () => {
    sequelize = await resetDb();
    await kakaoSeeder.up(sequelize.getQueryInterface());
    await emailSeeder.up(sequelize.getQueryInterface());
    smtp.reset();
    fake.reset();
  });

  const kakaoTemplate = () => NotificationTemplate.findOne({ where: { channel: 'kakao', code: 'order_paid' } }).then((t) => t!);
  const smsTemplate = () => NotificationTemplate.create({ channel: 'sms', code: 'reminder', language: 'ko', subject: '', body: '[PyCon] {{ 성함 }}님 {{ order_name }} {{ first_paid_price }}원' });

  describe('Kakao alimtalk', () => {
    it('sends the approved template code with the variables (Korean aliases, amounts with separators) to the phone', async () => {
      const order = await paidOrder();
      const history = await sendNotification({ templateId: (await kakaoTemplate()).id, orderIds: [order.id] });
      expect(history.channel).to.equal('kakao');
      expect(history.recipients.map((r) => r.recipient)).to.deep.equal(['010-1234-5678']);
      const row = await recipientWhen(history.recipients[0]!.id, 'SENT');
      expect(fake.messages).to.have.length(1);
      const m = fake.messages[0]!;
      expect(m).to.include({ channel: 'alimtalk', recipientNo: '01012345678', senderKey: 'sender-key-40', templateCode: 'pycon_2026_paid' });
      expect(m.templateParameter).to.deep.include({ 성함: '홍길동', order_name: '컨퍼런스 티켓', first_paid_price: '1,234,500' });
      expect(m.templateParameter!.scancode_url).to.match(/^http:\/\/shop\.test\/v1\/shop\/orders\/scancode\/\?token=order/);
      expect(row.messageId).to.equal(m.requestId);
      expect(row.body).to.include('홍길동님, 파이콘 한국 결제가 완료되었습니다.').and.include('1,234,500원');
    });

    it('a transient failure (HTTP 503) is retried with backoff and then sent', async () => {
      fake.failNext(1, 'transient', 'alimtalk');
      const order = await paidOrder();
      const history = await sendNotification({ templateId: (await kakaoTemplate()).id, orderIds: [order.id] });
      const failed = await recipientWhen(history.recipients[0]!.id, 'FAILED');
      expect(failed.lastError).to.match(/^attempt 1\/3: NHN alimtalk: HTTP 503/);
      expect(failed.nextAttemptAt).to.be.instanceOf(Date);
      const sent = await recipientWhen(history.recipients[0]!.id, 'SENT');
      expect(sent.attempts).to.equal(2);
      expect(fake.requests.map((r) => r.status)).to.deep.equal([503, 200]);
      expect(fake.messages).to.have.length(1);
    });

    it('a permanent failure (NHN isSuccessful: false) is not retried', async () => {
      fake.failNext(1, 'permanent', 'alimtalk');
      const order = await paidOrder();
      const history = await sendNotification({ templateId: (await kakaoTemplate()).id, orderIds: [order.id] });
      const failed = await recipientWhen(history.recipients[0]!.id, 'FAILED');
      expect(failed.lastError).to.equal('attempt 1/3 (permanent): NHN alimtalk: -1006 Invalid template');
      expect(failed.nextAttemptAt).to.equal(null);
      await new Promise((r) => setTimeout(r, 800)); // longer than the retry delay: nothing more happens
      expect(fake.requests).to.have.length(1);
      expect((await NotificationRecipient.findByPk(failed.id))!.attempts).to.equal(1);
    });

    it('orders without a phone are skipped; a wrong secret is a permanent error', async () => {
      const noPhone = await paidOrder({ phone: '' });
      const preview = await previewNotification({ templateId: (await kakaoTemplate()).id, orderIds: [noPhone.id] });
      expect(preview.recipients).to.have.length(0);
      const sender = createAlimtalkSender({ ...worker.config.nhn, alimtalk: { ...worker.config.nhn.alimtalk, secretKey: 'wrong' } });
      const err = await sender.send({ to: '01012345678', templateCode: 'x', parameters: {} }).catch((e: unknown) => e as Error & { transient: boolean });
      const e = err as Error & { transient: boolean };
      expect(e.transient).to.equal(false);
      expect(e.message).to.equal('NHN alimtalk: HTTP 401 Invalid secret key');
      expect(e.message).not.to.include('wrong'); // the secret never appears in an error
    });
  });

  describe('SMS', () => {
    it('sends the rendered body from the registered number, without a templateId', async () => {
      const order = await paidOrder();
      const history = await sendNotification({ templateId: (await smsTemplate()).id, orderIds: [order.id] });
      await recipientWhen(history.recipients[0]!.id, 'SENT');
      expect(fake.messages).to.have.length(1);
      expect(fake.messages[0]).to.include({ channel: 'sms', recipientNo: '01012345678', sendNo: '021234567', body: '[PyCon] 홍길동님 컨퍼런스 티켓 1,234,500원' });
      expect(fake.messages[0]!.templateId).to.equal(undefined);
    });

    it('a transient failure is retried; a refused recipient is permanent', async () => {
      const template = await smsTemplate();
      fake.failNext(1, 'transient', 'sms');
      const a = await paidOrder();
      const h1 = await sendNotification({ templateId: template.id, orderIds: [a.id] });
      expect((await recipientWhen(h1.recipients[0]!.id, 'SENT')).attempts).to.equal(2);

      fake.failNext(1, 'recipient', 'sms');
      const b = await paidOrder({ phone: '010-9999-8888' });
      const h2 = await sendNotification({ templateId: template.id, orderIds: [b.id] });
      const failed = await recipientWhen(h2.recipients[0]!.id, 'FAILED');
      expect(failed.lastError).to.equal('attempt 1/3 (permanent): NHN sms: recipient refused (-1004 Invalid recipient number)');
      expect(failed.nextAttemptAt).to.equal(null);
    });
  });

  describe('keys, rate limit, one message per order, HTML', () => {
    it('each channel has its own key / secret, falling back to the shared NHN_CLOUD_APP_KEY / _SECRET_KEY', () => {
      const shared = parseConfig({ ...testEnv, NHN_CLOUD_APP_KEY: 'shared', NHN_CLOUD_SECRET_KEY: 'shared-secret', NHN_CLOUD_SMS_APP_KEY: 'own-sms' });
      expect(shared.nhn.alimtalk).to.include({ appKey: 'shared', secretKey: 'shared-secret' });
      expect(shared.nhn.sms).to.include({ appKey: 'own-sms', secretKey: 'shared-secret' });
      const none = parseConfig({ ...testEnv });
      expect(none.nhn.alimtalk.appKey).to.equal('');
      expect(none.mail.ratePerMinute).to.deep.equal({ email: 60, kakao: 60, sms: 60 });
      const own = parseConfig({ ...testEnv, NOTIFICATION_RATE_LIMIT_PER_MINUTE: '30', NOTIFICATION_RATE_LIMIT_SMS_PER_MINUTE: '0' });
      expect(own.mail.ratePerMinute).to.deep.equal({ email: 30, kakao: 30, sms: 0 });
    });

    it('rate limit: 150 SMS at 60/min never exceed 60 in any minute and take 149 s of (fake) clock', async () => {
      // rows written directly (no jobs): delivered here with a fake clock whose sleep advances it
      const h = await NotificationHistory.create({
        channel: 'sms',
        templateCode: 'x',
        templateLanguage: 'ko',
        templateSnapshot: { code: 'x', language: 'ko', name: '', subject: '', body: 'b' },
        sender: 'nhn-cloud:sms',
        trigger: 'manual',
      });
      const rows = await NotificationRecipient.bulkCreate(
        Array.from({ length: 150 }, (_, i) => ({ historyId: h.id, recipient: `010-1000-${1000 + i}`, dedupeKey: String(i), subject: '', body: `메시지 ${i}` })),
        { returning: true },
      );
      let clock = Date.UTC(2026, 11, 6, 0, 0, 0);
      const sentAt: number[] = [];
      const sms = createSmsSender(worker.config.nhn);
      const deps = {
        mailer: createMailer(worker.config.mail),
        sms: { send: async (m: { to: string; body: string }) => (sentAt.push(clock), sms.send(m)) },
        spacing: new SendSpacing((channel) => (channel === 'sms' ? 60 : 0)),
        maxAttempts: 3,
        retryDelayMs: 1000,
        now: () => new Date(clock),
        sleep: async (ms: number) => {
          clock += ms;
        },
      };
      for (const r of rows) expect((await deliverNotification(sequelize, r.id, deps)).outcome).to.equal('sent');
      expect(sentAt).to.have.length(150);
      expect(fake.messages).to.have.length(150);
      const inWindow = (start: number) => sentAt.filter((t) => t >= start && t < start + 60_000).length;
      expect(Math.max(...sentAt.map(inWindow))).to.equal(60);
      expect(sentAt[149]! - sentAt[0]!).to.equal(149_000);
      const stamps = (await NotificationRecipient.findAll()).map((r) => r.sentAt!.getTime()).sort((a, b) => a - b);
      expect(stamps[stamps.length - 1]! - stamps[0]!).to.equal(149_000); // the rows record the spaced times
    });

    it('the worker spaces each channel on its own (600/min = one per 100 ms), measured on the fake server', async () => {
      const template = await smsTemplate();
      const orders: Order[] = [];
      for (let i = 0; i < 5; i++) orders.push(await paidOrder({ phone: `010-2000-${String(1000 + i)}` }, `티켓 ${i}`));
      await sendNotification({ templateId: template.id, orderIds: orders.map((o) => o.id) });
      await waitFor(() => fake.messages.length === 5);
      // five slots 100 ms apart: the first and the last arrive ≥ 400 ms apart (minus network jitter)
      const at = fake.messages.map((m) => m.at).sort((a, b) => a - b);
      expect(at[4]! - at[0]!).to.be.at.least(350);
    });

    it('order sends: one message per order, each naming its own order (a buyer with three orders)', async () => {
      const orders = [await paidOrder({}, '티켓 A'), await paidOrder({}, '티켓 B'), await paidOrder({}, '티켓 C')];
      const t = await NotificationTemplate.create({ code: 'notice', language: 'ko', subject: '{{ order_name }}', body: '{{ order_name }} {{ first_paid_price }}' });
      const history = await sendNotification({ templateId: t.id, orderIds: orders.map((o) => o.id) });
      expect(history.recipients).to.have.length(3);
      await waitFor(() => smtp.received.length === 3);
      expect(smtp.received.map((m) => m.subject).sort()).to.deep.equal(['티켓 A', '티켓 B', '티켓 C']);
      expect(smtp.received.every((m) => m.to[0] === 'gildong@example.com')).to.equal(true);
    });

    it('HTML e-mail bodies escape every value (buyer input cannot inject markup); render shows the first message', async () => {
      const order = await paidOrder({ name: '<script>alert(1)</script>' });
      const t = await NotificationTemplate.create({ code: 'html', language: 'ko', subject: '안내 {{ order_name }}', body: '<p>{{ customer_name }}님, {{ first_paid_price }}원</p>', bodyFormat: 'html' });
      const rendered = await renderNotification({ templateId: t.id, orderIds: [order.id] });
      expect(rendered.body).to.equal('<p>&lt;script&gt;alert(1)&lt;/script&gt;님, 1,234,500원</p>');
      expect(rendered.body_format).to.equal('html');
      const history = await sendNotification({ templateId: t.id, orderIds: [order.id] });
      await recipientWhen(history.recipients[0]!.id, 'SENT');
      expect(smtp.received[0]!.text).to.equal('<script>alert(1)</script>님, 1,234,500원'); // the plain-text part
    });
  });

  describe('payment completed on e-mail and Kakao, after commit', () => {
    it('one e-mail and one alimtalk per paid event; a rollback sends neither', async () => {
      configureNotifications({ backendDomain: 'http://shop.test', scancodeSalts: worker.config.scancodeSalts, sender: worker.config.mail.from, kakaoEnabled: true });
      const stop = registerOrderNotifications();
      try {
        const order = await paidOrder();
        await sequelize
          .transaction(async (t) => {
            await emitOrderEvent('paid', order.id, t);
            throw new Error('rolled back');
          })
          .catch(() => undefined);
        await sequelize.transaction(async (t) => {
          await emitOrderEvent('paid', order.id, t);
          await emitOrderEvent('paid', order.id, t); // same ledger event: nothing new
        });
        await waitFor(() => smtp.received.length === 1 && fake.messages.length === 1);
        expect(fake.messages[0]).to.include({ channel: 'alimtalk', templateCode: 'pycon_2026_paid', recipientNo: '01012345678' });
        const histories = await NotificationHistory.findAll({ order: [['channel', 'ASC']] });
        expect(histories.map((h) => `${h.channel}/${h.trigger}`)).to.deep.equal(['email/order_paid', 'kakao/order_paid']);
      } finally {
        stop();
        configureNotifications({ backendDomain: 'http://shop.test', scancodeSalts: worker.config.scancodeSalts, sender: worker.config.mail.from });
      }
    });

    it('without Kakao configured only the e-mail goes out', async () => {
      const stop = registerOrderNotifications();
      try {
        const order = await paidOrder();
        await sequelize.transaction(async (t) => emitOrderEvent('paid', order.id, t));
        await waitFor(() => smtp.received.length === 1);
        expect(await NotificationHistory.count({ where: { channel: 'kakao' } })).to.equal(0);
      } finally {
        stop();
      }
    });
  });

  it('workerConfig carries the NHN settings (sanity of the test set-up)', () => {
    expect(workerConfig(1, nhnEnv(fake)).nhn.sms.sendNo).to.equal('02-123-4567');
  });
});
