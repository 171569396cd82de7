// PortOne v1 client against the simulator over real HTTP (both started on 127.0.0.1, port 0).
import { expect } from 'chai';
import { createPortOneClient, PortOneError, type PortOneClient } from '../../src/portone/client.js';
import { startPortOneSimulator, type PortOneSimulator } from '../../src/portone/simulator.js';

const KEY = 'test-imp-key';
const SECRET = 'test-imp-secret-do-not-leak';

/** Await a promise that must reject with a PortOneError; returns it. */
async function portoneFailure(p: Promise<unknown>): Promise<PortOneError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(PortOneError);
    return e as PortOneError;
  }
  throw new Error('expected a PortOneError, but the call succeeded');
}

describe('PortOne v1 client (against the simulator)', () => {
  let sim: PortOneSimulator;
  let client: PortOneClient;
  /** A fake clock shared by the client's token cache and the simulator's token expiry. */
  let clock: number;
  const now = () => clock;

  beforeEach(async () => {
    clock = Date.UTC(2026, 4, 1, 3, 0, 0);
    sim = await startPortOneSimulator({ impKey: KEY, impSecret: SECRET, now });
    client = createPortOneClient({ apiUrl: sim.url + '/', impKey: KEY, impSecret: SECRET, now });
  });
  afterEach(async () => {
    await sim.close();
  });

  const apiRequests = () => sim.state.requests.filter((r) => r.path !== '/users/getToken');

  describe('token', () => {
    it('gets one token for several requests, concurrent ones included, and sends it raw in Authorization', async () => {
      // cold start: three concurrent calls share one in-flight token request
      await Promise.all([client.preparePayment('m-1', 1000), client.preparePayment('m-2', 1000), client.preparePayment('m-3', 1000)]);
      expect(sim.state.tokenIssues).to.equal(1);
      await client.getPreparedPayment('m-1'); // later calls reuse the cached token
      expect(sim.state.tokenIssues).to.equal(1);
      const token = sim.state.token!.access_token;
      expect(apiRequests()).to.have.length(4);
      for (const r of apiRequests()) expect(r.authorization).to.equal(token); // no "Bearer " prefix
      expect(await client.getToken()).to.equal(token);
    });

    it('renews the token 30 s before expired_at, and gets a new one after expiry', async () => {
      const first = await client.getToken();
      clock += 29 * 60_000; // 60 s before expiry: still cached
      expect(await client.getToken()).to.equal(first);
      expect(sim.state.tokenIssues).to.equal(1);

      clock += 35_000; // 25 s before expiry: inside the 30 s margin → asks again; PortOne returns the same token
      expect(await client.getToken()).to.equal(first);
      expect(sim.state.tokenIssues).to.equal(2);

      clock += 60_000; // past expiry: PortOne issues a new token, and calls keep working
      await client.preparePayment('m-exp', 500);
      expect(sim.state.tokenIssues).to.equal(3);
      expect(sim.state.token!.access_token).to.not.equal(first);
      expect(apiRequests().at(-1)!.authorization).to.equal(sim.state.token!.access_token);
    });

    it('measures the token lifetime on PortOne\'s clock (a local clock 1 h ahead still caches)', async () => {
      const skewed = createPortOneClient({ apiUrl: sim.url, impKey: KEY, impSecret: SECRET, now: () => clock + 3_600_000 });
      const first = await skewed.getToken();
      clock += 29 * 60_000;
      expect(await skewed.getToken()).to.equal(first);
      expect(sim.state.tokenIssues).to.equal(1);
    });

    it('caches 5 minutes when expired_at is missing', async () => {
      let tokenCalls = 0;
      // A stub PortOne whose token answer has no expired_at.
      const fetchImpl: typeof fetch = async () => {
        tokenCalls++;
        return new Response(JSON.stringify({ code: 0, message: null, response: { access_token: `tok-${tokenCalls}` } }));
      };
      const c = createPortOneClient({ apiUrl: 'http://portone.invalid', impKey: KEY, impSecret: SECRET, fetchImpl, now });
      expect(await c.getToken()).to.equal('tok-1');
      clock += 4 * 60_000;
      expect(await c.getToken()).to.equal('tok-1');
      clock += 61_000;
      expect(await c.getToken()).to.equal('tok-2');
      expect(tokenCalls).to.equal(2);
    });

    it('wrong credentials → a token PortOneError without the secret in its message', async () => {
      const bad = createPortOneClient({ apiUrl: sim.url, impKey: KEY, impSecret: 'wrong-secret', now });
      const err = await portoneFailure(bad.findPayment('imp_000000000001'));
      expect(err.action).to.equal('getToken');
      expect(err.kind).to.equal('token');
      expect(err.httpStatus).to.equal(401);
      expect(err.portoneCode).to.equal(-1);
      expect(err.message).to.match(/^PortOne 인증 토큰 발급 실패/);
      expect(err.message).to.not.include('wrong-secret');
      expect(apiRequests()).to.have.length(0); // the payment was never asked for
    });

    it('drops a token refused with 401 and retries once with a fresh one', async () => {
      await client.preparePayment('m-401', 1000);
      const before = sim.state.token!.access_token;
      sim.reset(); // forgets tokens (and everything else) on PortOne's side
      const err = await portoneFailure(client.getPreparedPayment('m-401'));
      expect(err.httpStatus).to.equal(404); // reached the endpoint with a new token
      expect(sim.state.tokenIssues).to.equal(1);
      expect(sim.state.token!.access_token).to.not.equal(before);
      expect(sim.state.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
        'GET /payments/prepare/m-401', // 401 with the stale token
        'POST /users/getToken',
        'GET /payments/prepare/m-401',
      ]);
    });
  });

  describe('failures', () => {
    it('HTTP 200 with code ≠ 0 → PortOneError with the PortOne code and message', async () => {
      await client.preparePayment('m-dup', 1000);
      const err = await portoneFailure(client.preparePayment('m-dup', 1000));
      expect(err.action).to.equal('preparePayment');
      expect(err.kind).to.equal('api');
      expect(err.httpStatus).to.equal(200);
      expect(err.portoneCode).to.equal(1);
      expect(err.portoneMessage).to.include('이미 등록된 merchant_uid');
      expect(err.message).to.equal('PortOne 요청 실패 [preparePayment]: code 1 이미 등록된 merchant_uid입니다.');
    });

    it('HTTP 500 → PortOneError with httpStatus', async () => {
      sim.failNext('payments', 'http500');
      const err = await portoneFailure(client.findPayment('imp_123456789012'));
      expect(err.action).to.equal('findPayment');
      expect(err.kind).to.equal('http');
      expect(err.httpStatus).to.equal(500);
      expect(err.message).to.match(/^PortOne 요청 실패 \[findPayment\]: HTTP 500/);
    });

    it('a null response → not-found PortOneError; unknown imp_uid → HTTP 404 PortOneError', async () => {
      const nullClient = createPortOneClient({
        apiUrl: 'http://portone.invalid',
        impKey: KEY,
        impSecret: SECRET,
        fetchImpl: async (input) =>
          new Response(JSON.stringify({ code: 0, message: null, response: String(input).endsWith('getToken') ? { access_token: 't', expired_at: 4e9 } : null })),
      });
      const nf = await portoneFailure(nullClient.findPayment('imp_1'));
      expect(nf.kind).to.equal('not_found');
      expect(nf.action).to.equal('findPayment');

      const err = await portoneFailure(client.findPayment('imp_999999999999'));
      expect(err.httpStatus).to.equal(404);
      expect(err.portoneCode).to.equal(-1);
    });

    it('times out after timeoutMs (API call and token call)', async () => {
      const fast = createPortOneClient({ apiUrl: sim.url, impKey: KEY, impSecret: SECRET, timeoutMs: 150, now });
      sim.failNext('payments', 'timeout');
      const started = Date.now();
      const err = await portoneFailure(fast.findPayment('imp_123456789012'));
      expect(Date.now() - started).to.be.lessThan(2000);
      expect(err.kind).to.equal('timeout');
      expect(err.action).to.equal('findPayment');
      expect(err.message).to.include('150ms');

      const fresh = createPortOneClient({ apiUrl: sim.url, impKey: KEY, impSecret: SECRET, timeoutMs: 150, now });
      sim.failNext('getToken', 'timeout');
      const tokenErr = await portoneFailure(fresh.getToken());
      expect(tokenErr.kind).to.equal('timeout');
      expect(tokenErr.action).to.equal('getToken');
    });

    it('connection refused → network PortOneError', async () => {
      const url = sim.url;
      await sim.close();
      const err = await portoneFailure(createPortOneClient({ apiUrl: url, impKey: KEY, impSecret: SECRET }).getToken());
      expect(err.kind).to.equal('network');
      sim = await startPortOneSimulator({ impKey: KEY, impSecret: SECRET }); // for afterEach
    });
  });

  describe('prepare', () => {
    it('registers, reads and updates a prepared amount', async () => {
      expect(await client.preparePayment('m-p', 15000)).to.deep.equal({ merchant_uid: 'm-p', amount: 15000 });
      expect(await client.updatePreparedPayment('m-p', 17000)).to.deep.equal({ merchant_uid: 'm-p', amount: 17000 });
      expect(await client.getPreparedPayment('m-p')).to.deep.equal({ merchant_uid: 'm-p', amount: 17000 });
      const err = await portoneFailure(client.updatePreparedPayment('m-unknown', 1));
      expect(err.portoneCode).to.equal(1);
    });

    it('registerOrUpdatePrepared: POST for a new merchant_uid, PUT fallback for a known one', async () => {
      expect(await client.registerOrUpdatePrepared('m-rou', 1000)).to.deep.equal({ merchant_uid: 'm-rou', amount: 1000 });
      expect(await client.registerOrUpdatePrepared('m-rou', 3000)).to.deep.equal({ merchant_uid: 'm-rou', amount: 3000 });
      expect(sim.state.prepared['m-rou'].amount).to.equal(3000);
      expect(apiRequests().map((r) => r.method)).to.deep.equal(['POST', 'POST', 'PUT']);
    });

    it('registerOrUpdatePrepared: both failing → one error carrying both causes', async () => {
      sim.failNext('prepare', 'http500', 2);
      const err = await portoneFailure(client.registerOrUpdatePrepared('m-both', 1000));
      expect(err.action).to.equal('registerOrUpdatePrepared');
      expect(err.kind).to.equal('prepare');
      expect(err.causes).to.have.length(2);
      const [post, put] = err.causes as PortOneError[];
      expect(post.action).to.equal('preparePayment');
      expect(put.action).to.equal('updatePreparedPayment');
      expect(put.httpStatus).to.equal(500);
      expect(err.message).to.include('POST:').and.include('PUT:');
      expect(sim.state.prepared).to.not.have.property('m-both');
    });
  });

  describe('payments and cancels', () => {
    it('finds a payment made through the control endpoint, by imp_uid and by merchant_uid', async () => {
      await client.preparePayment('m-pay', 15000);
      const res = await fetch(`${sim.url}/__sim/pay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ merchant_uid: 'm-pay' }),
      });
      const { payment: made } = (await res.json()) as { payment: { imp_uid: string } };
      expect(made.imp_uid).to.match(/^imp_\d{12}$/);

      const payment = await client.findPayment(made.imp_uid);
      expect(payment).to.include({ imp_uid: made.imp_uid, merchant_uid: 'm-pay', amount: 15000, cancel_amount: 0, currency: 'KRW', status: 'paid' });
      expect(payment.paid_at).to.equal(Math.floor(clock / 1000));
      expect(payment.cancel_history).to.deep.equal([]);

      const byMerchant = await client.findPaymentByMerchantUid('m-pay');
      expect(byMerchant.imp_uid).to.equal(made.imp_uid);
      await portoneFailure(client.findPaymentByMerchantUid('m-pay', 'cancelled'));
    });

    it('partial cancel then full cancel with the checksum chain', async () => {
      await client.preparePayment('m-c', 30000);
      const { payment } = await sim.pay({ merchant_uid: 'm-c' });

      const partial = await client.cancelPayment({ impUid: payment.imp_uid, amount: 10000, checksum: 30000, reason: '부분 환불' });
      expect(partial).to.include({ status: 'paid', cancel_amount: 10000 }); // a partial cancel is not a status
      expect(partial.cancel_history).to.have.length(1);
      expect(partial.cancel_history![0]).to.include({ amount: 10000, reason: '부분 환불' });

      const full = await client.cancelPayment({ impUid: payment.imp_uid, amount: 20000, checksum: 20000 });
      expect(full).to.include({ status: 'cancelled', cancel_amount: 30000 });
      expect(full.cancel_history!.map((h) => h.amount)).to.deep.equal([10000, 20000]);
      expect((await client.findPayment(payment.imp_uid)).status).to.equal('cancelled');

      // the request bodies: imp_uid, amount, checksum; reason omitted when not given
      expect(sim.state.cancels.map((c) => c.body)).to.deep.equal([
        { imp_uid: payment.imp_uid, amount: 10000, checksum: 30000, reason: '부분 환불' },
        { imp_uid: payment.imp_uid, amount: 20000, checksum: 20000 },
      ]);
    });

    it('refuses a stale checksum and an amount above the balance, changing nothing', async () => {
      await client.preparePayment('m-x', 30000);
      const { payment } = await sim.pay({ merchant_uid: 'm-x' });
      await client.cancelPayment({ impUid: payment.imp_uid, amount: 10000, checksum: 30000, reason: null });
      expect(sim.state.cancels[0].body).to.not.have.property('reason');

      const stale = await portoneFailure(client.cancelPayment({ impUid: payment.imp_uid, amount: 10000, checksum: 30000 }));
      expect(stale.action).to.equal('cancelPayment');
      expect(stale.portoneCode).to.equal(1);
      expect(stale.message).to.include('checksum');

      const tooMuch = await portoneFailure(client.cancelPayment({ impUid: payment.imp_uid, amount: 20001, checksum: 20000 }));
      expect(tooMuch.portoneCode).to.equal(1);
      expect(tooMuch.portoneMessage).to.include('잔액');

      const after = await client.findPayment(payment.imp_uid);
      expect(after).to.include({ status: 'paid', cancel_amount: 10000 });
      expect(after.cancel_history).to.have.length(1);
    });

    it('a cancel failing at PortOne (code 1 fault) surfaces as PortOneError and cancels nothing', async () => {
      await client.preparePayment('m-f', 5000);
      const { payment } = await sim.pay({ merchant_uid: 'm-f' });
      sim.failNext('cancel', 'code1');
      const err = await portoneFailure(client.cancelPayment({ impUid: payment.imp_uid, amount: 5000, checksum: 5000 }));
      expect(err.kind).to.equal('api');
      expect((await client.findPayment(payment.imp_uid)).cancel_amount).to.equal(0);
    });
  });
});
