// The PortOne v1 simulator spoken to over raw HTTP (fetch), plus webhook delivery to a local receiver.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startPortOneSimulator, type PortOneSimulator, type SimState } from '../../src/portone/simulator.js';

const KEY = 'sim-key';
const SECRET = 'sim-secret';

interface Answer {
  status: number;
  body: { code: number; message: string | null; response: any };
}

describe('PortOne v1 simulator', () => {
  let sim: PortOneSimulator;
  let clock: number;

  beforeEach(async () => {
    clock = Date.UTC(2026, 4, 1, 3, 0, 0);
    sim = await startPortOneSimulator({ impKey: KEY, impSecret: SECRET, now: () => clock });
  });
  afterEach(async () => {
    await sim.close();
  });

  async function call(method: string, path: string, body?: unknown, token?: string | null): Promise<Answer> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = token;
    const res = await fetch(sim.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }
  async function token(): Promise<string> {
    const a = await call('POST', '/users/getToken', { imp_key: KEY, imp_secret: SECRET });
    return a.body.response.access_token as string;
  }

  describe('authentication', () => {
    it('issues a 30-minute token, the same one until expiry, a new one after', async () => {
      const a = await call('POST', '/users/getToken', { imp_key: KEY, imp_secret: SECRET });
      expect(a.status).to.equal(200);
      expect(a.body.code).to.equal(0);
      const nowS = Math.floor(clock / 1000);
      expect(a.body.response).to.include({ now: nowS, expired_at: nowS + 1800 });
      expect(a.body.response.access_token).to.be.a('string').with.length.greaterThan(10);

      clock += 29 * 60_000;
      expect(await token()).to.equal(a.body.response.access_token);
      clock += 61_000;
      expect(await token()).to.not.equal(a.body.response.access_token);
    });

    it('refuses wrong credentials with HTTP 401 code -1', async () => {
      const a = await call('POST', '/users/getToken', { imp_key: KEY, imp_secret: 'nope' });
      expect(a.status).to.equal(401);
      expect(a.body).to.include({ code: -1, response: null });
      expect(sim.state.token).to.equal(null);
    });

    it('requires the raw token: missing, "Bearer …", unknown or expired → 401', async () => {
      const t = await token();
      expect((await call('GET', '/payments/prepare/m', undefined, null)).status).to.equal(401);
      expect((await call('GET', '/payments/prepare/m', undefined, `Bearer ${t}`)).status).to.equal(401);
      expect((await call('GET', '/payments/prepare/m', undefined, 'forged')).status).to.equal(401);
      expect((await call('GET', '/payments/prepare/m', undefined, t)).status).to.equal(404); // authenticated, just unknown
      clock += 31 * 60_000;
      const expired = await call('GET', '/payments/prepare/m', undefined, t);
      expect(expired.status).to.equal(401);
      expect(expired.body.code).to.equal(-1);
    });
  });

  describe('prepare and payments', () => {
    it('prepares, refuses a duplicate with code 1, updates, reads', async () => {
      const t = await token();
      expect((await call('POST', '/payments/prepare', { merchant_uid: 'm-1', amount: 1000 }, t)).body).to.deep.equal({
        code: 0,
        message: null,
        response: { merchant_uid: 'm-1', amount: 1000 },
      });
      const dup = await call('POST', '/payments/prepare', { merchant_uid: 'm-1', amount: 1000 }, t);
      expect(dup.status).to.equal(200);
      expect(dup.body.code).to.equal(1);
      expect(dup.body.response).to.equal(null);
      expect((await call('PUT', '/payments/prepare', { merchant_uid: 'm-1', amount: 2500 }, t)).body.response.amount).to.equal(2500);
      expect((await call('PUT', '/payments/prepare', { merchant_uid: 'm-2', amount: 1 }, t)).body.code).to.equal(1);
      expect((await call('GET', '/payments/prepare/m-1', undefined, t)).body.response).to.deep.equal({ merchant_uid: 'm-1', amount: 2500 });
    });

    it('pays via /__sim/pay (prepared amount by default, or a forged amount/currency), finds by imp_uid and merchant_uid', async () => {
      const t = await token();
      await call('POST', '/payments/prepare', { merchant_uid: 'm-p', amount: 5000 }, t);
      const first = await call('POST', '/__sim/pay', { merchant_uid: 'm-p', status: 'failed' });
      expect(first.status).to.equal(200);
      const failed = (first.body as any).payment;
      expect(failed).to.include({ merchant_uid: 'm-p', amount: 5000, status: 'failed', currency: 'KRW' });
      expect((first.body as any).webhook).to.equal(null); // no webhook URL configured

      const forged = (await sim.pay({ merchant_uid: 'm-p', amount: 100, currency: 'USD' })).payment;
      expect(forged).to.include({ amount: 100, currency: 'USD', status: 'paid' });
      expect(forged.imp_uid).to.match(/^imp_\d{12}$/).and.not.equal(failed.imp_uid);

      const got = await call('GET', `/payments/${forged.imp_uid}`, undefined, t);
      expect(got.body.response).to.deep.equal(forged);
      expect((await call('GET', '/payments/find/m-p', undefined, t)).body.response.imp_uid).to.equal(forged.imp_uid);
      expect((await call('GET', '/payments/find/m-p/failed', undefined, t)).body.response.imp_uid).to.equal(failed.imp_uid);
      expect((await call('GET', '/payments/find/m-p/cancelled', undefined, t)).status).to.equal(404);

      const unknown = await call('GET', '/payments/imp_000000000000', undefined, t);
      expect(unknown.status).to.equal(404);
      expect(unknown.body).to.include({ code: -1, response: null });

      expect((await call('POST', '/__sim/pay', { merchant_uid: 'never-prepared' })).status).to.equal(400);
    });
  });

  describe('cancel', () => {
    async function paid(amount: number) {
      const t = await token();
      await call('POST', '/payments/prepare', { merchant_uid: `m-${amount}`, amount }, t);
      const { payment } = await sim.pay({ merchant_uid: `m-${amount}` });
      return { t, impUid: payment.imp_uid };
    }

    it('partial cancel keeps status paid; amount 0 cancels the remaining balance', async () => {
      const { t, impUid } = await paid(30000);
      const partial = await call('POST', '/payments/cancel', { imp_uid: impUid, amount: 12000, checksum: 30000, reason: 'a' }, t);
      expect(partial.body.code).to.equal(0);
      expect(partial.body.response).to.include({ status: 'paid', cancel_amount: 12000 });
      expect(partial.body.response.cancel_history[0]).to.include({ amount: 12000, reason: 'a' });
      expect(partial.body.response.cancel_history[0].cancellation_id).to.be.a('string');

      const rest = await call('POST', '/payments/cancel', { imp_uid: impUid, amount: 0, checksum: 18000 }, t);
      expect(rest.body.response).to.include({ status: 'cancelled', cancel_amount: 30000 });
      expect(rest.body.response.cancel_history.map((h: { amount: number }) => h.amount)).to.deep.equal([12000, 18000]);

      const again = await call('POST', '/payments/cancel', { imp_uid: impUid, checksum: 0 }, t);
      expect(again.body.code).to.equal(1);
      expect(sim.state.cancels.map((c) => c.ok)).to.deep.equal([true, true, false]);
    });

    it('cancels by merchant_uid with the whole balance when amount is omitted', async () => {
      const { t } = await paid(7000);
      const res = await call('POST', '/payments/cancel', { merchant_uid: 'm-7000', checksum: 7000 }, t);
      expect(res.body.response).to.include({ status: 'cancelled', cancel_amount: 7000 });
    });

    it('refuses a checksum mismatch, a missing checksum, an amount above the balance and an unknown payment', async () => {
      const { t, impUid } = await paid(10000);
      const mismatch = await call('POST', '/payments/cancel', { imp_uid: impUid, amount: 1000, checksum: 9000 }, t);
      expect(mismatch.body.code).to.equal(1);
      expect(mismatch.body.message).to.include('checksum');
      expect((await call('POST', '/payments/cancel', { imp_uid: impUid, amount: 1000 }, t)).body.code).to.equal(1);
      const tooMuch = await call('POST', '/payments/cancel', { imp_uid: impUid, amount: 10001, checksum: 10000 }, t);
      expect(tooMuch.body.code).to.equal(1);
      expect((await call('POST', '/payments/cancel', { imp_uid: 'imp_404', amount: 1, checksum: 1 }, t)).body.code).to.equal(1);
      expect(sim.state.payments[0]).to.include({ status: 'paid', cancel_amount: 0 });
      expect(sim.state.payments[0].cancel_history).to.have.length(0);
    });
  });

  describe('controls', () => {
    it('fault injection (HTTP and programmatic) fails exactly the next N calls of that kind', async () => {
      const fail = await call('POST', '/__sim/fail', { endpoint: 'prepare', mode: 'code1', times: 2 });
      expect(fail.status).to.equal(200);
      const t = await token(); // other kinds are unaffected
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await call('POST', '/payments/prepare', { merchant_uid: `f-${i}`, amount: 1 }, t)).body.code);
      expect(answers).to.deep.equal([1, 1, 0]);

      sim.failNext('getToken', 'http500');
      expect((await call('POST', '/users/getToken', { imp_key: KEY, imp_secret: SECRET })).status).to.equal(500);
      expect((await call('POST', '/users/getToken', { imp_key: KEY, imp_secret: SECRET })).status).to.equal(200);
      expect((await call('POST', '/__sim/fail', { endpoint: 'nope', mode: 'code1' })).status).to.equal(400);
    });

    it('GET /__sim/state shows everything; POST /__sim/reset clears it', async () => {
      const t = await token();
      await call('POST', '/payments/prepare', { merchant_uid: 's-1', amount: 10 }, t);
      await sim.pay({ merchant_uid: 's-1' });
      const state = (await (await fetch(`${sim.url}/__sim/state`)).json()) as SimState;
      expect(state.prepared).to.have.keys('s-1');
      expect(state.payments).to.have.length(1);
      expect(state.tokenIssues).to.equal(1);
      expect((await call('POST', '/__sim/reset')).status).to.equal(200);
      expect(sim.state.payments).to.have.length(0);
      expect(sim.state.prepared).to.deep.equal({});
      expect((await call('GET', '/payments/prepare/s-1', undefined, t)).status).to.equal(401); // tokens are forgotten too
    });

    it('closes promptly even with a hung ("timeout") request open', async () => {
      const t = await token();
      sim.failNext('payments', 'timeout');
      const hung = fetch(`${sim.url}/payments/imp_1`, { headers: { Authorization: t } }).then(
        () => 'answered',
        () => 'aborted',
      );
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await sim.close();
      expect(Date.now() - started).to.be.lessThan(1000);
      expect(await hung).to.equal('aborted');
      sim = await startPortOneSimulator({ impKey: KEY, impSecret: SECRET }); // for afterEach
    });
  });

  describe('webhooks', () => {
    let receiver: Server;
    let received: { body: unknown; contentType: string | undefined }[];
    let reply: number;

    beforeEach(async () => {
      received = [];
      reply = 200;
      receiver = createServer(async (req: IncomingMessage, res) => {
        let text = '';
        for await (const chunk of req) text += chunk;
        received.push({ body: JSON.parse(text), contentType: req.headers['content-type'] });
        res.writeHead(reply, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: reply === 200 ? 'success' : 'error' }));
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      sim.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/shop/payment-histories/`);
    });
    afterEach(async () => {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    });

    it('pay delivers {imp_uid, merchant_uid, status} as JSON and reports the answer', async () => {
      const t = await token();
      await call('POST', '/payments/prepare', { merchant_uid: 'w-1', amount: 900 }, t);
      const res = await call('POST', '/__sim/pay', { merchant_uid: 'w-1' });
      const { payment, webhook } = res.body as any;
      expect(received).to.deep.equal([{ body: { imp_uid: payment.imp_uid, merchant_uid: 'w-1', status: 'paid' }, contentType: 'application/json' }]);
      expect(webhook).to.deep.include({ status: 200, body: { status: 'success' } });
    });

    it('notify: false sends nothing; /__sim/webhook re-sends (duplicates) and reports a non-2xx answer', async () => {
      const t = await token();
      await call('POST', '/payments/prepare', { merchant_uid: 'w-2', amount: 900 }, t);
      const { payment, webhook } = await sim.pay({ merchant_uid: 'w-2', notify: false });
      expect(webhook).to.equal(null);
      expect(received).to.have.length(0);

      reply = 400;
      const payload = { imp_uid: payment.imp_uid, merchant_uid: 'w-2', status: 'paid' };
      const first = await call('POST', '/__sim/webhook', payload);
      const second = await call('POST', '/__sim/webhook', payload);
      expect(received.map((r) => r.body)).to.deep.equal([payload, payload]);
      expect((first.body as any).status).to.equal(400);
      expect((second.body as any).body).to.deep.equal({ status: 'error' });
      expect(sim.state.webhooks).to.have.length(2);
    });
  });
});
