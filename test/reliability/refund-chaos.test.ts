/**
 * Chaos: PortOne's answers are dropped, never sent, or fail (at random, seeded) while 50 item refunds of 10
 * orders run concurrently through the HTTP API. Afterwards — with no manual step, only the job worker that
 * runs in production — the ledger equals PortOne for every order: each cancel PortOne made is recorded once,
 * each item refunded is paid back, no refund attempt is left open. `CHAOS_SEED` replays a run.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { expectLedgerEqualsPortOne, paidOrderAtSim } from '../helpers/refunds.js';
import { startTestWorker, type TestWorker } from '../helpers/jobs.js';
import { RefundAttempt } from '../../src/models/index.js';
import { createPortOneClient } from '../../src/portone/client.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';
import { rng } from '../helpers/random.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability: refunds while PortOne loses answers (chaos)', function () {
  this.timeout(180_000);
  let sim: PortOneSimulator;
  let app: Express;
  let worker: TestWorker | null = null;

  beforeEach(async () => {
    await resetDb();
    sim = await portoneSim();
    sim.reset();
    // a client that gives up quickly, so hung answers cost little
    app = await makeApp({ deps: { portone: createPortOneClient({ apiUrl: sim.url, impKey: 'test-imp-key', impSecret: 'test-imp-secret', timeoutMs: 400 }) } });
  });
  afterEach(async () => {
    sim.reset();
    await worker?.stop();
    worker = null;
  });

  it('50 concurrent item refunds over 10 orders with dropped / hung / failed answers: afterwards the ledger equals PortOne for every order', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
    const ctx = `(CHAOS_SEED=${seed})`;
    const user = await makeUser();
    const orders = [];
    for (let o = 0; o < 10; o++) {
      const products = await Promise.all(Array.from({ length: 5 }, (_, i) => makeProduct({ price: 1000 * (i + 1) + o * 10 })));
      orders.push(await paidOrderAtSim(sim, user, products));
    }
    await (await import('../helpers/app.js')).portoneClient(); // the worker's client, token fetched before the chaos
    sim.setChaos({ endpoints: ['cancel', 'payments'], modes: ['drop', 'hang', 'timeout', 'http500', 'code1'], rate: 0.3, random: rng(seed) });
    sim.setLatency(20);

    const buyer = asBuyer(app, user);
    const answers = await Promise.all(orders.flatMap((o) => o.itemIds.map((itemId) => buyer.delete(`/v1/shop/orders/${o.order.id}/products/${itemId}/`))));
    sim.setChaos(null); // PortOne is healthy again; nobody touches anything by hand from here on

    const faults = sim.state.faultLog;
    expect(faults.filter((f) => f.endpoint === 'cancel' && (f.mode === 'drop' || f.mode === 'hang')).length, `answers of performed cancels were lost ${ctx}`).to.be.greaterThan(0);
    for (const res of answers) {
      expect(res.status, `${JSON.stringify(res.body)} ${ctx}`).to.be.oneOf([204, 409, 502]);
      if (res.status === 502) expect(res.body.errors[0].code, ctx).to.be.oneOf(['portone_error', 'refund_pending']);
    }
    // (a refund that waited too long for the others of its order answers 409 and moved no money)
    expect(answers.filter((r) => r.status === 204).length, `refunds went through ${ctx}`).to.be.greaterThan(0);

    // the production job worker settles whatever is still open (refund-settle jobs enqueued by the refunds)
    worker = await startTestWorker(1);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const open = await RefundAttempt.count({ where: { status: ['requested', 'pending', 'cancelled_at_portone'] } });
      if (open === 0) break;
      if (Date.now() > deadline) expect.fail(`${open} refund attempt(s) still open ${ctx}`);
      await sleep(250);
    }
    expect(await RefundAttempt.count({ where: { status: 'unresolved' } }), ctx).to.equal(0);
    await expectLedgerEqualsPortOne(sim, orders, ctx);
  });
});
