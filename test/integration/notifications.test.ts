// Issue #8: e-mail notifications through a real Agenda worker and a real SMTP server.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { QueryTypes, type Sequelize } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeGroup, makeOption, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { startTestSmtp, waitFor, type TestSmtp } from '../helpers/smtp.js';
import { startTestWorker, type TestWorker } from '../helpers/jobs.js';
import { CustomerInfo, NotificationHistory, NotificationRecipient, NotificationTemplate, Order, PaymentHistory } from '../../src/models/index.js';
import {
  deliverNotification,
  notifyOrderEvent,
  previewNotification,
  registerOrderNotifications,
  retryNotifications,
  sendNotification,
  sweepNotifications,
  MissingContextVariablesError,
  NO_RECIPIENTS_MESSAGE,
} from '../../src/services/notifications.js';
import { emitOrderEvent } from '../../src/services/order-events.js';
import { createMailer } from '../../src/services/mailer.js';
import { enqueueAfterCommit, enqueueNow } from '../../src/jobs/enqueue.js';
import { JOB } from '../../src/jobs/names.js';
import { ServiceError } from '../../src/services/errors.js';
import { signScancodeToken, scancodeUrl } from '../../src/domain/scancode/token.js';
import { renderTemplate, templateVariables, missingVariables } from '../../src/domain/notification/template.js';

const require = createRequire(import.meta.url);
const templatesSeeder = require('../../seeders/20261125000010-notification-templates.cjs') as {
  up(qi: unknown): Promise<void>;
  TEMPLATES: Array<{ code: string; language: string }>;
};

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: 'PyCon' };

async function paidOrder(info: Partial<typeof INFO> | null = {}, status: 'completed' | 'partial_refunded' | 'refunded' = 'completed'): Promise<Order> {
  const user = await makeUser();
  const shirt = await makeProduct({ nameKo: '컨퍼런스 티켓', nameEn: 'Conference ticket', price: 20000 });
  const size = await makeGroup(shirt, { nameKo: '티셔츠 사이즈', nameEn: 'T-shirt size' });
  const xl = await makeOption(size, { nameKo: 'XL', additionalPrice: 3000 });
  const badge = await makeGroup(shirt, { nameKo: '배지이름', isCustomResponse: true, customResponsePattern: '.*' });
  const order = await makeOrder(user, [{ product: shirt, options: [{ group: size, option: xl }, { group: badge, customResponse: 'Gildong' }] }], status);
  await order.update({ nameKo: '컨퍼런스 티켓', nameEn: 'Conference ticket' });
  if (info) await CustomerInfo.create({ orderId: order.id, ...INFO, ...info });
  return order;
}

async function jobRows(sequelize: Sequelize): Promise<Array<{ name: string; data: { recipientId?: string } }>> {
  return sequelize.query(`SELECT name, data FROM agenda_jobs`, { type: QueryTypes.SELECT });
}

const recipientRow = async (id: string) => (await NotificationRecipient.findByPk(id))!;
/** The recipient row once it has reached `status`. */
const recipientWhen = async (id: string, status: string) =>
  (await waitFor(async () => {
    const r = await recipientRow(id);
    return r.status === status ? r : null;
  }))!;

describe('notifications (Agenda worker + SMTP)', function () {
  this.timeout(30_000);
  let smtp: TestSmtp;
  let worker: TestWorker;
  let sequelize: Sequelize;

  before(async () => {
    smtp = await startTestSmtp();
    sequelize = await resetDb();
    worker = await startTestWorker(smtp.port);
  });
  after(async () => {
    await worker?.stop();
    await smtp?.close();
  });
  beforeEach(async () => {
    sequelize = await resetDb();
    await templatesSeeder.up(sequelize.getQueryInterface());
    smtp.reset();
  });

  describe('templates (domain)', () => {
    it('finds root variable names (also Korean, with attributes and filters) and renders missing ones as empty', () => {
      const text = '{{ customer_name }}님 {{order.name}} {{ 배지이름 }} {{ first_paid_at|date:"Y" }} {{customer_name}}';
      expect(templateVariables(text, '{{ scancode_url }}')).to.deep.equal(['customer_name', 'first_paid_at', 'order', 'scancode_url', '배지이름']);
      expect(renderTemplate(text, { customer_name: '홍', order: { name: '주문' }, 배지이름: 'G', first_paid_at: null })).to.equal('홍님 주문 G  홍');
      expect(missingVariables(['a', 'b', 'c'], { a: 1, c: null })).to.deep.equal(['b']);
    });

    it('the non-demo seeder adds the paid / refunded templates in Korean and English, once', async () => {
      await templatesSeeder.up(sequelize.getQueryInterface()); // second run: no duplicates
      const rows = await NotificationTemplate.findAll({ order: [['code', 'ASC'], ['language', 'ASC']] });
      expect(rows.map((r) => `${r.code}/${r.language}/${r.active}`)).to.deep.equal([
        'order_paid/en/true',
        'order_paid/ko/true',
        'order_refunded/en/true',
        'order_refunded/ko/true',
      ]);
      for (const r of rows) expect(templateVariables(r.subject, r.body)).to.include.members(['order_name', 'customer_name']);
      expect(rows.find((r) => r.code === 'order_paid' && r.language === 'ko')!.body).to.include('{{ scancode_url }}');
    });
  });

  describe('automatic e-mails on order events', () => {
    it('enqueues only after the transaction commits; the worker sends the paid e-mail with the §6.6 context', async () => {
      const order = await paidOrder();
      let recipientId: string | null = null;
      await sequelize.transaction(async (t) => {
        recipientId = await notifyOrderEvent(order.id, 'paid', t);
        expect(recipientId).to.be.a('string');
        // the job is written with the message, in the transaction (its own statement: enqueueNowSql)…
        expect(await sequelize.query(`SELECT name, data FROM agenda_jobs`, { type: QueryTypes.SELECT, transaction: t })).to.deep.equal([
          { name: JOB.NOTIFICATION_SEND, data: { recipientId } },
        ]);
        // …and not committed yet: another connection sees no job, nothing is sent
        expect(await jobRows(sequelize)).to.have.length(0);
        await new Promise((r) => setTimeout(r, 150));
        expect(smtp.received).to.have.length(0);
      });
      const mail = await waitFor(() => smtp.received[0]);
      expect(mail.to).to.deep.equal(['gildong@example.com']);
      expect(mail.from).to.equal('shop@test.example');
      expect(mail.subject).to.equal('[PyCon 한국] 결제가 완료되었습니다 - 컨퍼런스 티켓');
      const url = scancodeUrl('http://shop.test', signScancodeToken('order', order.id, worker.config.scancodeSalts));
      expect(mail.text).to.include('홍길동님, 안녕하세요.');
      expect(mail.text).to.include(url);
      expect(mail.text).to.include('결제 금액: 23,000원'); // amounts with thousands separators
      const row = await recipientWhen(recipientId!, 'SENT');
      expect(row.attempts).to.equal(1);
      expect(row.sentAt).to.be.instanceOf(Date);
      expect(row.messageId).to.be.a('string').and.not.equal('');
      expect(row.context).to.include({
        order_id: order.id,
        order_name: '컨퍼런스 티켓',
        first_paid_price: '23,000',
        current_paid_price: '23,000',
        customer_organization: 'PyCon',
        성함: '홍길동',
        성명: '홍길동',
        소속: 'PyCon',
        customer_name: '홍길동',
        customer_email: 'gildong@example.com',
        customer_phone: '010-1234-5678',
        scancode_url: url,
        '티셔츠 사이즈': 'XL',
        배지이름: 'Gildong',
      });
      expect(row.context.first_paid_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00$/);
      const history = (await NotificationHistory.findByPk(row.historyId))!;
      expect(history.trigger).to.equal('order_paid');
      expect(history.templateSnapshot).to.include({ code: 'order_paid', language: 'ko' });
      expect(history.sender).to.equal('Conference Shop <shop@test.example>');
      await waitFor(async () => (await jobRows(sequelize)).length === 0); // completed jobs are removed
    });

    it('a rollback enqueues nothing, creates nothing and sends nothing', async () => {
      const order = await paidOrder();
      const err = await sequelize
        .transaction(async (t) => {
          expect(await notifyOrderEvent(order.id, 'paid', t)).to.be.a('string');
          throw new Error('payment failed later in the transaction');
        })
        .catch((e: Error) => e);
      expect((err as Error).message).to.equal('payment failed later in the transaction');
      expect(await NotificationRecipient.count()).to.equal(0);
      expect(await NotificationHistory.count()).to.equal(0);
      expect(await jobRows(sequelize)).to.have.length(0);
      await new Promise((r) => setTimeout(r, 300)); // > 2 poll intervals of the worker
      expect(smtp.received).to.have.length(0);
    });

    it('enqueueAfterCommit: a savepoint commit does not count, only the outer commit; without a transaction at once', async () => {
      await sequelize
        .transaction(async (t) => {
          await sequelize.transaction({ transaction: t }, async (sp) => {
            await enqueueAfterCommit(sp, 'test-unknown-job', { n: 1 });
          });
          expect(await jobRows(sequelize)).to.have.length(0); // savepoint released, outer still open
          throw new Error('rollback');
        })
        .catch(() => {});
      expect(await jobRows(sequelize)).to.have.length(0);
      await sequelize.transaction(async (t) => enqueueAfterCommit(t, 'test-unknown-job', { n: 2 }));
      await enqueueAfterCommit(null, 'test-unknown-job', { n: 3 });
      const rows = await jobRows(sequelize);
      expect(rows.map((r) => (r.data as { n: number }).n).sort()).to.deep.equal([2, 3]);
    });

    it('order events (paid / refunded) send through registerOrderNotifications; each ledger event once; English on request', async () => {
      const stop = registerOrderNotifications();
      try {
        const order = await paidOrder();
        await sequelize.transaction(async (t) => {
          await emitOrderEvent('paid', order.id, t);
          await emitOrderEvent('paid', order.id, t); // the same ledger event again: no second e-mail
        });
        await waitFor(() => smtp.received.length === 1);
        await sequelize.transaction(async (t) => {
          await PaymentHistory.create({ orderId: order.id, status: 'refunded', price: 0, impId: 'imp_x' }, { transaction: t });
          await emitOrderEvent('refunded', order.id, t);
        });
        await waitFor(() => smtp.received.length === 2);
        expect(smtp.received[1]!.subject).to.equal('[PyCon 한국] 환불이 처리되었습니다 - 컨퍼런스 티켓');
        expect(smtp.received[1]!.text).to.include('환불 후 남은 결제 금액: 0원');
        expect(await NotificationHistory.count()).to.equal(2);
      } finally {
        stop();
      }
      const en = await paidOrder({ email: 'en@example.com' });
      await sequelize.transaction(async (t) => notifyOrderEvent(en.id, 'paid', t, { lang: 'en' }));
      const mail = (await waitFor(() => smtp.received.find((m) => m.to[0] === 'en@example.com')))!;
      expect(mail.subject).to.equal('[PyCon Korea] Payment completed - Conference ticket');
      expect(mail.text).to.include('Amount paid: KRW 23,000');
    });

    it('is a no-op without customer e-mail or template, and never breaks the caller’s transaction', async () => {
      const noInfo = await paidOrder(null);
      const ok = await paidOrder();
      await sequelize.transaction(async (t) => {
        expect(await notifyOrderEvent(noInfo.id, 'paid', t)).to.equal(null);
        expect(await notifyOrderEvent('not-a-uuid', 'paid', t)).to.equal(null); // an SQL error inside: savepoint rolled back
        await NotificationTemplate.update({ active: false }, { where: { code: 'order_refunded' }, transaction: t });
        expect(await notifyOrderEvent(ok.id, 'refunded', t)).to.equal(null);
        await ok.update({ nameKo: '커밋되어야 함' }, { transaction: t }); // the transaction is still usable
      });
      expect((await Order.findByPk(ok.id))!.nameKo).to.equal('커밋되어야 함');
      expect(await NotificationRecipient.count()).to.equal(0);
    });
  });

  describe('delivery: idempotent, retried, visible', () => {
    async function createdRecipient(email = 'gildong@example.com'): Promise<NotificationRecipient> {
      const h = await NotificationHistory.create({
        channel: 'email',
        templateCode: 'x',
        templateLanguage: 'ko',
        templateSnapshot: { code: 'x', language: 'ko', name: '', subject: 's', body: 'b' },
        sender: 'x',
        trigger: 'manual',
      });
      return NotificationRecipient.create({ historyId: h.id, recipient: email, subject: '제목', body: '본문' });
    }

    it('a job delivered twice (or run concurrently) sends once', async () => {
      const r = await createdRecipient();
      const mailer = createMailer(worker.config.mail);
      const deps = { mailer, maxAttempts: 3, retryDelayMs: 1000 };
      const results = await Promise.all([1, 2, 3].map(() => deliverNotification(sequelize, r.id, deps)));
      expect(results.map((x) => x.outcome).sort()).to.deep.equal(['sent', 'skipped', 'skipped']);
      // the same job enqueued again twice after it was sent: the worker runs both, nothing is sent
      await enqueueNow(JOB.NOTIFICATION_SEND, { recipientId: r.id });
      await enqueueNow(JOB.NOTIFICATION_SEND, { recipientId: r.id });
      await waitFor(async () => (await jobRows(sequelize)).length === 0);
      expect(smtp.received).to.have.length(1);
      expect((await recipientRow(r.id)).attempts).to.equal(1);
      mailer.close();
    });

    it('a transient SMTP failure (451) is retried after a delay and then sent; the failure was visible meanwhile', async () => {
      smtp.refuseNext(1, 451, 'mailbox busy');
      const order = await paidOrder();
      const id = (await sequelize.transaction(async (t) => notifyOrderEvent(order.id, 'paid', t)))!;
      const failed = await recipientWhen(id, 'FAILED');
      expect(failed.lastError).to.match(/^attempt 1\/3: .*451.*mailbox busy/);
      expect(failed.nextAttemptAt).to.be.instanceOf(Date);
      expect(failed.nextAttemptAt!.getTime() - failed.updatedAt.getTime()).to.be.within(450, 600);
      const sent = await recipientWhen(id, 'SENT');
      expect(sent.attempts).to.equal(2);
      expect(sent.lastError).to.equal(null);
      expect(smtp.received).to.have.length(1);
    });

    it('a permanent failure (550) is not retried and keeps its error; operators can retry it', async () => {
      smtp.refuseNext(1, 550, 'no such user');
      const order = await paidOrder();
      const id = (await sequelize.transaction(async (t) => notifyOrderEvent(order.id, 'paid', t)))!;
      const failed = await recipientWhen(id, 'FAILED');
      expect(failed.lastError).to.match(/^attempt 1\/3 \(permanent\): .*550.*no such user/);
      expect(failed.nextAttemptAt).to.equal(null);
      await new Promise((r) => setTimeout(r, 300));
      expect((await recipientRow(id)).status).to.equal('FAILED');
      expect(await retryNotifications(sequelize, [id])).to.deep.equal([id]);
      await waitFor(async () => (await recipientRow(id)).status === 'SENT');
      expect((await recipientRow(id)).attempts).to.equal(2);
      expect(smtp.received).to.have.length(1);
    });

    it('backs off exponentially and gives up after NOTIFICATION_MAX_ATTEMPTS', async () => {
      const r = await createdRecipient();
      smtp.refuseNext(3, 421, 'service not available');
      const mailer = createMailer(worker.config.mail);
      let now = new Date('2026-12-01T00:00:00Z');
      const deps = { mailer, maxAttempts: 3, retryDelayMs: 60_000, now: () => now };
      const first = await deliverNotification(sequelize, r.id, deps);
      expect(first).to.include({ outcome: 'retry' });
      expect((first as { at: Date }).at.toISOString()).to.equal('2026-12-01T00:01:00.000Z');
      expect(await deliverNotification(sequelize, r.id, deps)).to.deep.equal({ outcome: 'skipped' }); // not due yet
      now = (first as { at: Date }).at;
      const second = await deliverNotification(sequelize, r.id, deps);
      expect((second as { at: Date }).at.toISOString()).to.equal('2026-12-01T00:03:00.000Z'); // 2 × the delay
      now = (second as { at: Date }).at;
      const third = await deliverNotification(sequelize, r.id, deps);
      expect(third.outcome).to.equal('failed');
      const row = await recipientRow(r.id);
      expect(row).to.include({ status: 'FAILED', attempts: 3, nextAttemptAt: null });
      expect(row.lastError).to.match(/^attempt 3\/3 \(no attempts left\): .*421/);
      mailer.close();
    });

    it('without SMTP_HOST the e-mail fails at once with a clear error', async () => {
      const r = await createdRecipient();
      const mailer = createMailer({ ...worker.config.mail, smtp: null });
      const res = await deliverNotification(sequelize, r.id, { mailer, maxAttempts: 3, retryDelayMs: 1000 });
      expect(res.outcome).to.equal('failed');
      expect((await recipientRow(r.id)).lastError).to.include('SMTP_HOST is not set');
    });

    it('the sweep re-enqueues lost jobs and marks sends interrupted by a dead worker as FAILED (no resend)', async () => {
      const lost = await createdRecipient('lost@example.com');
      const stuck = await createdRecipient('stuck@example.com');
      await sequelize.query(`UPDATE notification_recipients SET updated_at = now() - interval '1 hour' WHERE id = :id`, { replacements: { id: lost.id } });
      await sequelize.query(`UPDATE notification_recipients SET status = 'SENDING', attempts = 1, claimed_at = now() - interval '1 hour' WHERE id = :id`, {
        replacements: { id: stuck.id },
      });
      expect(await sweepNotifications(sequelize)).to.deep.equal({ requeued: 1, interrupted: 1 });
      await waitFor(async () => (await recipientRow(lost.id)).status === 'SENT');
      const s = await recipientRow(stuck.id);
      expect(s.status).to.equal('FAILED');
      expect(s.lastError).to.include('delivery unknown');
      expect(smtp.received.map((m) => m.to[0])).to.deep.equal(['lost@example.com']);
    });
  });

  describe('admin preview and send (spec §6.6)', () => {
    it('preview: template variables, one recipient per order (also two orders of one address) with context and missing variables; skipped orders', async () => {
      const a = await paidOrder();
      const sameEmail = await paidOrder({ name: '홍길동2' }); // same e-mail, another order → its own message
      const noInfo = await paidOrder(null);
      const refunded = await paidOrder({ email: 'refunded@example.com' }, 'refunded');
      const partial = await paidOrder({ email: 'partial@example.com' }, 'partial_refunded');
      const custom = await NotificationTemplate.create({ code: 'reminder', language: 'ko', subject: '{{ order_name }} 안내', body: '{{ customer_name }} {{ 배지이름 }} {{ seat }}' });
      const preview = await previewNotification({
        templateId: custom.id,
        orderIds: [a.id, sameEmail.id, noInfo.id, refunded.id, partial.id],
        contextOverride: { customer_name: '참가자' },
      });
      expect(preview.template_variables).to.deep.equal(['customer_name', 'order_name', 'seat', '배지이름']);
      expect(preview.recipients.map((r) => r.recipient)).to.deep.equal(['gildong@example.com', 'gildong@example.com', 'partial@example.com']);
      expect(preview.recipients.map((r) => r.dedupe_key).sort()).to.deep.equal([a.id, sameEmail.id, partial.id].sort());
      expect(new Set(preview.recipients.map((r) => r.order_id))).to.deep.equal(new Set([a.id, sameEmail.id, partial.id]));
      const first = preview.recipients.find((r) => r.order_id === a.id)!;
      expect(first.missing_variables).to.deep.equal(['seat']);
      expect(first.context).to.include({ customer_name: '참가자', 배지이름: 'Gildong' });

      const err = await sendNotification({ templateId: custom.id, orderIds: [a.id, partial.id] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(MissingContextVariablesError);
      expect((err as MissingContextVariablesError).status).to.equal(400);
      expect((err as MissingContextVariablesError).recipients.map((r) => r.missing_variables)).to.deep.equal([['seat'], ['seat']]);
      expect(await NotificationHistory.count()).to.equal(0);
    });

    it('send: 400s of §6.6, then one history + one job per recipient, e-mails with the override', async () => {
      const a = await paidOrder();
      const b = await paidOrder({ email: 'second@example.com', name: '김철수' });
      const t = await NotificationTemplate.create({ code: 'reminder', language: 'ko', subject: '{{ order_name }} 안내', body: '{{ customer_name }}님, 좌석 {{ seat }}' });
      const bad = await sendNotification({ templateId: '00000000-0000-4000-8000-000000000000', orderIds: [a.id] }).catch((e: ServiceError) => e);
      expect((bad as ServiceError).errors).to.deep.equal([{ code: 'does_not_exist', detail: 'Template not found.', attr: 'template_id' }]);
      const inactive = await NotificationTemplate.create({ code: 'old', language: 'ko', subject: 's', body: 'b', active: false });
      expect(((await sendNotification({ templateId: inactive.id, orderIds: [a.id] }).catch((e) => e)) as ServiceError).errors[0]!.attr).to.equal('template_id');
      const none = await sendNotification({ templateId: t.id, orderIds: [], contextOverride: { seat: 'A1' } }).catch((e: ServiceError) => e);
      expect((none as ServiceError).status).to.equal(400);
      expect((none as ServiceError).errors[0]!.detail).to.equal(NO_RECIPIENTS_MESSAGE);
      const arr = await sendNotification({ templateId: t.id, orderIds: [a.id], contextOverride: [1] }).catch((e: ServiceError) => e);
      expect((arr as ServiceError).errors[0]!.attr).to.equal('context_override');

      const history = await sendNotification({ templateId: t.id, orderIds: [a.id, b.id], contextOverride: { seat: 'A1' } });
      expect(history.trigger).to.equal('manual');
      expect(history.recipients.map((r) => [r.recipient, r.status])).to.deep.equal([
        ['gildong@example.com', 'CREATED'],
        ['second@example.com', 'CREATED'],
      ]);
      await waitFor(() => smtp.received.length === 2);
      const texts = smtp.received.map((m) => m.text.trim()).sort();
      expect(texts).to.deep.equal(['김철수님, 좌석 A1', '홍길동님, 좌석 A1']);
      expect(smtp.received[0]!.subject).to.equal('컨퍼런스 티켓 안내');
      await waitFor(async () => (await NotificationRecipient.count({ where: { status: 'SENT' } })) === 2);
    });
  });
});
