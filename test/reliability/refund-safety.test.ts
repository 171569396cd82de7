/**
 * Refunds under load and with lost answers. PortOne is the local simulator (real HTTP), the database the real
 * per-process test database (pool of 20 connections).
 *
 * - More concurrent item refunds of one order than the pool has connections: every refund holds at most one
 *   connection at a time and none while PortOne is asked, so they all go through, each cancelled once.
 * - PortOne cancels but its answer is lost (connection dropped / never answered): the refund looks the
 *   payment up and records what PortOne did.
 * - PortOne cannot be asked at all afterwards: the attempt stays open (`pending`) and the next refund of the
 *   order settles it first, instead of failing on PortOne's checksum forever.
 */
import { expect } from 'chai';
import { resetDb, testConfig, testDb } from '../helpers/db.js';
import { portoneClient, portoneSim } from '../helpers/app.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { expectLedgerEqualsPortOne, paidOrderAtSim } from '../helpers/refunds.js';
import { OrderProductRelation, PaymentHistory, RefundAttempt } from '../../src/models/index.js';
import { refund, type RefundDeps } from '../../src/services/refund.js';
import { ServiceError } from '../../src/services/errors.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';

describe('reliability: refunds under load and with lost PortOne answers', function () {
  this.timeout(120_000);
  let sim: PortOneSimulator;
  let deps: RefundDeps;

  beforeEach(async () => {
    await resetDb();
    sim = await portoneSim();
    sim.reset();
    deps = { sequelize: await testDb(), portone: await portoneClient(), secretKey: testConfig.secretKey, waitMs: 90_000, lookupBackoffMs: [20, 20] };
  });
  afterEach(() => sim.reset());

  it('30 concurrent item refunds of one order (more than the pool has connections) all go through, each cancelled once', async () => {
    // Before: each refund held the order lock on one connection and then needed a second one for its attempt
    // row; the waiters took every connection, the holder timed out after PortOne had cancelled.
    const user = await makeUser();
    const products = await Promise.all(Array.from({ length: 30 }, (_, i) => makeProduct({ price: 1000 + i * 100 })));
    const paid = await paidOrderAtSim(sim, user, products);
    sim.setLatency(30); // PortOne answering slowly widens the window
    const results = await Promise.allSettled(paid.itemIds.map((itemId) => refund(deps, { orderId: paid.order.id, itemId, channel: 'buyer', buyerUserId: user.id })));
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).to.deep.equal([]);
    expect(sim.state.cancels.filter((c) => c.ok)).to.have.length(30);
    expect(sim.state.cancels.filter((c) => !c.ok), 'no cancel refused on its checksum').to.have.length(0);
    expect(await OrderProductRelation.count({ where: { orderId: paid.order.id, status: 'refunded' } })).to.equal(30);
    const last = (await PaymentHistory.findAll({ where: { orderId: paid.order.id }, order: [['createdAt', 'DESC']], limit: 1 }))[0]!;
    expect([last.status, last.price]).to.deep.equal(['refunded', 0]);
    expect(await RefundAttempt.count({ where: { status: 'completed' } })).to.equal(30);
    await expectLedgerEqualsPortOne(sim, [paid]);
  });

  for (const mode of ['drop', 'hang'] as const) {
    it(`PortOne cancels but the answer is lost (${mode}): the refund looks the payment up and records the cancel`, async () => {
      const user = await makeUser();
      const paid = await paidOrderAtSim(sim, user, [await makeProduct({ price: 12000 }), await makeProduct({ price: 8000 })]);
      sim.failNext('cancel', mode);
      const outcome = await refund(deps, { orderId: paid.order.id, itemId: paid.itemIds[0]!, channel: 'buyer', buyerUserId: user.id });
      expect(outcome).to.include({ refunded: 12000, status: 'partial_refunded', remaining: 8000 });
      expect(sim.state.faultLog).to.deep.equal([{ endpoint: 'cancel', mode }]);
      expect(sim.state.payments[0]!.cancel_amount, 'PortOne did cancel').to.equal(12000);
      const attempt = (await RefundAttempt.findOne({ where: { orderId: paid.order.id } }))!;
      expect(attempt.status).to.equal('completed');
      expect(sim.state.requests.some((r) => r.method === 'GET' && r.path === `/payments/${paid.impUid}`), 'looked up').to.equal(true);
      await expectLedgerEqualsPortOne(sim, [paid]);
      // and the next refund of the order goes through on the right checksum
      await refund(deps, { orderId: paid.order.id, itemId: paid.itemIds[1]!, channel: 'buyer', buyerUserId: user.id });
      await expectLedgerEqualsPortOne(sim, [paid]);
      expect(sim.state.payments[0]!.status).to.equal('cancelled');
    });
  }

  it('a cancel that did not happen (timeout before PortOne acted, or refused) is looked up and recorded as failed; the retry works', async () => {
    const user = await makeUser();
    const paid = await paidOrderAtSim(sim, user, [await makeProduct({ price: 5000 })]);
    sim.failNext('cancel', 'timeout');
    const err = await refund(deps, { orderId: paid.order.id, channel: 'buyer', buyerUserId: user.id }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ServiceError);
    expect((err as ServiceError).errors[0]!.code).to.equal('portone_error');
    expect((await RefundAttempt.findOne())!.status).to.equal('failed');
    expect(sim.state.payments[0]!.cancel_amount).to.equal(0);
    await refund(deps, { orderId: paid.order.id, channel: 'buyer', buyerUserId: user.id });
    await expectLedgerEqualsPortOne(sim, [paid]);
  });

  it('answer lost and PortOne unreachable for the look-ups: 502 refund_pending; the next refund settles it first, then goes through', async () => {
    const user = await makeUser();
    const paid = await paidOrderAtSim(sim, user, [await makeProduct({ price: 7000 }), await makeProduct({ price: 3000 })]);
    sim.failNext('cancel', 'drop');
    sim.failNext('payments', 'http500', 3); // the three look-ups of the first refund
    const err = await refund(deps, { orderId: paid.order.id, itemId: paid.itemIds[0]!, channel: 'buyer', buyerUserId: user.id }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ServiceError);
    expect((err as ServiceError).status).to.equal(502);
    expect((err as ServiceError).errors[0]!.code).to.equal('refund_pending');
    const attempt = (await RefundAttempt.findOne())!;
    expect(attempt.status).to.equal('pending');
    expect(sim.state.payments[0]!.cancel_amount, 'PortOne did cancel').to.equal(7000);
    expect(await OrderProductRelation.count({ where: { status: 'refunded' } }), 'not recorded yet').to.equal(0);

    // the buyer refunds the other item: the pending attempt is settled first, then this refund is made
    const outcome = await refund(deps, { orderId: paid.order.id, itemId: paid.itemIds[1]!, channel: 'buyer', buyerUserId: user.id });
    expect(outcome).to.include({ refunded: 3000, status: 'refunded', remaining: 0 });
    expect((await attempt.reload()).status).to.equal('completed');
    expect(sim.state.cancels.filter((c) => !c.ok), 'no cancel refused on its checksum').to.have.length(0);
    await expectLedgerEqualsPortOne(sim, [paid]);
  });
});
