// The sign-in throttle's counts in PostgreSQL (auth_attempts): fixed windows per e-mail and per IP, shared by
// every throttle instance on the database (the API's, the panel's, other processes'), pruned when ended.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { resetDb, testDb } from '../helpers/db.js';
import { LoginThrottle } from '../../src/http/auth/throttle.js';
import { pruneEndedAttempts } from '../../src/services/auth-attempts.js';

describe('sign-in throttle (counts in PostgreSQL)', () => {
  beforeEach(resetDb);

  it('counts failures per e-mail and per IP in a fixed window, forgives after it, resets the e-mail on success', async () => {
    const db = await testDb();
    let now = Date.parse('2026-12-06T00:00:00Z');
    const t = new LoginThrottle(db, { maxPerEmail: 2, maxPerIp: 3, windowMs: 60_000 }, () => now);
    await t.recordFailure('1.1.1.1', 'A@x.kr');
    expect(await t.retryAfter('1.1.1.1', 'a@x.kr')).to.equal(0);
    await t.recordFailure('2.2.2.2', 'a@x.kr');
    expect(await t.retryAfter('3.3.3.3', 'a@X.kr'), 'per e-mail, whatever the IP').to.equal(60);
    now += 30_000;
    expect(await t.retryAfter('3.3.3.3', 'a@x.kr')).to.equal(30);
    now += 30_000;
    expect(await t.retryAfter('3.3.3.3', 'a@x.kr'), 'the window ended').to.equal(0);
    await t.recordFailure('3.3.3.3', 'a@x.kr');
    expect(await t.retryAfter('3.3.3.3', 'a@x.kr'), 'a new window starts at 1').to.equal(0);

    await t.recordFailure('9.9.9.9', 'b@x.kr');
    await t.recordFailure('9.9.9.9', 'c@x.kr');
    await t.recordFailure('9.9.9.9', 'd@x.kr');
    expect(await t.retryAfter('9.9.9.9', 'new@x.kr'), 'per IP, whatever the e-mail').to.be.greaterThan(0);
    expect(await t.retryAfter('8.8.8.8', 'new@x.kr')).to.equal(0);

    await t.recordFailure('5.5.5.5', 'e@x.kr');
    await t.recordFailure('5.5.5.5', 'e@x.kr');
    expect(await t.retryAfter('6.6.6.6', 'e@x.kr')).to.be.greaterThan(0);
    await t.recordSuccess('E@x.kr');
    expect(await t.retryAfter('6.6.6.6', 'e@x.kr')).to.equal(0);
  });

  it('two throttles on one database (two processes, or the API and the panel) share one count; concurrent failures all count', async () => {
    const db = await testDb();
    const limits = { maxPerEmail: 5, maxPerIp: 100, windowMs: 60_000 };
    const one = new LoginThrottle(db, limits);
    const two = new LoginThrottle(db, limits);
    await Promise.all([1, 2, 3, 4, 5].map((i) => (i % 2 ? one : two).recordFailure(`10.0.0.${i}`, 'shared@x.kr')));
    expect(await one.retryAfter('10.0.0.9', 'shared@x.kr')).to.be.greaterThan(0);
    expect(await two.retryAfter('10.0.0.9', 'shared@x.kr')).to.be.greaterThan(0);
    const [row] = await db.query<{ failures: number }>(`SELECT failures FROM auth_attempts WHERE key = 'login-email:shared@x.kr'`, { type: QueryTypes.SELECT });
    expect(row?.failures).to.equal(5);
  });

  it('the daily clean-up drops counters whose window has ended and keeps the live ones', async () => {
    const db = await testDb();
    let now = Date.parse('2026-12-06T00:00:00Z');
    const t = new LoginThrottle(db, { maxPerEmail: 1, maxPerIp: 100, windowMs: 60_000 }, () => now);
    await t.recordFailure('1.1.1.1', 'old@x.kr');
    now += 120_000;
    await t.recordFailure('1.1.1.2', 'live@x.kr');
    expect(await pruneEndedAttempts(db, new Date(now))).to.equal(2); // old@x.kr and 1.1.1.1
    const keys = (await db.query<{ key: string }>(`SELECT key FROM auth_attempts ORDER BY key`, { type: QueryTypes.SELECT })).map((r) => r.key);
    expect(keys).to.deep.equal(['login-email:live@x.kr', 'login-ip:1.1.1.2']);
    expect(await t.retryAfter('7.7.7.7', 'live@x.kr')).to.be.greaterThan(0);
  });
});
