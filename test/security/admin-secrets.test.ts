/**
 * Secret columns (password hash, TOTP secret and last step, API-key secret hash) are not listable,
 * filterable, sortable or searchable through any panel action or query parameter, and never leave the
 * server (also not inside a record populated as another record's reference). Unknown filter / sort paths
 * and record ids that cannot be a primary key are 4xx in the contract shape, not 500.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { adminApp, adminLogin, makeStaff, type Agent } from '../helpers/admin.js';
import { makeProduct } from '../helpers/fixtures.js';
import { createApiKey } from '../../src/services/auth.js';
import { startEnrollment } from '../../src/services/totp.js';
import { testConfig } from '../helpers/db.js';
import { ApiKey, AuditLog, User, initModels } from '../../src/models/index.js';
import { SECRET_ATTRIBUTES } from '../../admin/query-guard.js';

const API = '/admin/api/resources';

describe('security: secret columns in the admin panel', function () {
  this.timeout(60_000);
  let app: Express;
  let viewer: Agent;
  let secrets: string[];

  before(async () => {
    ({ app } = await adminApp());
    await resetDb();
    const v = await makeStaff('viewer', { email: 'viewer@example.com' });
    const m = await makeStaff('manager', { email: 'manager@example.com' });
    await startEnrollment(m.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    const key = await createApiKey({ name: 'desk', scopes: ['desk'], createdById: m.id });
    await AuditLog.create({ tableName: 'products', recordId: 'x', action: 'test', actorUserId: m.id, actorLabel: `user:${m.id}` });
    await makeProduct();
    viewer = await adminLogin(app, v.email);
    const users = await User.findAll();
    secrets = [...users.flatMap((u) => [u.passwordHash!, u.totpSecret].filter((x): x is string => !!x)), (await ApiKey.findByPk(key.apiKey.id))!.secretHash];
    expect(secrets.length).to.equal(4);
  });

  const noSecrets = (body: unknown, what: string) => {
    const text = JSON.stringify(body);
    for (const s of secrets) expect(text.includes(s), `${what}: a secret value leaked`).to.equal(false);
    // no record (nor a record populated inside it) has a secret property, even an empty one
    type Rec = { params?: Record<string, unknown>; populated?: Record<string, Rec | null> };
    const b = body as { records?: Rec[]; record?: Rec };
    const recs = [...(b.records ?? []), ...(b.record ? [b.record] : [])];
    for (const r of [...recs, ...recs.flatMap((x) => Object.values(x.populated ?? {}).filter((p): p is Rec => !!p))]) {
      for (const k of Object.keys(r.params ?? {})) expect(k, what).to.not.match(/^(passwordHash|totpSecret|totpLastStep|secretHash)\b/);
    }
  };

  const expect400 = async (path: string) => {
    const res = await viewer.get(path);
    expect(res.status, `${path}: ${res.status} ${res.text.slice(0, 200)}`).to.equal(400);
    expect(res.body.type).to.equal('validation_error');
    expect(res.body.errors[0]).to.have.keys(['code', 'detail', 'attr']);
    noSecrets(res.body, path);
  };

  it('filtering on a secret column (attribute or column name) is refused: no substring oracle', async () => {
    for (const [resource, field, value] of [
      ['users', 'passwordHash', '$2'],
      ['users', 'password_hash', '$2'],
      ['users', 'totpSecret', 'v1'],
      ['users', 'totp_secret', 'v1'],
      ['users', 'totpLastStep', '1'],
      ['api_keys', 'secretHash', 'a'],
      ['api_keys', 'secret_hash', 'a'],
    ]) {
      await expect400(`${API}/${resource}/actions/list?filters.${field}=${encodeURIComponent(value!)}`);
      await expect400(`${API}/${resource}/actions/search/?filters.${field}=${encodeURIComponent(value!)}`);
    }
  });

  it('sorting by a secret column, or searching on one (searchProperty), is refused', async () => {
    for (const [resource, field] of [['users', 'passwordHash'], ['users', 'password_hash'], ['users', 'totpSecret'], ['api_keys', 'secretHash'], ['api_keys', 'secret_hash']]) {
      await expect400(`${API}/${resource}/actions/list?sortBy=${field}&direction=asc`);
      await expect400(`${API}/${resource}/actions/search/%242?searchProperty=${field}`);
    }
  });

  it('lists, records, search results and populated references carry no secret', async () => {
    for (const path of [
      `${API}/users/actions/list`,
      `${API}/users/actions/search/example`,
      `${API}/api_keys/actions/list`,
      `${API}/audit_logs/actions/list`,
    ]) {
      const res = await viewer.get(path);
      expect(res.status, path).to.equal(200);
      noSecrets(res.body, path);
    }
    // the audit row's actor and the key's creator are populated user records
    const audits = (await viewer.get(`${API}/audit_logs/actions/list`)).body.records as Array<{ populated: Record<string, { params: Record<string, unknown> }> }>;
    expect(audits.some((r) => r.populated.actorUserId?.params.email === 'manager@example.com')).to.equal(true);
    const user = (await User.findOne({ where: { email: 'manager@example.com' } }))!;
    const show = await viewer.get(`${API}/users/records/${user.id}/show`);
    expect(show.status).to.equal(200);
    expect(show.body.record.params.email).to.equal('manager@example.com');
    noSecrets(show.body, 'show');
  });

  it('ordinary filters and sorts still work; an unknown path is a 400, not a 500', async () => {
    const res = await viewer.get(`${API}/users/actions/list?filters.email=viewer&sortBy=email&direction=desc`);
    expect(res.status).to.equal(200);
    expect(res.body.records.map((r: { params: { email: string } }) => r.params.email)).to.deep.equal(['viewer@example.com']);
    await expect400(`${API}/products/actions/list?filters.no_such_column=1`);
    await expect400(`${API}/products/actions/list?sortBy=no_such_column`);
  });

  it('record ids that cannot be a primary key → 404 in the contract shape (not a database error)', async () => {
    for (const path of [
      `${API}/products/records/not-a-uuid/show`,
      `${API}/orders/records/1'%20OR%201=1/show`,
      `${API}/users/records/abc/show`,
      `${API}/users/records/99999999999999999999/show`,
      `${API}/audit_logs/records/%25/show`,
      `${API}/products/bulk/bulkDelete?recordIds=a,b`,
    ]) {
      const res = await viewer.get(path);
      expect(res.status, `${path}: ${res.text.slice(0, 200)}`).to.equal(404);
      expect(res.body).to.deep.include({ type: 'client_error' });
      expect(res.body.errors[0].code).to.equal('not_found');
    }
  });

  it('every model attribute that looks secret is registered as secret', () => {
    void initModels;
    const models = [User, ApiKey, ...Object.values(User.sequelize!.models)];
    for (const model of models) {
      for (const attr of Object.keys(model.getAttributes())) {
        if (/password|secret|totp(?!EnrolledAt)/i.test(attr)) expect(SECRET_ATTRIBUTES[model.tableName] ?? [], `${model.tableName}.${attr}`).to.include(attr);
      }
    }
  });
});
