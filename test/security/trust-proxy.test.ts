/**
 * TRUST_PROXY: a hop count or the proxies' addresses / CIDRs (Express `trust proxy` semantics). The client
 * IP is the right-most X-Forwarded-For entry that is not a trusted proxy, so a client's own
 * X-Forwarded-For cannot put it on the PortOne webhook allow-list nor dodge the per-IP sign-in throttle.
 * (supertest connects from 127.0.0.1: that socket peer plays the reverse proxy.)
 */
import { expect } from 'chai';
import request from 'supertest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { anonymousBrowser, AUTH } from '../helpers/auth.js';

const PORTONE_IP = '52.78.100.19';
const HOOK = '/v1/shop/payment-histories/';
const body = { imp_uid: 'imp_1', merchant_uid: 'nothing.0123456789abcdef', status: 'paid' };

describe('security: TRUST_PROXY (client IP behind reverse proxies)', function () {
  this.timeout(60_000);
  before(async () => {
    await resetDb();
  });

  it('parses false / hop counts / address lists; `true` means one hop; anything else stops start-up', () => {
    const tp = (v: string) => parseConfig({ TRUST_PROXY: v }).trustProxy;
    expect(parseConfig({}).trustProxy).to.equal(false);
    expect(tp('false')).to.equal(false);
    expect(tp('0')).to.equal(false);
    expect(tp('true')).to.equal(1);
    expect(tp('2')).to.equal(2);
    expect(tp('loopback, 10.0.0.0/8, 192.168.1.7')).to.deep.equal(['loopback', '10.0.0.0/8', '192.168.1.7']);
    expect(() => tp('proxy.example')).to.throw(ConfigError, /TRUST_PROXY/);
    expect(() => tp('10.0.0.0/99')).to.throw(ConfigError, /TRUST_PROXY/);
  });

  for (const setting of ['true', '1', '127.0.0.1', 'loopback']) {
    it(`TRUST_PROXY=${setting}: a forged left-most X-Forwarded-For is not the client; the proxy-added right-most one is`, async () => {
      const app = await makeApp({ env: { TRUST_PROXY: setting, PORTONE_WEBHOOK_ALLOW_LOOPBACK: 'false' } });
      // the client sent "X-Forwarded-For: 52.78.100.19"; the proxy appended the real peer 203.0.113.9
      const forged = await request(app).post(HOOK).set('x-forwarded-for', `${PORTONE_IP}, 203.0.113.9`).send(body);
      expect(forged.status).to.equal(403);
      expect(forged.body.errors[0].code).to.equal('permission_denied');
      // PortOne's request through the proxy: the right-most entry is PortOne's address → past the allow-list
      const real = await request(app).post(HOOK).set('x-forwarded-for', `198.51.100.1, ${PORTONE_IP}`).send(body);
      expect(real.status).to.not.equal(403);
    });
  }

  it('an address list skips every trusted hop (right to left) and stops at the first untrusted one', async () => {
    const app = await makeApp({ env: { TRUST_PROXY: 'loopback,10.0.0.0/8', PORTONE_WEBHOOK_ALLOW_LOOPBACK: 'false' } });
    expect((await request(app).post(HOOK).set('x-forwarded-for', `${PORTONE_IP}, 10.1.2.3`).send(body)).status).to.not.equal(403);
    expect((await request(app).post(HOOK).set('x-forwarded-for', `${PORTONE_IP}, 8.8.8.8, 10.1.2.3`).send(body)).status).to.equal(403);
  });

  it('without TRUST_PROXY X-Forwarded-For is ignored (the socket peer is the client)', async () => {
    const app = await makeApp({ env: { PORTONE_WEBHOOK_ALLOW_LOOPBACK: 'false' } });
    expect((await request(app).post(HOOK).set('x-forwarded-for', PORTONE_IP).send(body)).status).to.equal(403);
  });

  it('the per-IP sign-in throttle counts the real client: varying a forged X-Forwarded-For does not reset it', async () => {
    const app = await makeApp({ env: { TRUST_PROXY: '1', LOGIN_THROTTLE_MAX_PER_IP: '3', LOGIN_THROTTLE_MAX_PER_EMAIL: '100' } });
    const browser = await anonymousBrowser(app);
    const attempt = (i: number) =>
      browser.agent
        .post(`${AUTH}/login`)
        .set('x-csrftoken', browser.csrf)
        .set('x-forwarded-for', `198.51.100.${i}, 203.0.113.77`)
        .send({ email: `nobody${i}@example.com`, password: 'wrong-password' });
    for (let i = 1; i <= 3; i++) expect((await attempt(i)).status).to.equal(400);
    const throttled = await attempt(4);
    expect(throttled.status).to.equal(429);
  });
});
