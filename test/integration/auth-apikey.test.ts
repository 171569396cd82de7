import { expect } from 'chai';
import express, { type Express } from 'express';
import request from 'supertest';
import { spawn } from 'node:child_process';
import { QueryTypes } from 'sequelize';
import { resetDb, testConfig, testDb } from '../helpers/db.js';
import { makeApp, portoneClient } from '../helpers/app.js';
import { makeUser } from '../helpers/fixtures.js';
import { AUTH, signIn, signedInBuyer } from '../helpers/auth.js';
import { createAuth, requireApiKey, requireUser } from '../../src/http/auth/index.js';
import { ah, errorHandler } from '../../src/http/errors.js';
import { currentActor } from '../../src/context.js';
import { createApiKey, listApiKeys, revokeApiKey, verifyApiKey } from '../../src/services/auth.js';
import { apiKeyCommand } from '../../src/cli/apikey.js';
import { userCommand } from '../../src/cli/user.js';
import { ApiKey, AuditLog, Tag, User } from '../../src/models/index.js';

/** The real auth stack in front of probe routes guarded like the desk API and the buyer API will be. */
async function probeApp(): Promise<Express> {
  const deps = { config: testConfig, sequelize: await testDb(), portone: await portoneClient() };
  const auth = createAuth(deps);
  const app = express();
  app.use(auth.cors);
  app.use(express.json());
  app.use(auth.middleware);
  app.use(auth.routes);
  const who = (req: express.Request) => ({ apiKey: req.apiKey ?? null, user: req.user ?? null, actor: currentActor() });
  app.get('/probe/desk', requireApiKey('desk'), (req, res) => {
    res.json(who(req));
  });
  app.post(
    '/probe/desk',
    requireApiKey('desk'),
    ah(async (req, res) => {
      const tag = await Tag.create({ nameKo: '데스크가 만든 태그' });
      res.status(201).json({ ...who(req), tagId: tag.id });
    }),
  );
  app.get('/probe/buyer', requireUser, (req, res) => {
    res.json(who(req));
  });
  app.use(errorHandler);
  return app;
}

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

describe('auth: API keys (x-api-key + x-api-secret)', () => {
  let app: Express;
  before(async () => {
    app = await probeApp();
  });
  beforeEach(async () => {
    await resetDb();
  });

  it('stores only a hash of the secret; the secret is returned once; creation is audited', async () => {
    const { apiKey, secret } = await createApiKey({ name: 'Registration_Desk', scopes: ['desk', 'desk'] });
    expect(apiKey.name).to.equal('registration_desk');
    expect(apiKey.key).to.match(/^ak_[0-9a-f]{24}$/);
    expect(apiKey.scopes).to.deep.equal(['desk']);
    expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await (await testDb()).query<{ secret_hash: string }>('SELECT secret_hash FROM api_keys', { type: QueryTypes.SELECT });
    expect(row!.secret_hash).to.match(/^sha256\$[0-9a-f]{64}$/);
    expect(row!.secret_hash).to.not.include(secret);
    const audit = await AuditLog.findOne({ where: { tableName: 'api_keys', action: 'api_key.created' } });
    expect(audit!.after).to.deep.equal({ name: 'registration_desk', key: apiKey.key, scopes: ['desk'] });
    expect(JSON.stringify(audit!.after)).to.not.include(secret);
    // one active key per name; bad names and scopes are refused
    await createApiKey({ name: 'registration_desk', scopes: ['desk'] }).then(
      () => expect.fail('duplicate name accepted'),
      (e: Error) => expect(e.message).to.include('이미'),
    );
    await createApiKey({ name: 'bad name!', scopes: ['desk'] }).then(() => expect.fail(), (e: Error) => expect(e).to.be.an('error'));
    await createApiKey({ name: 'ok', scopes: [] }).then(() => expect.fail(), (e: Error) => expect(e).to.be.an('error'));
  });

  it('a key with the scope authenticates a service principal: actor api_key:<name>, audited, last_used_at stamped', async () => {
    const { apiKey, secret } = await createApiKey({ name: 'registration_desk', scopes: ['desk'] });
    expect(apiKey.lastUsedAt).to.equal(null);
    const res = await request(app).post('/probe/desk').set('x-api-key', apiKey.key).set('x-api-secret', secret).send({}).expect(201);
    expect(res.body.apiKey).to.deep.equal({ id: apiKey.id, name: 'registration_desk', scopes: ['desk'] });
    expect(res.body.user).to.equal(null);
    expect(res.body.actor).to.deep.equal({ userId: null, label: 'api_key:registration_desk' });
    const audit = await AuditLog.findOne({ where: { tableName: 'tags', recordId: res.body.tagId, action: 'create' } });
    expect(audit!.actorLabel).to.equal('api_key:registration_desk');
    expect((await ApiKey.findByPk(apiKey.id))!.lastUsedAt).to.be.an.instanceOf(Date);
    // the original desk clients send the key's name (any case) as x-api-key
    await request(app).get('/probe/desk').set('x-api-key', 'REGISTRATION_DESK').set('x-api-secret', secret).expect(200);
  });

  it('unknown key, wrong secret, one header only or a revoked key → 401; a missing scope → 403', async () => {
    const { apiKey, secret } = await createApiKey({ name: 'registration_desk', scopes: ['desk'] });
    const other = await createApiKey({ name: 'patron_export', scopes: ['patron'] });
    const call = (key?: string, sec?: string) => {
      let r = request(app).get('/probe/desk');
      if (key !== undefined) r = r.set('x-api-key', key);
      if (sec !== undefined) r = r.set('x-api-secret', sec);
      return r;
    };
    const expect401 = async (r: request.Test) => {
      const res = await r.expect(401);
      expect(res.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'authentication_failed', detail: 'API Key가 올바르지 않습니다.', attr: null }] });
    };
    await expect401(call('ak_000000000000000000000000', secret));
    await expect401(call(apiKey.key, `${secret}x`));
    await expect401(call(apiKey.key, other.secret));
    await expect401(call(apiKey.key));
    await expect401(call(undefined, secret));
    await expect401(call());
    await expect401(call('x'.repeat(500), secret));
    const noScope = await call(other.apiKey.key, other.secret).expect(403);
    expect(noScope.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'INVALID_API_KEY', detail: 'API Key가 올바르지 않습니다.', attr: null }] });

    await call(apiKey.key, secret).expect(200);
    expect((await revokeApiKey('registration_desk')).map((k) => k.id)).to.deep.equal([apiKey.id]);
    await expect401(call(apiKey.key, secret));
    await expect401(call('registration_desk', secret));
    expect(await AuditLog.count({ where: { tableName: 'api_keys', action: 'api_key.revoked' } })).to.equal(1);
    // a new key may take the name again; the old secret stays dead
    const renewed = await createApiKey({ name: 'registration_desk', scopes: ['desk'] });
    await call('registration_desk', renewed.secret).expect(200);
    await expect401(call('registration_desk', secret));
    expect(await verifyApiKey(apiKey.key, secret)).to.equal(null);
  });

  it('key requests skip CSRF and ignore any session; sessions never satisfy requireApiKey', async () => {
    const { apiKey, secret } = await createApiKey({ name: 'registration_desk', scopes: ['desk'] });
    const buyer = await makeUser({}, 'pw-12345678');
    const { agent } = await signIn(app, buyer.email, 'pw-12345678');
    const res = await agent.post('/probe/desk').set('x-api-key', apiKey.key).set('x-api-secret', secret).send({}).expect(201);
    expect(res.body.user, 'the session user is not carried along').to.equal(null);
    await agent.get('/probe/desk').expect(401);
    await agent.get('/probe/buyer').expect(200);
    const viaKey = await request(app).get('/probe/buyer').set('x-api-key', apiKey.key).set('x-api-secret', secret).expect(401);
    expect(viaKey.body.errors[0].detail).to.equal('로그인 후 이용해주세요.');
  });

  it('on the real app: bad key headers are refused everywhere, the session endpoint says "not signed in" to a key', async () => {
    const real = await makeApp();
    await request(real).get('/v1/shop/products/').set('x-api-key', 'nope').set('x-api-secret', 'nope').expect(401);
    const { apiKey, secret } = await createApiKey({ name: 'desk', scopes: ['desk'] });
    await request(real).get(`${AUTH}/session`).set('x-api-key', apiKey.key).set('x-api-secret', secret).expect(401);
    const { agent } = await signedInBuyer(real);
    await agent.get(`${AUTH}/session`).set('x-api-key', apiKey.key).set('x-api-secret', secret).expect(401);
  });

  describe('npm run apikey', () => {
    it('create prints the secret once; list never shows it; revoke by name', async () => {
      const c = io();
      expect(await apiKeyCommand(['create', '--name', 'registration_desk', '--scope', 'desk'], c.io)).to.equal(0);
      const secret = /x-api-secret: (\S+)/.exec(c.out.join('\n'))![1]!;
      const key = /x-api-key: +(\S+)/.exec(c.out.join('\n'))![1]!;
      expect(await verifyApiKey(key, secret)).to.include({ name: 'registration_desk' });
      const l = io();
      expect(await apiKeyCommand(['list'], l.io)).to.equal(0);
      expect(l.out.join('\n')).to.include('registration_desk').and.include(key).and.include('scopes=desk').and.include('active');
      expect(l.out.join('\n')).to.not.include(secret);
      const r = io();
      expect(await apiKeyCommand(['revoke', '--name', 'registration_desk'], r.io)).to.equal(0);
      expect(r.out[0]).to.include('revoked registration_desk');
      expect(await apiKeyCommand(['revoke', '--name', 'registration_desk'], io().io)).to.equal(1);
      expect(await apiKeyCommand(['create', '--name', 'x'], io().io)).to.equal(2);
      expect(await apiKeyCommand(['frobnicate'], io().io)).to.equal(2);
      expect(await apiKeyCommand(['create', '--bogus'], io().io)).to.equal(2);
      const audit = await AuditLog.findOne({ where: { action: 'api_key.created' } });
      expect(audit!.actorLabel).to.equal('cli:apikey');
      expect((await listApiKeys())[0]!.revokedAt).to.be.an.instanceOf(Date);
    });

    it('runs as a real process (`npm run apikey -- create …`)', async function () {
      this.timeout(60_000);
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn('npm', ['run', '--silent', 'apikey', '--', 'create', '--name', 'spawned_desk', '--scope', 'desk'], {
          env: { ...process.env, DATABASE_URL: testConfig.testDatabaseUrl, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
        });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.code, out.stderr).to.equal(0);
      const secret = /x-api-secret: (\S+)/.exec(out.stdout)![1]!;
      expect(await verifyApiKey('spawned_desk', secret)).to.include({ name: 'spawned_desk' });
    });
  });

  describe('npm run user', () => {
    const userIo = (password = '') => {
      const c = io();
      return { ...c, uio: { ...c.io, readPassword: async () => password, rounds: 4 } };
    };

    it('create --staff with a password from stdin; the account can sign in; duplicates are refused', async () => {
      const c = userIo('staff-password-1\n');
      expect(await userCommand(['create', '--email', 'staff@example.com', '--staff', '--role', 'manager', '--password-stdin'], c.uio)).to.equal(0);
      expect(c.out.join('\n')).to.include('staff@example.com').and.include('staff').and.not.include('staff-password-1');
      const u = (await User.findOne({ where: { email: 'staff@example.com' } }))!;
      expect(u.isStaff).to.equal(true);
      expect(u.isSuperuser).to.equal(false);
      expect(u.adminRole).to.equal('manager');
      expect(u.passwordHash).to.match(/^\$2[aby]\$04\$/);
      const real = await makeApp();
      await signIn(real, 'staff@example.com', 'staff-password-1');
      const dup = userIo();
      expect(await userCommand(['create', '--email', 'STAFF@example.com'], dup.uio)).to.equal(1);
      expect(dup.err.join()).to.include('이미 사용 중인 이메일');
      expect(await AuditLog.count({ where: { tableName: 'users', action: 'create', actorLabel: 'cli:user' } })).to.equal(1);
    });

    it('without a password option prints a generated one once; --no-password makes a social-only account; set-password', async () => {
      const c = userIo();
      expect(await userCommand(['create', '--email', 'gen@example.com', '--superuser'], c.uio)).to.equal(0);
      const password = /password: (\S+)/.exec(c.out.join('\n'))![1]!;
      const u = (await User.findOne({ where: { email: 'gen@example.com' } }))!;
      expect(u.isStaff && u.isSuperuser).to.equal(true);
      const real = await makeApp();
      await signIn(real, 'gen@example.com', password);
      expect(await userCommand(['create', '--email', 'social@example.com', '--no-password'], userIo().uio)).to.equal(0);
      expect((await User.findOne({ where: { email: 'social@example.com' } }))!.passwordHash).to.equal(null);
      expect(await userCommand(['set-password', '--email', 'social@example.com', '--password-stdin'], userIo('new-password-9').uio)).to.equal(0);
      await signIn(real, 'social@example.com', 'new-password-9');
      expect(await userCommand(['set-password', '--email', 'nobody@example.com', '--password-stdin'], userIo('whatever-123').uio)).to.equal(1);
      expect(await userCommand(['create', '--email', 'short@example.com', '--password-stdin'], userIo('short').uio)).to.equal(1);
      expect(await userCommand(['create', '--email', 'not-an-email'], userIo().uio)).to.equal(1);
      expect(await userCommand(['create', '--email', 'r@example.com', '--role', 'god'], userIo().uio)).to.equal(2);
    });
  });
});
