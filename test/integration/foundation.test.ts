import { expect } from 'chai';
import request from 'supertest';
import express from 'express';
import { QueryTypes } from 'sequelize';
import { resetDb, testDb, testConfig } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { migrator } from '../../src/db/migrator.js';
import { runSeeders } from '../../src/db/bootstrap.js';
import { seeder } from '../../src/db/migrator.js';
import { errorHandler, ApiError, ah } from '../../src/http/errors.js';
import { parseConfig, ConfigError } from '../../src/config.js';
import { listProducts } from '../../src/services/catalog.js';
import { AuditLog, Product, Tag, User } from '../../src/models/index.js';
import { runAs } from '../../src/context.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';

const tableCount = async () => {
  const s = await testDb();
  const [r] = await s.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'Sequelize%'`, { type: QueryTypes.SELECT });
  return r!.n;
};

describe('migrations', () => {
  it('go up, all the way down, and up again', async () => {
    const s = await testDb();
    const m = migrator(s);
    expect(await m.pending()).to.deep.equal([]);
    const full = await tableCount();
    expect(full).to.be.greaterThanOrEqual(17);
    await m.down({ to: 0 });
    expect(await tableCount()).to.equal(0);
    await m.up();
    expect(await tableCount()).to.equal(full);
  });

  it('partial unique indexes let a soft-deleted name be created again, but not a live duplicate', async () => {
    await resetDb();
    const t = await Tag.create({ nameKo: '중복' });
    let failed = false;
    try {
      await Tag.create({ nameKo: '중복' });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    await t.destroy();
    const again = await Tag.create({ nameKo: '중복' });
    expect(again.id).to.not.equal(t.id);
    expect(await Tag.count()).to.equal(1);
    expect(await Tag.count({ paranoid: false })).to.equal(2);
  });
});

describe('seeders', () => {
  it('seed the demo catalogue once; running them again changes nothing', async () => {
    const s = await resetDb();
    const ran = await runSeeders(s, true);
    expect(ran).to.have.length.greaterThan(0);
    const snapshot = async () =>
      s.query(
        `SELECT (SELECT count(*) FROM users) u, (SELECT count(*) FROM products) p, (SELECT count(*) FROM option_groups) g,
                (SELECT count(*) FROM options) o, (SELECT count(*) FROM tags) t, (SELECT string_agg(name_ko, ',' ORDER BY id) FROM products) names`,
        { type: QueryTypes.SELECT },
      );
    const before = await snapshot();
    expect(await runSeeders(s, true)).to.deep.equal([]);
    // even bypassing the bookkeeping (sequelize-cli db:seed:all keeps none by default) nothing is duplicated
    for (const mig of await seeder(s).migrations({})) await mig.up({ name: mig.name, context: {} });
    expect(await snapshot()).to.deep.equal(before);

    const list = await listProducts(s, { lang: 'ko', now: new Date() });
    const ticket = list.find((p) => p.category_group === '티켓')!;
    expect(ticket.tag_names).to.have.length(1);
    expect(ticket.option_groups.map((g) => g.is_custom_response)).to.deep.equal([false, true]);
    expect(list.some((p) => p.donation_allowed && p.donation_max_price! > p.donation_min_price!)).to.equal(true);
    expect(list.some((p) => p.category_group === '굿즈' && p.leftover_stock === 50)).to.equal(true);
    const admin = await User.findOne({ where: { email: 'admin@example.com' } });
    expect(admin?.isStaff).to.equal(true);
    expect(await User.findOne({ where: { email: 'buyer@example.com' } })).to.not.equal(null);
  });

  it('skip the demo data when SEED_DEMO is off', async () => {
    const s = await resetDb();
    await runSeeders(s, false);
    expect(await Product.count()).to.equal(0);
  });
});

describe('audit history', () => {
  beforeEach(resetDb);
  it('records who changed what, with before and after', async () => {
    const admin = await makeUser({ isStaff: true });
    const p = await runAs({ userId: admin.id, label: `user:${admin.id}` }, () => makeProduct({ price: 1000 }));
    await runAs({ userId: admin.id, label: `user:${admin.id}` }, () => p.update({ price: 2000 }));
    await p.destroy();
    const rows = await AuditLog.findAll({ where: { tableName: 'products', recordId: p.id }, order: [['id', 'ASC']] });
    expect(rows.map((r) => r.action)).to.deep.equal(['create', 'update', 'delete']);
    expect(rows[0]!.actorUserId).to.equal(admin.id);
    expect(rows[1]!.before).to.deep.include({ price: 1000 });
    expect(rows[1]!.after).to.deep.include({ price: 2000 });
    expect(rows[2]!.actorLabel).to.equal('system');
    const reloaded = await Product.findByPk(p.id, { paranoid: false });
    expect(reloaded!.createdById).to.equal(admin.id);
    expect(reloaded!.deletedAt).to.not.equal(null);
  });
});

describe('HTTP foundation', () => {
  before(resetDb);
  it('GET /healthz reports the database', async () => {
    const res = await request(await makeApp()).get('/healthz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ok', database: 'ok' });
  });

  it('unknown route → 404 in the error shape', async () => {
    const res = await request(await makeApp()).get('/v1/shop/nope/').expect(404);
    expect(res.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'not_found', detail: '요청하신 주소를 찾을 수 없습니다.', attr: null }] });
  });

  it('malformed JSON → 400 parse_error', async () => {
    const res = await request(await makeApp()).post('/v1/shop/products/').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(res.body.type).to.equal('client_error');
    expect(res.body.errors[0]).to.include({ code: 'parse_error', attr: null });
  });

  it('bad query → 400 validation_error naming the parameter', async () => {
    const res = await request(await makeApp()).get('/v1/shop/products/?category_group=a&category_group=b').expect(400);
    expect(res.body.type).to.equal('validation_error');
    expect(res.body.errors[0].attr).to.equal('category_group');
  });

  it('malformed product id → 404, not 500', async () => {
    const res = await request(await makeApp()).get("/v1/shop/products/1' OR 1=1/").expect(404);
    expect(res.body.type).to.equal('client_error');
  });

  it('an unexpected exception → 500 in the shape, without a stack trace', async () => {
    const app = express();
    app.get('/boom', ah(async () => {
      throw new Error('secret internals at /srv/app.ts:12');
    }));
    app.get('/api-error', () => {
      throw ApiError.client(409, 'conflict', '충돌')
    });
    app.use(errorHandler);
    const res = await request(app).get('/boom').expect(500);
    expect(res.body).to.deep.equal({ type: 'server_error', errors: [{ code: 'error', detail: '서버 오류가 발생했습니다.', attr: null }] });
    expect(JSON.stringify(res.body)).not.to.contain('srv');
    const res2 = await request(app).get('/api-error').expect(409);
    expect(res2.body.errors[0].code).to.equal('conflict');
  });
});

describe('configuration', () => {
  it('has working defaults and names a bad variable', () => {
    const c = parseConfig({});
    expect(c.port).to.equal(8000);
    expect(c.databaseUrl).to.equal(undefined);
    expect(() => parseConfig({ PORT: 'eighty' })).to.throw(ConfigError, /PORT/);
    expect(() => parseConfig({ DATABASE_URL: 'not a url' })).to.throw(ConfigError, /DATABASE_URL/);
    expect(() => parseConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /SECRET_KEY/);
    expect(parseConfig({ PORTONE_IP_LIST: '1.1.1.1, 2.2.2.2' }).portone.ipList).to.deep.equal(['1.1.1.1', '2.2.2.2']);
    expect(testConfig.env).to.equal('test');
  });

  it('the demo PortOne simulator runs only without credentials, and never in production', () => {
    const secret = { SECRET_KEY: 'x'.repeat(40) };
    expect(parseConfig({}).portone.demoSimulator).to.deep.equal({ enabled: true, port: 8090 });
    expect(parseConfig({ PORTONE_IMP_KEY: 'real-key' }).portone.demoSimulator.enabled).to.equal(false);
    expect(parseConfig({ PORTONE_DEMO_SIMULATOR: 'false' }).portone.demoSimulator.enabled).to.equal(false);
    expect(parseConfig({ PORTONE_IMP_KEY: 'real-key', PORTONE_DEMO_SIMULATOR: 'true', PORTONE_SIM_PORT: '9000' }).portone.demoSimulator).to.deep.equal({ enabled: true, port: 9000 });
    expect(parseConfig({ NODE_ENV: 'production', ...secret }).portone.demoSimulator.enabled).to.equal(false);
    expect(parseConfig({ NODE_ENV: 'production', PORTONE_DEMO_SIMULATOR: 'true', ...secret }).portone.demoSimulator.enabled).to.equal(false);
  });
});
