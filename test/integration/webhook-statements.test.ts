/**
 * The webhook's completion in few statements (src/services/payment-sql.ts, payment-revalidation.ts): it writes
 * the same rows, audit rows, notification rows and event rows as the generic path it replaced (Sequelize
 * create / update / destroy + the audit hooks of src/models/index.ts, the notification read one query at a
 * time), and its statement counts do not grow back.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import request from 'supertest';
import type { Express } from 'express';
import { QueryTypes, type Sequelize } from 'sequelize';
import { resetDb, countQueries, queryLog, testConfig } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { startTestSmtp, waitFor } from '../helpers/smtp.js';
import { startTestWorker } from '../helpers/jobs.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeGroup, makeOption, makeTag, makeUser } from '../helpers/fixtures.js';
import {
  AuditLog,
  CustomerInfo,
  NotificationHistory,
  NotificationRecipient,
  NotificationTemplate,
  Order,
  OrderProductRelation,
  PaymentHistory,
  PaymentWebhookEvent,
  Product,
  SingleProductCart,
  type User,
} from '../../src/models/index.js';
import { runAs, currentActor } from '../../src/context.js';
import { addressOn, configureNotifications, orderContext, recoverPaidNotifications, registerOrderNotifications, renderMessage, viewsFor } from '../../src/services/notifications.js';
import { singleOrderName } from '../../src/domain/cart/order-name.js';
import { signScancodeToken, scancodeUrl } from '../../src/domain/scancode/token.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';

const require = createRequire(import.meta.url);
const emailSeeder = require('../../seeders/20261125000010-notification-templates.cjs') as { up(qi: unknown): Promise<void> };
const kakaoSeeder = require('../../seeders/20261206170000-kakao-templates.cjs') as { up(qi: unknown): Promise<void> };

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const WEBHOOK = '/v1/shop/payment-histories/';
const SETTINGS = { backendDomain: 'http://shop.test', scancodeSalts: testConfig.scancodeSalts, sender: 'shop@example.com' };
const WEBHOOK_ACTOR = { userId: null, label: 'webhook:portone' };

type Row = Record<string, unknown>;
const plainRows = async (model: { findAll(o: object): Promise<Array<{ get(o: { plain: true }): unknown }>> }, order: string[][]) =>
  (await model.findAll({ order })).map((r) => r.get({ plain: true }) as Row);

async function auditsAfter(id: number): Promise<Row[]> {
  return (await plainRows(AuditLog, [['id', 'ASC']])).filter((r) => Number(r.id) > id).map(({ id: _id, createdAt: _at, ...rest }) => rest);
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PAID_AT = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00/g;

/** Ids, users, timestamps and preparation values replaced by names / placeholders, for comparing two paths. */
function normalize(value: unknown, names: Map<string, string>): unknown {
  if (typeof value === 'number' && names.has(`#${value}`)) return names.get(`#${value}`);
  if (typeof value === 'string') {
    if (names.has(value)) return names.get(value);
    if (ISO.test(value)) return 'ISO';
    let s = value;
    for (const [from, to] of names) if (!from.startsWith('#') && from.length > 8) s = s.split(from).join(to);
    return s.replace(PAID_AT, 'PAID_AT');
  }
  if (Array.isArray(value)) return value.map((v) => normalize(v, names));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (k === 'preparedCartSnapshot' && v) return [k, 'SNAPSHOT'];
        if (k === 'preparedCartHash' && v) return [k, 'HASH'];
        if (k === 'requestFingerprint' && v) return [k, 'FINGERPRINT'];
        return [k, normalize(v, names)];
      }),
    );
  }
  return value instanceof Date ? 'DATE' : value;
}

/** The notification rows of an order (history and recipient), without generated ids and timestamps. */
async function notificationsOf(orderId: string): Promise<Row[]> {
  const recipients = (await plainRows(NotificationRecipient, [['createdAt', 'ASC']])).filter((r) => r.orderId === orderId);
  const histories = await plainRows(NotificationHistory, [['createdAt', 'ASC']]);
  return recipients.map(({ id: _id, historyId, createdAt: _c, updatedAt: _u, ...r }) => {
    const { id: _hid, createdAt: _hc, ...h } = histories.find((x) => x.id === historyId)!;
    return { history: h, recipient: r };
  });
}

/** Names for one order: its ids, its buyer, its QR page; `extra` for the rest. */
function namesOf(orderId: string, buyer: User, extra: Array<[string, string]> = []): Map<string, string> {
  return new Map<string, string>([
    [scancodeUrl(SETTINGS.backendDomain, signScancodeToken('order', orderId, SETTINGS.scancodeSalts)), 'QR_PAGE'],
    [orderId, 'ORDER'],
    [`#${buyer.id}`, 'BUYER'],
    ...extra,
  ]);
}

/**
 * The old automatic e-mail, as it was written: each read on its own, then `NotificationHistory.create` and
 * `NotificationRecipient.create` (the reference for the rows the preloaded path writes).
 */
async function oldNotify(orderId: string, t: Parameters<typeof viewsFor>[2], channel: 'email' | 'kakao' = 'email'): Promise<void> {
  const info = await CustomerInfo.findOne({ where: { orderId }, transaction: t });
  if (!info || !addressOn(channel, info)) return;
  const latest = await PaymentHistory.findOne({ where: { orderId }, order: [['createdAt', 'DESC'], ['id', 'DESC']], transaction: t });
  const eventKey = `order_paid:${channel === 'email' ? '' : `${channel}:`}${orderId}:${latest?.id ?? 'none'}`;
  if (await NotificationHistory.findOne({ where: { eventKey }, transaction: t })) return;
  const template = (await NotificationTemplate.findOne({ where: { channel, code: 'order_paid', language: 'ko', active: true }, transaction: t }))!;
  const [view] = await viewsFor([orderId], template.language, t);
  const item = orderContext(view!, channel)!;
  const actor = currentActor();
  const history = await NotificationHistory.create(
    {
      channel,
      templateId: template.id,
      templateCode: template.code,
      templateLanguage: template.language,
      templateSnapshot: { code: template.code, language: template.language, name: template.name, subject: template.subject, body: template.body, provider_template_code: template.providerTemplateCode, body_format: template.bodyFormat },
      sender: channel === 'email' ? SETTINGS.sender : `nhn-cloud:${channel}`,
      trigger: 'order_paid',
      eventKey,
      contextOverride: {},
      createdById: actor.userId,
      createdByLabel: actor.label,
    },
    { transaction: t },
  );
  await NotificationRecipient.create(
    { historyId: history.id, orderId, dedupeKey: orderId, recipient: item.recipient, context: item.context, ...renderMessage(template, item.context) },
    { transaction: t },
  );
}

describe('webhook completion in few statements (same rows, audit rows, notifications, event rows)', () => {
  let app: Express;
  let sequelize: Sequelize;
  let sim: PortOneSimulator;
  let stop: () => void;
  beforeEach(async () => {
    sequelize = await resetDb();
    await emailSeeder.up(sequelize.getQueryInterface());
    configureNotifications({ ...SETTINGS, kakaoEnabled: false });
    stop = registerOrderNotifications();
    app = await makeApp();
    sim = await portoneSim();
    sim.reset();
    sim.setWebhookUrl(undefined);
  });
  afterEach(() => {
    stop();
    configureNotifications(null);
  });

  async function buyNow(user: User, productId: string, options: unknown[] = []) {
    return (await asBuyer(app, user).post('/v1/shop/orders/single/', { product: productId, options, customer_info: INFO }).expect(201)).body as { id: string; merchant_uid: string };
  }
  async function cartCheckout(user: User, productIds: string[]) {
    const b = asBuyer(app, user);
    for (const id of productIds) await b.post('/v1/shop/orders/cart/products/', { product: id, options: [] }).expect(201);
    return (await b.post('/v1/shop/orders/', INFO).expect(201)).body as { id: string; merchant_uid: string };
  }
  async function webhook(merchantUid: string) {
    const { payment } = await sim.pay({ merchant_uid: merchantUid, notify: false });
    let res: request.Response | undefined;
    const statements = await countQueries(async () => {
      res = await request(app).post(WEBHOOK).send({ imp_uid: payment.imp_uid, merchant_uid: merchantUid, status: 'paid' });
    });
    expect(res!.status, JSON.stringify(res!.body)).to.equal(200);
    return { payment, statements };
  }

  it('buy now: promotion + payment write the audit rows, notification rows and event rows of the generic path', async () => {
    const p = await makeProduct({ price: 20000, stock: 10, nameKo: '티셔츠', nameEn: '' });
    const g = await makeGroup(p, { minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const xl = await makeOption(g, { nameKo: 'XL', additionalPrice: 3000 });
    const options = [{ product_option_group: g.id, product_option: xl.id, custom_response: null }];
    const a = await makeUser();
    const b = await makeUser();
    const viaSql = await buyNow(a, p.id, options);
    const viaHooks = await buyNow(b, p.id, options);
    const itemOf = async (id: string) => (await SingleProductCart.findByPk(id))!.orderProductRelationId;
    const infoOf = async (id: string) => (await CustomerInfo.findOne({ where: { singleProductCartId: id } }))!.id;
    const namesA = namesOf(viaSql.id, a, [[await itemOf(viaSql.id), 'ITEM'], [await infoOf(viaSql.id), 'INFO']]);
    const namesB = namesOf(viaHooks.id, b, [[await itemOf(viaHooks.id), 'ITEM'], [await infoOf(viaHooks.id), 'INFO']]);

    const mark = Number(await AuditLog.max('id'));
    const { payment } = await webhook(viaSql.merchant_uid);
    const sqlAudits = await auditsAfter(mark);

    // the generic path the webhook took before, on the other buyer's identical buy-now cart
    const mark2 = Number(await AuditLog.max('id'));
    await runAs(WEBHOOK_ACTOR, () =>
      sequelize.transaction(async (t) => {
        const spc = (await SingleProductCart.findByPk(viaHooks.id, { transaction: t, lock: t.LOCK.UPDATE }))!;
        const opr = (await OrderProductRelation.findByPk(spc.orderProductRelationId, { transaction: t }))!;
        const product = (await Product.findByPk(opr.productId, { transaction: t, paranoid: false }))!;
        const name = singleOrderName(product.nameKo, product.nameEn);
        const order = await Order.create(
          { id: spc.id, userId: spc.userId, nameKo: name.ko, nameEn: name.en, preparedCartSnapshot: spc.preparedCartSnapshot, preparedCartHash: spc.preparedCartHash, stockHeldUntil: spc.stockHeldUntil },
          { transaction: t },
        );
        await opr.update({ orderId: order.id }, { transaction: t });
        await CustomerInfo.update({ orderId: order.id, singleProductCartId: null }, { where: { singleProductCartId: spc.id }, transaction: t, individualHooks: true });
        await spc.destroy({ transaction: t, force: true });
        await PaymentHistory.create({ orderId: order.id, impId: 'imp_reference', status: 'completed', price: 23000 }, { transaction: t });
        await OrderProductRelation.update({ status: 'paid' }, { where: { orderId: order.id, status: 'pending' }, transaction: t, individualHooks: true });
        await order.update({ stockHeldUntil: null }, { transaction: t });
        await oldNotify(order.id, t);
      }),
    );
    const hookAudits = await auditsAfter(mark2);
    expect(sqlAudits.map((x) => [x.tableName, x.action])).to.deep.equal([
      ['orders', 'create'],
      ['order_product_relations', 'update'],
      ['customer_infos', 'update'],
      ['single_product_carts', 'delete'],
      ['order_product_relations', 'update'],
      ['orders', 'update'],
    ]);
    expect(sqlAudits.map((x) => normalize(x, namesA))).to.deep.equal(hookAudits.map((x) => normalize(x, namesB)));
    // English name missing → the Korean one (singleOrderName)
    expect((await Order.findByPk(viaSql.id))!.nameEn).to.equal('티셔츠');

    // the rows themselves
    const rowsOf = async (id: string, names: Map<string, string>) => {
      const order = (await Order.findByPk(id))!.get({ plain: true });
      const items = (await OrderProductRelation.findAll({ where: { orderId: id } })).map((x) => x.get({ plain: true }));
      const info = (await CustomerInfo.findOne({ where: { orderId: id } }))!.get({ plain: true });
      const ledger = (await PaymentHistory.findAll({ where: { orderId: id } })).map((x) => ({ ...(x.get({ plain: true }) as Row), id: 'LEDGER', impId: 'IMP' }));
      return normalize({ order, items, info, ledger, spcs: await SingleProductCart.count({ where: { id } }) }, names);
    };
    expect(await rowsOf(viaSql.id, namesA)).to.deep.equal(await rowsOf(viaHooks.id, namesB));

    // the paid e-mail: its reads rode in the paid write; the rows are the ones read one by one would give
    const sqlMail = await notificationsOf(viaSql.id);
    expect(sqlMail).to.have.length(1);
    const ledgerA = (await PaymentHistory.findOne({ where: { orderId: viaSql.id } }))!.id;
    const ledgerB = (await PaymentHistory.findOne({ where: { orderId: viaHooks.id } }))!.id;
    expect(normalize(sqlMail, new Map([...namesA, [ledgerA, 'LEDGER']]))).to.deep.equal(normalize(await notificationsOf(viaHooks.id), new Map([...namesB, [ledgerB, 'LEDGER']])));
    expect((sqlMail[0]!.recipient as Row).subject).to.equal('[PyCon 한국] 결제가 완료되었습니다 - 티셔츠');

    // the event rows: the look-up names the buy-now cart it found, the acceptance the order and its ledger row
    const events = await PaymentWebhookEvent.findAll({ order: [['createdAt', 'ASC']] });
    expect(events.map((e) => [e.eventType, e.orderId, e.singleProductCartId, e.paymentHistoryId, e.impUid, e.merchantUid])).to.deep.equal([
      ['webhook_received', null, null, null, payment.imp_uid, viaSql.merchant_uid],
      ['payment_lookup_succeeded', null, viaSql.id, null, payment.imp_uid, viaSql.merchant_uid],
      ['payment_accepted', viaSql.id, null, ledgerA, payment.imp_uid, viaSql.merchant_uid],
    ]);
    expect(events[1]!.paymentLookupResponse).to.deep.include({ imp_uid: payment.imp_uid, status: 'paid', amount: 23000 });
    expect(events.map((e) => e.requestPayload)).to.deep.equal(Array(3).fill({ imp_uid: payment.imp_uid, merchant_uid: viaSql.merchant_uid, status: 'paid' }));
  });

  it('cart: the payment writes the audit rows, notification rows and event rows of the generic path', async () => {
    const p = await makeProduct({ price: 10000, stock: 10 });
    const q = await makeProduct({ price: 5000 });
    const a = await makeUser();
    const b = await makeUser();
    const viaSql = await cartCheckout(a, [p.id, q.id]);
    const viaHooks = await cartCheckout(b, [p.id, q.id]);
    const itemNames = async (id: string) => (await OrderProductRelation.findAll({ where: { orderId: id } })).map((x) => [x.id, x.productId === p.id ? 'ITEM_P' : 'ITEM_Q'] as [string, string]);
    const namesA = namesOf(viaSql.id, a, await itemNames(viaSql.id));
    const namesB = namesOf(viaHooks.id, b, await itemNames(viaHooks.id));

    const mark = Number(await AuditLog.max('id'));
    const { payment } = await webhook(viaSql.merchant_uid);
    const sqlAudits = await auditsAfter(mark);
    const mark2 = Number(await AuditLog.max('id'));
    await runAs(WEBHOOK_ACTOR, () =>
      sequelize.transaction(async (t) => {
        const order = (await Order.findByPk(viaHooks.id, { transaction: t, lock: t.LOCK.UPDATE }))!;
        await PaymentHistory.create({ orderId: order.id, impId: 'imp_reference', status: 'completed', price: 15000 }, { transaction: t });
        await OrderProductRelation.update({ status: 'paid' }, { where: { orderId: order.id, status: 'pending' }, transaction: t, individualHooks: true });
        await order.update({ stockHeldUntil: null }, { transaction: t });
        await oldNotify(order.id, t);
      }),
    );
    const hookAudits = await auditsAfter(mark2);
    // the items' rows come in the order the bulk update found them (not specified): compare them as a set
    const sorted = (rows: Row[], names: Map<string, string>) =>
      rows.map((x) => normalize(x, names) as Row).sort((x, y) => (x.tableName === y.tableName ? String(x.recordId).localeCompare(String(y.recordId)) : 0));
    expect(sqlAudits.map((x) => [x.tableName, x.action])).to.deep.equal([
      ['order_product_relations', 'update'],
      ['order_product_relations', 'update'],
      ['orders', 'update'],
    ]);
    expect(sorted(sqlAudits, namesA)).to.deep.equal(sorted(hookAudits, namesB));
    expect(sqlAudits[0]!.before).to.deep.equal({ status: 'pending', updatedById: a.id }); // the buyer was the items' last updater
    expect(sqlAudits[2]!.after).to.deep.equal({ stockHeldUntil: null, updatedById: null });

    const ledgerA = (await PaymentHistory.findOne({ where: { orderId: viaSql.id } }))!.id;
    const ledgerB = (await PaymentHistory.findOne({ where: { orderId: viaHooks.id } }))!.id;
    expect(normalize(await notificationsOf(viaSql.id), new Map([...namesA, [ledgerA, 'LEDGER']]))).to.deep.equal(
      normalize(await notificationsOf(viaHooks.id), new Map([...namesB, [ledgerB, 'LEDGER']])),
    );
    const events = await PaymentWebhookEvent.findAll({ order: [['createdAt', 'ASC']] });
    expect(events.map((e) => [e.eventType, e.orderId, e.singleProductCartId, e.paymentHistoryId])).to.deep.equal([
      ['webhook_received', null, null, null],
      ['payment_lookup_succeeded', viaSql.id, null, null],
      ['payment_accepted', viaSql.id, null, ledgerA],
    ]);
    expect(events[2]!.impUid).to.equal(payment.imp_uid);
  });

  it('items of one order last changed by different users: each audit row says pending → paid and names the new updater', async () => {
    // (the generic bulk update saved such rows one by one without `updatedById` and audited them as
    // paid → paid; the one-statement write records what changed)
    const p = await makeProduct({ price: 10000, stock: 10 });
    const q = await makeProduct({ price: 5000 });
    const user = await makeUser();
    const co = await cartCheckout(user, [p.id, q.id]);
    const operator = await makeUser({ isStaff: true });
    const [first] = await OrderProductRelation.findAll({ where: { orderId: co.id }, order: [['createdAt', 'ASC']] });
    await OrderProductRelation.update({ updatedById: operator.id }, { where: { id: first!.id }, hooks: false });
    const mark = Number(await AuditLog.max('id'));
    await webhook(co.merchant_uid);
    const audits = (await auditsAfter(mark)).filter((x) => x.tableName === 'order_product_relations');
    expect(audits.map((x) => [x.recordId === first!.id ? 'FIRST' : 'OTHER', x.before, x.after]).sort()).to.deep.equal(
      [
        ['FIRST', { status: 'pending', updatedById: operator.id }, { status: 'paid', updatedById: null }],
        ['OTHER', { status: 'pending', updatedById: user.id }, { status: 'paid', updatedById: null }],
      ].sort(),
    );
    expect((await OrderProductRelation.findAll({ where: { orderId: co.id } })).map((x) => [x.status, x.updatedById])).to.deep.equal([
      ['paid', null],
      ['paid', null],
    ]);
  });

  it('statements: 9 per paid buy-now or cart payment with its e-mail (≤ 12), 10 with Kakao too; a duplicate 2', async () => {
    const tagged = await makeProduct({ stock: 10, price: 7000 });
    await makeTag({ stock: 100 }, [tagged]);
    const other = await makeProduct({ price: 3000 });
    // received; look-up + target + items + "recorded?"; order lock or cart lock + promotion; ledger + locks;
    // catalogue rows; counts; ledger row + items paid + hold released + audit + accepted, sent with the COMMIT
    // and, behind the COMMIT in the same message, the e-mail's reads; then the e-mail's history + recipient
    const start = queryLog.length;
    const buyNow1 = await webhook((await buyNow(await makeUser(), tagged.id)).merchant_uid);
    const cart = await webhook((await cartCheckout(await makeUser(), [tagged.id, other.id])).merchant_uid);
    expect([buyNow1.statements, cart.statements]).to.deep.equal([9, 9]);
    // the paid write is the transaction's last statement: its COMMIT follows it at once (one message, nothing
    // else while the locks are held), and the e-mail is written after it, on another connection or not
    const log = queryLog.slice(start);
    const paidWrites = log.map((q, i) => (/INSERT INTO payment_histories/.test(q) ? i : -1)).filter((i) => i >= 0);
    expect(paidWrites).to.have.length(2);
    for (const i of paidWrites) {
      const tx = /^Executing \(([0-9a-f-]+)\)/.exec(log[i]!)![1];
      expect(log[i + 1], 'the COMMIT right after the paid write').to.equal(`Executing (${tx}): COMMIT`);
      const mail = log.findIndex((q, j) => j > i && /INSERT INTO notification_histories/.test(q));
      expect(mail, 'the e-mail after the COMMIT').to.be.greaterThan(i + 1);
      expect(log[mail], 'outside the payment\'s transaction').not.to.include(tx);
    }

    // the same notification delivered again: received; look-up + target + "recorded?" (yes) — nothing else
    const again = await countQueries(() => request(app).post(WEBHOOK).send({ imp_uid: cart.payment.imp_uid, merchant_uid: cart.payment.merchant_uid, status: 'paid' }).expect(200));
    expect(again).to.equal(2);

    // Kakao alimtalk configured: its own insert, its reads in the same read behind the COMMIT
    await kakaoSeeder.up(sequelize.getQueryInterface());
    configureNotifications({ ...SETTINGS, kakaoEnabled: true });
    const buyNow2 = await webhook((await buyNow(await makeUser(), tagged.id)).merchant_uid);
    expect(buyNow2.statements).to.equal(10);
    expect((await NotificationHistory.findAll()).map((h) => h.channel).sort()).to.deep.equal(['email', 'email', 'email', 'kakao']);
  });

  it('the paid e-mail\'s job is written by the e-mail\'s own statement, after the COMMIT; a worker sends it', async () => {
    const p = await makeProduct({ price: 12000, stock: 5, nameKo: '티켓' });
    const co = await buyNow(await makeUser(), p.id);
    const start = queryLog.length;
    await webhook(co.merchant_uid);
    // no statement of its own for the job or its NOTIFY: both ride in the e-mail's insert
    const log = queryLog.slice(start);
    const mail = log.filter((q) => /INSERT INTO notification_histories/.test(q));
    expect(mail).to.have.length(1);
    expect(mail[0]).to.match(/INSERT INTO agenda_jobs/).and.match(/pg_notify\('agenda_jobs'/);
    expect(log.filter((q) => /INSERT INTO "?agenda_jobs"?/.test(q) && !/notification_histories/.test(q))).to.deep.equal([]);
    const [recipient] = await NotificationRecipient.findAll({ where: { orderId: co.id } });
    const jobs = await sequelize.query<{ name: string; data: unknown }>(`SELECT name, data FROM agenda_jobs`, { type: QueryTypes.SELECT });
    expect(jobs).to.deep.equal([{ name: 'notification-send', data: { recipientId: recipient!.id } }]);

    // and a worker delivers it
    const smtp = await startTestSmtp();
    const worker = await startTestWorker(smtp.port);
    try {
      const sent = await waitFor(() => smtp.received[0], 15_000);
      expect(sent.to).to.deep.equal([INFO.email]);
      await waitFor(async () => (await NotificationRecipient.findByPk(recipient!.id))!.status === 'SENT', 10_000);
    } finally {
      await worker.stop();
      await smtp.close();
      configureNotifications({ ...SETTINGS, kakaoEnabled: false });
    }
  });

  it('when the paid e-mail cannot be written, the payment still commits, without the e-mail or its job', async () => {
    const p = await makeProduct({ price: 10000, stock: 5 });
    // a failure PostgreSQL raises inside the e-mail's insert (as a broken constraint would): the payment has
    // committed before it, and its answer stays 200
    await sequelize.query(`CREATE OR REPLACE FUNCTION test_refuse_recipient() RETURNS trigger LANGUAGE plpgsql AS $$
                             BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                           CREATE TRIGGER test_refuse_recipient BEFORE INSERT ON notification_recipients
                             FOR EACH ROW EXECUTE FUNCTION test_refuse_recipient();`);
    try {
      const co = await buyNow(await makeUser(), p.id);
      const jobsBefore = Number((await sequelize.query(`SELECT count(*) AS n FROM agenda_jobs`, { plain: true }))?.n ?? 0);
      await webhook(co.merchant_uid);
      const ledger = await PaymentHistory.findAll({ where: { orderId: co.id } });
      expect(ledger.map((h) => h.status)).to.deep.equal(['completed']);
      expect((await OrderProductRelation.findAll({ where: { orderId: co.id } })).map((i) => i.status)).to.deep.equal(['paid']);
      expect(await NotificationHistory.count(), 'the failed e-mail left nothing').to.equal(0);
      const jobsAfter = Number((await sequelize.query(`SELECT count(*) AS n FROM agenda_jobs`, { plain: true }))?.n ?? 0);
      expect(jobsAfter, 'no job for a message that was not written').to.equal(jobsBefore);
    } finally {
      await sequelize.query(`DROP TRIGGER IF EXISTS test_refuse_recipient ON notification_recipients; DROP FUNCTION IF EXISTS test_refuse_recipient();`);
    }
    // the sweep writes the message the webhook could not (once older than its grace), once
    const orderId = (await PaymentHistory.findOne({ where: { status: 'completed' } }))!.orderId;
    expect(await recoverPaidNotifications(sequelize), 'not before its grace').to.equal(0);
    const later = new Date(Date.now() + 10 * 60_000);
    expect(await recoverPaidNotifications(sequelize, { now: later })).to.equal(1);
    expect(await recoverPaidNotifications(sequelize, { now: later }), 'idempotent').to.equal(0);
    const recovered = await NotificationHistory.findAll();
    expect(recovered.map((h) => [h.trigger, h.eventKey])).to.deep.equal([['order_paid', `order_paid:${orderId}:${(await PaymentHistory.findOne({ where: { orderId } }))!.id}`]]);
    // (the same payment flow with the write succeeding: one message, one job — the counts above can move)
    const jobs = async () => Number((await sequelize.query(`SELECT count(*) AS n FROM agenda_jobs`, { plain: true }))?.n ?? 0);
    const before = await jobs();
    await webhook((await buyNow(await makeUser(), p.id)).merchant_uid);
    expect(await NotificationHistory.count()).to.equal(2);
    expect(await jobs()).to.equal(before + 1);
    // …which the sweep leaves alone
    expect(await recoverPaidNotifications(sequelize, { now: new Date(Date.now() + 10 * 60_000) })).to.equal(0);
  });
});
