// The whole app as `npm start` serves it (API + the admin panel mounted): the shop's and the panel's sessions
// must not disturb each other. Regression: they shared one session-store object, express-session stores the
// cookie factory on the store, and the buyer's cookie after sign-in came out with the panel's `Path=/admin`.
import { expect } from 'chai';
import { resetDb } from '../helpers/db.js';
import { adminApp, adminLogin, makeStaff } from '../helpers/admin.js';
import { setCookieLine, signedInBuyer, AUTH } from '../helpers/auth.js';
import { testConfig, testDb } from '../helpers/db.js';
import { portoneClient } from '../helpers/app.js';
import request from 'supertest';
import type { Express } from 'express';
import type { AppDeps } from '../../src/http/types.js';
import { createApp } from '../../src/http/app.js';
import { pgSessionStore } from '../../src/http/auth/session.js';
import { mountAdmin, adminSettings } from '../../admin/index.js';

describe('API and admin panel in one app (as npm start mounts them)', function () {
  this.timeout(30_000);

  beforeEach(async () => {
    await resetDb();
  });

  /** As npm start builds it, and with one session store handed to both (the shape that first showed the bug). */
  const apps: Array<[string, () => Promise<Express>]> = [
    ['as npm start builds it', async () => (await adminApp()).app],
    [
      'with one session store given to both',
      async () => {
        const deps: AppDeps = { config: testConfig, sequelize: await testDb(), portone: await portoneClient() };
        deps.sessionStore = pgSessionStore(deps.sequelize, { prune: false });
        const app = createApp(deps);
        await mountAdmin(app, deps, adminSettings({}));
        return app;
      },
    ],
  ];

  for (const [label, build] of apps) it(`a buyer who signs in stays signed in (${label}): cookie on path /, the shop sees the session`, async () => {
    const app = await build();
    const agent = request.agent(app);
    const first = await agent.get(`${AUTH}/session`).expect(401);
    const csrf = /csrftoken=([^;]+)/.exec(String(first.headers['set-cookie']))![1]!;
    const { makeUser } = await import('../helpers/fixtures.js');
    const user = await makeUser({}, 'buyer-pass-1234');
    const login = await agent.post(`${AUTH}/login`).set('x-csrftoken', csrf).send({ email: user.email, password: 'buyer-pass-1234' }).expect(200);
    const cookie = setCookieLine(login, testConfig.auth.sessionCookie.name);
    expect(cookie, 'the login sets the shop session cookie').to.be.a('string');
    expect(cookie).to.match(/; Path=\/(;|$)/);
    expect(cookie).not.to.match(/Path=\/admin/);
    const session = await agent.get(`${AUTH}/session`).expect(200);
    expect(session.body.data.user.email).to.equal(user.email);
    await agent.get('/v1/shop/orders/cart/').expect(200);
  });

  it('staff signed in to the panel and a buyer signed in to the shop at the same time: each keeps its own session', async () => {
    const { app } = await adminApp();
    const staff = await makeStaff('manager');
    const panel = await adminLogin(app, staff.email);
    const buyer = await signedInBuyer(app);
    await buyer.agent.get(`${AUTH}/session`).expect(200);
    const page = await panel.get('/admin/api/resources/orders/actions/list').expect(200);
    expect(page.body).to.have.property('records');
    // the panel's cookie is not the shop's and the other way round
    await request(app).get('/admin/api/resources/orders/actions/list').expect((r) => expect(r.status).to.not.equal(200));
  });
});
