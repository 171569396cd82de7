/**
 * Refund authorisation at the registration desk: only the roles that may refund in the panel (manager,
 * superuser) may authorize, and wrong TOTP codes are throttled per authorizer and per API key (429 with a
 * Korean message, Retry-After, the lockout audited), with nothing cancelled at PortOne.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { generate } from 'otplib';
import { resetDb, testConfig } from '../helpers/db.js';
import { makeApp, portoneClient, portoneSim } from '../helpers/app.js';
import { makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { createApiKey } from '../../src/services/auth.js';
import { confirmEnrollment, startEnrollment } from '../../src/services/totp.js';
import { AuditLog, PaymentHistory, type Order, type User } from '../../src/models/index.js';
import { TOTP_THROTTLE } from '../../src/services/totp-throttle.js';

const DESK = '/v1/internal-api/desk-support/';

describe('security: desk refund authorizers (roles, TOTP brute-force throttle)', () => {
  let app: Express;
  let key: { key: string; secret: string };

  const del = (k: { key: string; secret: string }, orderId: string, otp: string, authorizer: string) =>
    request(app).delete(`${DESK}${orderId}/`).set('x-api-key', k.key).set('x-api-secret', k.secret).send({ otp, authorizer });

  async function deskKey(name: string) {
    const a = await createApiKey({ name, scopes: ['desk'] });
    return { key: a.apiKey.key, secret: a.secret };
  }

  /** An order paid at the PortOne simulator (same imp_uid and amount as its ledger row). */
  async function paidOrder(): Promise<{ order: Order; impUid: string }> {
    const order = await makeOrder(await makeUser(), [{ product: await makeProduct({ price: 30000 }) }]);
    const ph = (await PaymentHistory.findOne({ where: { orderId: order.id } }))!;
    await (await portoneClient()).preparePayment(`sec-${order.id}`, ph.price);
    await (await portoneSim()).pay({ merchant_uid: `sec-${order.id}`, imp_uid: ph.impId!, notify: false });
    return { order, impUid: ph.impId! };
  }
  const cancels = async (impUid: string) => (await portoneSim()).state.cancels.filter((c) => c.body.imp_uid === impUid && c.ok).length;
  const statusOf = async (order: Order) => (await PaymentHistory.findAll({ where: { orderId: order.id }, order: [['createdAt', 'DESC']] }))[0]!.status;

  async function enrolled(over: Record<string, unknown>): Promise<{ user: User; code: () => Promise<string>; wrong: () => Promise<string> }> {
    const user = await makeUser({ isStaff: true, ...over });
    const { secret } = await startEnrollment(user.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    const nowS = Math.floor(Date.now() / 1000);
    await confirmEnrollment(user.id, await generate({ secret, epoch: nowS - 90 }), { secretKey: testConfig.secretKey, now: new Date((nowS - 90) * 1000) });
    const code = () => generate({ secret, epoch: Math.floor(Date.now() / 1000) });
    return {
      user,
      code,
      wrong: async () => {
        // a code that is neither the current nor the previous step's
        const ok = new Set([await code(), await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 })]);
        for (let n = 0; ; n++) {
          const c = String(n).padStart(6, '0');
          if (!ok.has(c)) return c;
        }
      },
    };
  }

  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    key = await deskKey('registration_desk');
  });

  it('a viewer (staff without a refund role) cannot authorize, even with a right code; a manager and a superuser can', async () => {
    const viewer = await enrolled({ adminRole: 'viewer', email: 'viewer@example.com' });
    const plainStaff = await enrolled({ adminRole: null, email: 'staff@example.com' });
    const manager = await enrolled({ adminRole: 'manager', email: 'manager@example.com' });
    const superuser = await enrolled({ adminRole: null, isSuperuser: true, email: 'root@example.com' });
    const { order, impUid } = await paidOrder();
    for (const who of [viewer, plainStaff]) {
      const res = await del(key, order.id, await who.code(), who.user.email).expect(400);
      expect(res.body).to.deep.equal({ type: 'validation_error', errors: [{ code: 'INVALID_OTP_CODE', detail: 'OTP 코드가 올바르지 않습니다.', attr: 'otp' }] });
    }
    expect(await cancels(impUid)).to.equal(0);
    expect(await statusOf(order)).to.equal('completed');
    await del(key, order.id, await manager.code(), manager.user.email).expect(204);
    expect(await cancels(impUid)).to.equal(1);
    const second = await paidOrder();
    await del(key, second.order.id, await superuser.code(), superuser.user.uniqueId).expect(204);
    expect(await cancels(second.impUid)).to.equal(1);
  });

  it(`${TOTP_THROTTLE.maxFailures} wrong codes for one authorizer → 429 (Korean, Retry-After) even for the right code, from any key; the lockout is audited once`, async () => {
    const manager = await enrolled({ adminRole: 'manager', email: 'manager@example.com' });
    const { order, impUid } = await paidOrder();
    for (let i = 0; i < TOTP_THROTTLE.maxFailures; i++) {
      const res = await del(key, order.id, await manager.wrong(), manager.user.email).expect(400);
      expect(res.body.errors[0].code).to.equal('INVALID_OTP_CODE');
    }
    const locked = await del(key, order.id, await manager.code(), manager.user.email).expect(429);
    expect(locked.body.type).to.equal('client_error');
    expect(locked.body.errors[0]).to.include({ code: 'OTP_TOO_MANY_ATTEMPTS', attr: 'otp' });
    expect(locked.body.errors[0].detail).to.match(/OTP 코드를 너무 많이 틀렸습니다\. \d+분 후 다시 시도해주세요\./);
    expect(Number(locked.headers['retry-after'])).to.be.within(1, TOTP_THROTTLE.windowMs / 1000);
    // another desk key: the authorizer is still locked
    await del(await deskKey('second_desk'), order.id, await manager.code(), manager.user.email).expect(429);
    expect(await cancels(impUid)).to.equal(0);
    expect(await statusOf(order)).to.equal('completed');
    const audits = await AuditLog.findAll({ where: { action: 'auth.totp_locked' } });
    expect(audits.map((a) => a.recordId).sort()).to.deep.equal([String(manager.user.id), '*'].sort()); // the authorizer and the key
    expect(audits.every((a) => a.actorLabel === 'api_key:registration_desk')).to.equal(true);
  });

  it('wrong codes from one API key are counted across authorizers (unknown ones too): that key is locked, another key is not', async () => {
    const manager = await enrolled({ adminRole: 'manager', email: 'manager@example.com' });
    const { order, impUid } = await paidOrder();
    for (let i = 0; i < TOTP_THROTTLE.maxFailures; i++) {
      await del(key, order.id, '123456', `nobody${i}@example.com`).expect(400);
    }
    const res = await del(key, order.id, await manager.code(), manager.user.email).expect(429);
    expect(res.body.errors[0].code).to.equal('OTP_TOO_MANY_ATTEMPTS');
    expect(await cancels(impUid)).to.equal(0);
    await del(await deskKey('second_desk'), order.id, await manager.code(), manager.user.email).expect(204);
    expect(await cancels(impUid)).to.equal(1);
  });

  it('a right code before the limit clears the authorizer\'s count', async () => {
    const manager = await enrolled({ adminRole: 'manager', email: 'manager@example.com' });
    const a = await paidOrder();
    const b = await paidOrder();
    for (let i = 0; i < TOTP_THROTTLE.maxFailures - 1; i++) await del(await deskKey(`k${i}`), a.order.id, await manager.wrong(), manager.user.email).expect(400);
    await del(key, a.order.id, await manager.code(), manager.user.email).expect(204);
    await del(await deskKey('k-next'), b.order.id, await manager.wrong(), manager.user.email).expect(400); // 1, not 5: not locked
    const row = await (await import('../helpers/db.js')).testDb();
    const [[count]] = (await row.query(`SELECT failures FROM auth_attempts WHERE key = 'authorizer:${manager.user.id}'`)) as [Array<{ failures: number }>, unknown];
    expect(count!.failures).to.equal(1);
  });
});
