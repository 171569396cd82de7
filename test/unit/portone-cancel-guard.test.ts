/**
 * PortOne reads a cancel amount of 0 (or none) as "cancel everything": the client refuses a 0, negative or
 * fractional amount before any request, and a full cancel has to be asked for explicitly (`'full'`).
 */
import { expect } from 'chai';
import { createPortOneClient, PortOneError, type PortOneClient } from '../../src/portone/client.js';
import { startPortOneSimulator, type PortOneSimulator } from '../../src/portone/simulator.js';

const IMP = { impKey: 'guard-key', impSecret: 'guard-secret' };

describe('PortOne client: cancel amounts', () => {
  let sim: PortOneSimulator;
  let client: PortOneClient;
  before(async () => {
    sim = await startPortOneSimulator(IMP);
    client = createPortOneClient({ apiUrl: sim.url, ...IMP, timeoutMs: 2000 });
  });
  after(async () => sim.close());
  beforeEach(() => sim.reset());

  async function paid(amount: number): Promise<string> {
    await client.preparePayment(`m-${amount}-${Date.now()}`, amount);
    const merchant = Object.keys(sim.state.prepared)[0]!;
    return (await sim.pay({ merchant_uid: merchant })).payment.imp_uid;
  }

  for (const amount of [0, -1, -30000, 0.5, 1500.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuses an amount of ${amount} without asking PortOne; nothing is cancelled`, async () => {
      const impUid = await paid(30000);
      const err = await client.cancelPayment({ impUid, amount, checksum: 30000, reason: 'x' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(PortOneError);
      expect((err as PortOneError).kind).to.equal('invalid_request');
      expect((err as PortOneError).action).to.equal('cancelPayment');
      expect(sim.state.cancels).to.have.length(0);
      expect(await client.findPayment(impUid)).to.include({ status: 'paid', cancel_amount: 0 });
    });
  }

  it("a full cancel is asked for explicitly ('full': no amount sent) and returns everything", async () => {
    const impUid = await paid(30000);
    await client.cancelPayment({ impUid, amount: 10000, checksum: 30000 });
    const full = await client.cancelPayment({ impUid, amount: 'full', checksum: 20000, reason: '전액' });
    expect(full).to.include({ status: 'cancelled', cancel_amount: 30000 });
    expect(sim.state.cancels.map((c) => c.body)).to.deep.equal([
      { imp_uid: impUid, amount: 10000, checksum: 30000 },
      { imp_uid: impUid, checksum: 20000, reason: '전액' },
    ]);
  });
});
