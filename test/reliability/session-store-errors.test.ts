/**
 * A transient failure reading the session (pool timeout, database blip) answers 503 in the error shape and
 * keeps the session: the same cookie is signed in again once the store answers. (With `unset: 'destroy'` the
 * failed read made express-session delete the stored session: the buyer was signed out mid-purchase.)
 */
import { expect } from 'chai';
import type { Express } from 'express';
import pg from 'pg';
import { ConnectionAcquireTimeoutError } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { AUTH, signedInBuyer } from '../helpers/auth.js';


describe('reliability: session store read errors', function () {
  this.timeout(30_000);
  let app: Express;

  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });
  let restore: (() => void) | null = null;
  afterEach(() => restore?.());

  /**
   * The next `n` reads of the session table fail with `error` (as the database would answer them), at the
   * driver: whichever way the store sends its read (Sequelize, a named statement of node-pg's).
   */
  function failSessionReads(n: number, error: () => Error): void {
    let left = n;
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      const sql = typeof first === 'string' ? first : (first?.text ?? '');
      if (left > 0 && /^\s*SELECT/i.test(sql) && /FROM "session"/.test(sql)) {
        left--;
        return Promise.reject(error());
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    restore = () => {
      pg.Client.prototype.query = original;
      restore = null;
    };
  }

  for (const [name, error] of [
    ['a pool timeout', () => new ConnectionAcquireTimeoutError(new Error('Operation timeout'))],
    ['a statement cancelled by the database', () => Object.assign(new pg.DatabaseError('canceling statement due to statement timeout', 0, 'error'), { code: '57014' })],
  ] as const) {
    it(`${name} while reading the session: 503 in the error shape, and the session survives`, async () => {
      const { agent, user } = await signedInBuyer(app);
      const before = await agent.get(`${AUTH}/session`).expect(200);
      expect(before.body.data.user.id).to.equal(user.id);

      failSessionReads(1, error);
      const res = await agent.get('/v1/shop/orders/');
      expect(res.status, JSON.stringify(res.body)).to.equal(503);
      expect(res.body.type).to.equal('server_error');
      expect(res.body.errors[0].code).to.be.a('string');
      expect(res.headers['set-cookie'] ?? [], 'the cookie is left alone').to.satisfy((c: string[]) => !c.some((x) => /expires=Thu, 01 Jan 1970/i.test(x)));

      // the store is back: the same cookie is still signed in, the stored session row is still there
      const after = await agent.get(`${AUTH}/session`);
      expect(after.status, JSON.stringify(after.body)).to.equal(200);
      expect(after.body.data.user.id).to.equal(user.id);
      await agent.get('/v1/shop/orders/').expect(200);
    });
  }
});
