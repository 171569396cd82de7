/**
 * Bad input on the panel: an import file over the 10 MB limit is a 413 (it was a 500), NUL bytes in form
 * fields a 400, both in the contract shape, with nothing written.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { adminApp, adminLogin, makeStaff, type Agent } from '../helpers/admin.js';
import { AuditLog, CategoryGroup, Order } from '../../src/models/index.js';
import { expectContractError } from '../helpers/contract.js';

const API = '/admin/api/resources';

describe('security: bad input on the admin panel', function () {
  this.timeout(120_000);
  let app: Express;
  let m: Agent;

  before(async () => {
    ({ app } = await adminApp());
    await resetDb();
    await makeStaff('manager', { email: 'manager@example.com' });
    m = await adminLogin(app, 'manager@example.com');
  });

  it('a 12 MB import file → 413, nothing imported', async () => {
    const orders = await Order.count();
    const big = Buffer.alloc(12 * 1024 * 1024, 'a,b,c\n');
    const res = await m.post(`${API}/orders/actions/import`).field('apply', 'true').attach('file', big, 'orders.csv');
    expectContractError(res, '12 MB import');
    expect(res.status).to.equal(413);
    expect(await Order.count()).to.equal(orders);
    // the panel still answers afterwards
    expect((await m.get(`${API}/orders/actions/list`)).status).to.equal(200);
  });

  it('NUL bytes in a form field → 400 null_characters_not_allowed, nothing saved', async () => {
    const audits = await AuditLog.count();
    const res = await m.post(`${API}/category_groups/actions/new`).type('form').send({ name: 'a\u0000b', priority: '0' });
    expectContractError(res, 'NUL in a form field');
    expect(res.body.errors[0]).to.include({ code: 'null_characters_not_allowed', attr: 'name' });
    expect(await CategoryGroup.count()).to.equal(0);
    expect(await AuditLog.count()).to.equal(audits);
  });
});
