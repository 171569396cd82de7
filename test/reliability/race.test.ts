/**
 * Issue #9 reliability: a ticket rush. 200 buyers race for 10 units through the cart and buy-now; some
 * winners' checkout holds expire while they pay, so more buyers pay than there are units; PortOne's webhooks
 * then arrive late, out of order and duplicated. Whatever the interleaving: exactly 10 sold, stock never
 * shown below zero, one completed ledger row per paid order, every other payment returned at the simulator,
 * and our ledger adds up to what the simulator kept.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { Op } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeApp, patientPortoneClient, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { Order, OrderProductRelation, PaymentHistory, SingleProductCart, type User } from '../../src/models/index.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';
import { processWebhook } from '../../src/services/webhook.js';
import { testConfig, testDb } from '../helpers/db.js';
import { portoneClient } from '../helpers/app.js';
import type { Transaction } from 'sequelize';
import { rng } from '../helpers/random.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const WEBHOOK = '/v1/shop/payment-histories/';
const UNITS = 10;
const BUYERS = 200;
const EXPIRED = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Checkout {
  user: User;
  id: string;
  merchantUid: string;
  amount: number;
  kind: 'cart' | 'single';
}

describe('reliability: 200 buyers racing for 10 units', function () {
  this.timeout(60_000);
  let app: Express;
  let sim: PortOneSimulator;

  beforeEach(async () => {
    await resetDb();
    app = await makeApp({ deps: { portone: await patientPortoneClient() } });
    sim = await portoneSim();
    sim.reset();
  });

  it('sells exactly 10, never shows stock below 0, one completed ledger row per paid order, every other payment returned', async () => {
    const seed = Number(process.env.RACE_SEED ?? Date.now() % 100_000);
    const random = rng(seed);
    const product = await makeProduct({ stock: UNITS, price: 33000, nameKo: '얼리버드 티켓' });
    const users = await Promise.all(Array.from({ length: BUYERS }, () => makeUser()));
    const statuses: number[] = [];

    // the catalogue is watched during the whole race: it must never show a negative leftover
    let watching = true;
    const seen: number[] = [];
    const watcher = (async () => {
      while (watching) {
        const res = await request(app).get(`/v1/shop/products/${product.id}/`);
        statuses.push(res.status);
        if (res.status === 200) seen.push(res.body.leftover_stock as number);
        await sleep(5);
      }
    })();

    // `again`: a second-wave cart buyer may still hold the unit a first-wave add put in their cart (their checkout
    // lost); adding another when one unit is left is then "too many in the cart", not "sold out"
    const attempt = async (user: User, kind: 'cart' | 'single', again = false): Promise<Checkout | null> => {
      const b = asBuyer(app, user);
      let res;
      if (kind === 'single') {
        res = await b.post('/v1/shop/orders/single/', { product: product.id, options: [], customer_info: INFO });
      } else {
        res = await b.post('/v1/shop/orders/cart/products/', { product: product.id, options: [] });
        statuses.push(res.status);
        if (res.status === 201) res = await b.post('/v1/shop/orders/', INFO);
      }
      statuses.push(res.status);
      if (res.status !== 201) {
        expect(res.status, JSON.stringify(res.body)).to.equal(400);
        expect(res.body.type).to.equal('validation_error');
        const codes = res.body.errors.map((e: { code: string }) => e.code);
        if (again && kind === 'cart' && codes.includes('PRODUCT_TOO_MUCH_CART_PRODUCT')) {
          expect(await OrderProductRelation.count({ where: { productId: product.id, status: 'pending' }, include: [{ model: Order, as: 'order', where: { userId: user.id } }] })).to.be.greaterThan(0);
          return null;
        }
        expect(codes).to.include('PRODUCT_SOLDOUT');
        return null;
      }
      return { user, id: res.body.id, merchantUid: res.body.merchant_uid, amount: res.body.first_paid_price, kind };
    };

    // wave 1: everyone at once, half through the cart, half buy-now
    const wave1 = (await Promise.all(users.map((u, i) => attempt(u, i % 2 ? 'cart' : 'single')))).filter((c): c is Checkout => !!c);
    expect(wave1, 'checkouts holding a unit').to.have.length(UNITS);

    // five winners take too long to pay: their holds expire, the units go back on sale
    const slow = wave1.slice(0, EXPIRED);
    for (const c of slow) {
      const past = new Date(Date.now() - 1000);
      if (c.kind === 'single') await SingleProductCart.update({ stockHeldUntil: past }, { where: { id: c.id } });
      else await Order.update({ stockHeldUntil: past }, { where: { id: c.id } });
    }
    const losers = users.filter((u) => !wave1.some((c) => c.user.id === u.id));
    const wave2 = (await Promise.all(losers.slice(0, 60).map((u, i) => attempt(u, i % 2 ? 'cart' : 'single', true)))).filter((c): c is Checkout => !!c);
    expect(wave2, 'second wave takes exactly the released units').to.have.length(EXPIRED);

    // everyone holding a checkout pays — including the slow five, whose units are gone by now
    const prepared = [...wave1, ...wave2];
    const payments = [];
    for (const c of prepared) {
      const { payment } = await sim.pay({ merchant_uid: c.merchantUid, notify: false });
      expect(payment.amount).to.equal(c.amount);
      payments.push({ checkout: c, impUid: payment.imp_uid });
    }

    // PortOne's webhooks: shuffled, 1–3 copies each, delivered with random delays, all concurrently
    const deliveries = payments.flatMap((p) => Array.from({ length: 1 + Math.floor(random() * 3) }, () => p));
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const answers = await Promise.all(
      deliveries.map(async (p, i) => {
        await sleep(Math.floor(random() * 40) + (i % 7 === 0 ? 150 : 0)); // some arrive late
        const res = await request(app).post(WEBHOOK).send({ imp_uid: p.impUid, merchant_uid: p.checkout.merchantUid, status: 'paid' });
        statuses.push(res.status);
        return { p, res };
      }),
    );
    watching = false;
    await watcher;

    const ctx = `seed ${seed}`;
    expect(statuses.filter((s) => s >= 500), `no 5xx (${ctx})`).to.deep.equal([]);
    const soldOutAnswers = new Map<string, number>();
    for (const { p, res } of answers) {
      expect(res.status, ctx).to.be.oneOf([200, 400]);
      if (res.status !== 400) continue;
      const code = res.body.errors[0].code;
      // only the five whose hold expired are refused
      expect(slow.some((c) => c.id === p.checkout.id), `refused ${p.checkout.id} (${p.checkout.kind}) with ${JSON.stringify(res.body)} (${ctx})`).to.equal(true);
      if (code === 'ORDER_NOT_ORDERABLE' && res.body.errors[1]?.code === 'PRODUCT_SOLDOUT') soldOutAnswers.set(p.impUid, (soldOutAnswers.get(p.impUid) ?? 0) + 1);
      // a duplicate that arrives after the first copy's automatic cancel finds the payment cancelled at PortOne
      else expect(code, ctx).to.equal('UNEXPECTED_RETRIEVED_ORDER_STATUS');
    }
    for (const c of slow) {
      const impUid = payments.find((x) => x.checkout.id === c.id)!.impUid;
      expect(soldOutAnswers.get(impUid) ?? 0, `a sold-out answer for ${c.id} (${ctx})`).to.be.greaterThan(0);
    }

    // exactly 10 sold; the five whose hold expired are the ones refused (their units were re-sold)
    const paidItems = await OrderProductRelation.count({ where: { productId: product.id, status: { [Op.in]: ['paid', 'used'] } } });
    expect(paidItems, ctx).to.equal(UNITS);
    const completed = await PaymentHistory.findAll({ where: { status: 'completed' } });
    expect(completed, ctx).to.have.length(UNITS);
    const paidOrderIds = new Set(completed.map((h) => h.orderId));
    expect(paidOrderIds.size, `one completed row per paid order (${ctx})`).to.equal(UNITS);
    for (const c of slow) expect(paidOrderIds.has(c.id), `expired hold ${c.id} must not be paid (${ctx})`).to.equal(false);
    for (const id of paidOrderIds) {
      expect(await PaymentHistory.count({ where: { orderId: id } }), ctx).to.equal(1);
      const items = await OrderProductRelation.findAll({ where: { orderId: id } });
      expect(items.map((x) => x.status), ctx).to.deep.equal(['paid']);
    }

    // the catalogue never went below zero, and ends at zero
    expect(Math.min(...seen), ctx).to.be.at.least(0);
    const final = await request(app).get(`/v1/shop/products/${product.id}/`).expect(200);
    expect(final.body.leftover_stock, ctx).to.equal(0);

    // money: every payment not in our ledger is cancelled in full at the simulator, and what the simulator
    // kept equals what our ledger says was paid
    for (const p of payments) {
      const at = sim.state.payments.find((x) => x.imp_uid === p.impUid)!;
      const ours = completed.find((h) => h.impId === p.impUid);
      if (ours) {
        expect(at.status, ctx).to.equal('paid');
        expect(at.cancel_amount, ctx).to.equal(0);
        expect(ours.price, ctx).to.equal(at.amount);
      } else {
        expect(at.status, `loser ${p.impUid} cancelled (${ctx})`).to.equal('cancelled');
        expect(at.cancel_amount, ctx).to.equal(at.amount);
      }
    }
    const kept = sim.state.payments.reduce((s, x) => s + x.amount - x.cancel_amount, 0);
    const ledger = completed.reduce((s, h) => s + h.price, 0);
    expect(ledger, ctx).to.equal(kept);
    expect(ledger, ctx).to.equal(UNITS * 33000);
    expect(sim.state.cancels.filter((c) => c.ok), `each loser cancelled once (${ctx})`).to.have.length(EXPIRED);
  });

  type Hooks = { addHook(n: string, k: string, f: (o: { transaction?: Transaction }, q: { sql?: string }) => Promise<void>): void; removeHook(n: string, k: string): void };

  /**
   * A buy-now cart paid at the simulator, then its webhook processed twice: the twin runs to the end the moment
   * the duplicate's first query outside a transaction that `at` matches has come back. Both answer 200.
   */
  async function duplicateWithTwinAt(at: (sql: string, cartId: string) => boolean): Promise<{ id: string }> {
    const user = await makeUser();
    const product = await makeProduct({ stock: 3, price: 15000 });
    const cart = (await asBuyer(app, user).post('/v1/shop/orders/single/', { product: product.id, options: [], customer_info: INFO }).expect(201)).body;
    const { payment } = await sim.pay({ merchant_uid: cart.merchant_uid, notify: false });
    const body = { imp_uid: payment.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' };
    const deps = { sequelize: await testDb(), portone: await portoneClient(), secretKey: testConfig.secretKey };
    const hooks = deps.sequelize as unknown as Hooks;
    let twin: Promise<unknown> | null = null;
    hooks.addHook('afterQuery', 'twin', async (options, query) => {
      if (twin || options.transaction || !at(query.sql ?? '', cart.id)) return;
      twin = processWebhook(deps, body);
      expect(await twin).to.deep.include({ status: 200 });
    });
    try {
      const duplicate = await processWebhook(deps, body);
      expect(twin, 'the twin ran in between').to.not.equal(null);
      expect(duplicate.status, JSON.stringify(duplicate.body)).to.equal(200);
    } finally {
      hooks.removeHook('afterQuery', 'twin');
    }
    return cart;
  }

  it('a duplicate webhook that saw the buy-now cart just before its twin promoted it answers 200 and never cancels the paid money', async () => {
    // Found during this work: the duplicate re-read the cart's items after the twin had moved them to the new
    // Order, saw "no items" = a price mismatch, and cancelled a payment that was recorded as paid.
    // (the moment the duplicate has checked "already recorded?" — not yet — its twin runs to the end)
    const cart = await duplicateWithTwinAt((sql) => /FROM "payment_histories"/.test(sql) && /count/i.test(sql));
    expect(sim.state.cancels, 'nothing cancelled').to.have.length(0);
    expect(await PaymentHistory.count({ where: { orderId: cart.id, status: 'completed' } })).to.equal(1);
    expect(sim.state.payments[0]!.status).to.equal('paid');
  });

  it('a duplicate webhook that missed the Order just before its twin promoted the buy-now cart answers 200, nothing cancelled', async () => {
    // Found by the race test above (about 1 run in 6 under load): the duplicate looked for an Order (none yet),
    // the twin promoted the cart and committed, then the duplicate looked for the cart (gone) → ORDER_NOT_FOUND.
    const cart = await duplicateWithTwinAt((sql, cartId) => /FROM "orders"/.test(sql) && sql.includes(cartId));
    expect(sim.state.cancels, 'nothing cancelled').to.have.length(0);
    expect(await PaymentHistory.count({ where: { orderId: cart.id, status: 'completed' } })).to.equal(1);
  });
});
