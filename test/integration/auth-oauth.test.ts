/**
 * Social sign-in end to end over real HTTP: the app ↔ a fake OAuth provider (authorization, token and
 * userinfo endpoints set through the environment), with the test playing the browser between them.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { makeUser } from '../helpers/fixtures.js';
import { AUTH, anonymousBrowser, setCookieValue, type Agent } from '../helpers/auth.js';
import { startFakeOAuth, type FakeIdentity, type FakeOAuth } from '../helpers/fake-oauth.js';
import { AuditLog, SocialAccount, User } from '../../src/models/index.js';

const CALLBACK = 'http://localhost:3000/account/sign-in/done?next=%2Fshop';
const ERROR_URL = 'http://localhost:3000/account/sign-in/error';

describe('auth: social sign-in through Passport against a fake OAuth provider', () => {
  let fake: FakeOAuth;
  let app: Express;

  before(async () => {
    fake = await startFakeOAuth();
    app = await makeApp({ env: { ...fake.env('google'), ...fake.env('kakao'), SOCIAL_LOGIN_ERROR_URL: ERROR_URL } });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    await resetDb();
    fake.log.length = 0;
  });

  /** The browser's round trip: form post → provider → callback. Returns the app's last answer. */
  async function socialSignIn(agent: Agent, csrf: string, provider: string, who: FakeIdentity | 'deny', callbackUrl = CALLBACK) {
    fake.consent = who;
    const start = await agent
      .post(`${AUTH}/provider/redirect`)
      .set('Accept', 'text/html')
      .type('form')
      .send({ provider, callback_url: callbackUrl, process: 'login', csrfmiddlewaretoken: csrf })
      .expect(302);
    const authorize = new URL(start.headers.location!);
    expect(authorize.origin + authorize.pathname).to.equal(`${fake.url}/authorize`);
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    expect(atProvider.status).to.equal(302);
    const back = new URL(atProvider.headers.get('location')!);
    expect(back.origin).to.equal('http://shop.test'); // BACKEND_DOMAIN
    return { authorize, back, done: await agent.get(back.pathname + back.search) };
  }

  const errorCode = (location: string | undefined) => {
    const u = new URL(location!);
    expect(u.origin + u.pathname).to.equal(ERROR_URL);
    expect(u.searchParams.get('error_process')).to.equal('login');
    return u.searchParams.get('error');
  };

  it('lists the configured providers in the not-signed-in flows', async () => {
    const res = await request(app).get(`${AUTH}/session`).expect(401);
    expect(res.body.data.flows).to.deep.equal([{ id: 'login' }, { id: 'provider_redirect', providers: ['google', 'kakao'] }]);
  });

  it('new user: Google sign-in (PKCE, state) creates the account, signs in and returns to callback_url', async () => {
    const { agent, csrf } = await anonymousBrowser(app);
    const { authorize, back, done } = await socialSignIn(agent, csrf, 'google', { sub: 'g-100', email: 'new.person@gmail.com', email_verified: true, name: '새 사람' });
    expect(authorize.searchParams.get('client_id')).to.equal(fake.clientId);
    expect(authorize.searchParams.get('redirect_uri')).to.equal('http://shop.test/accounts/google/login/callback/');
    expect(authorize.searchParams.get('scope')).to.equal('openid email profile');
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorize.searchParams.get('state')).to.be.a('string').with.length.greaterThan(10);
    expect(back.pathname).to.equal('/accounts/google/login/callback/');

    expect(done.status).to.equal(302);
    expect(done.headers.location).to.equal(CALLBACK);
    const token = fake.log.find((l) => l.path === '/token')!;
    expect(token.params.code_verifier, 'PKCE verifier sent').to.be.a('string');
    expect(token.params.client_secret).to.equal(fake.clientSecret);

    const session = await agent.get(`${AUTH}/session`).expect(200);
    const user = await User.findOne({ where: { email: 'new.person@gmail.com' } });
    expect(user).to.not.equal(null);
    expect(session.body.data.user).to.deep.equal({ id: user!.id, display: '새 사람', has_usable_password: false, email: 'new.person@gmail.com', username: 'new.person' });
    expect(session.body.data.methods).to.have.length(1);
    expect(session.body.data.methods[0]).to.include({ method: 'socialaccount', provider: 'google', uid: 'g-100' });
    expect(session.body.data.methods[0].at).to.be.a('number');
    const links = await SocialAccount.findAll();
    expect(links.map((l) => [l.userId, l.provider, l.uid])).to.deep.equal([[user!.id, 'google', 'g-100']]);
    const created = await AuditLog.findAll({ where: { tableName: 'users', recordId: String(user!.id), action: 'create' } });
    expect(created.map((a) => a.actorLabel)).to.deep.equal(['social_login:google']);

    // the new session's CSRF token (rotated) works for writes; the next sign-in finds the same account
    const rotated = setCookieValue(done, 'csrftoken')!;
    expect(rotated).to.not.equal(csrf);
    await agent.delete(`${AUTH}/session`).set('x-csrftoken', rotated).expect(401);
    const again = await socialSignIn(agent, rotated, 'google', { sub: 'g-100', email: 'new.person@gmail.com', email_verified: true, name: '새 사람' });
    expect(again.done.headers.location).to.equal(CALLBACK);
    expect(await User.count()).to.equal(1);
    expect(await SocialAccount.count()).to.equal(1);
  });

  it('existing e-mail: a verified Google address links to the account that already has it (case-insensitive)', async () => {
    const existing = await makeUser({ email: 'Buyer@Example.com', username: 'buyer' }, 'buyer-password');
    const { agent, csrf } = await anonymousBrowser(app);
    const { done } = await socialSignIn(agent, csrf, 'google', { sub: 'g-200', email: 'buyer@example.com', email_verified: true, name: 'Buyer' });
    expect(done.headers.location).to.equal(CALLBACK);
    const session = await agent.get(`${AUTH}/session`).expect(200);
    expect(session.body.data.user.id).to.equal(existing.id);
    expect(session.body.data.user.has_usable_password).to.equal(true);
    expect(await User.count()).to.equal(1);
    expect((await SocialAccount.findOne())!.userId).to.equal(existing.id);
  });

  it('an unverified e-mail neither links to an existing account nor creates one; no e-mail at all is refused', async () => {
    await makeUser({ email: 'victim@example.com' }, 'victim-password');
    const { agent, csrf } = await anonymousBrowser(app);
    const { done } = await socialSignIn(agent, csrf, 'google', { sub: 'g-evil', email: 'victim@example.com', email_verified: false });
    expect(done.status).to.equal(302);
    expect(errorCode(done.headers.location)).to.equal('email_not_verified');
    await agent.get(`${AUTH}/session`).expect(401);
    const noMail = await socialSignIn(agent, csrf, 'google', { sub: 'g-nomail', email: null, email_verified: false });
    expect(errorCode(noMail.done.headers.location)).to.equal('email_required');
    expect(await SocialAccount.count()).to.equal(0);
    expect(await User.count()).to.equal(1);
  });

  it('denied consent → the configured error URL with error=cancelled; nobody is signed in or created', async () => {
    const { agent, csrf } = await anonymousBrowser(app);
    const { back, done } = await socialSignIn(agent, csrf, 'google', 'deny');
    expect(back.searchParams.get('error')).to.equal('access_denied');
    expect(done.status).to.equal(302);
    expect(errorCode(done.headers.location)).to.equal('cancelled');
    await agent.get(`${AUTH}/session`).expect(401);
    expect(await User.count()).to.equal(0);
    expect(fake.log.some((l) => l.path === '/token')).to.equal(false);
  });

  it('evil callback_url: never an open redirect (JSON 400, or the error URL for a browser form)', async () => {
    const { agent, csrf } = await anonymousBrowser(app);
    const evil = [
      'https://evil.example/steal',
      '//evil.example/x',
      'http://localhost:3000.evil.example/',
      'http://localhost:3000@evil.example/',
      'http://evil.example\\@localhost:3000/',
      'javascript:alert(1)',
      'http://localhost:3001/',
      'https://localhost:3000/',
      '/relative/path',
      '',
    ];
    for (const callback_url of evil) {
      const json = await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: 'google', callback_url, process: 'login', csrfmiddlewaretoken: csrf });
      expect(json.status, callback_url).to.equal(400);
      expect(json.body.errors[0].code, callback_url).to.be.oneOf(['invalid_callback_url', 'invalid']);
      const html = await agent
        .post(`${AUTH}/provider/redirect`)
        .set('Accept', 'text/html')
        .type('form')
        .send({ provider: 'google', callback_url, process: 'login', csrfmiddlewaretoken: csrf })
        .expect(302);
      expect(errorCode(html.headers.location), callback_url).to.be.oneOf(['invalid_callback_url', 'invalid']);
    }
    expect(fake.log.length, 'the provider was never contacted').to.equal(0);
  });

  it('naver (not configured here) answers "provider not configured"; an unknown provider is a 400; CSRF is required', async () => {
    const { agent, csrf } = await anonymousBrowser(app);
    const naver = await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: 'naver', callback_url: CALLBACK, process: 'login', csrfmiddlewaretoken: csrf }).expect(400);
    expect(naver.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'provider_not_configured', detail: 'Provider not configured: naver', attr: 'provider' }] });
    const html = await agent.post(`${AUTH}/provider/redirect`).set('Accept', 'text/html').type('form').send({ provider: 'naver', callback_url: CALLBACK, csrfmiddlewaretoken: csrf }).expect(302);
    expect(errorCode(html.headers.location)).to.equal('provider_not_configured');
    const github = await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: 'github', callback_url: CALLBACK, csrfmiddlewaretoken: csrf }).expect(400);
    expect(github.body.errors[0].attr).to.equal('provider');
    await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: ['google', 'kakao'], callback_url: CALLBACK, csrfmiddlewaretoken: csrf }).expect(400);
    await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: 'google', callback_url: CALLBACK, process: 'connect', csrfmiddlewaretoken: csrf }).expect(400);
    const noToken = await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: 'google', callback_url: CALLBACK, process: 'login' }).expect(403);
    expect(noToken.body.errors[0].detail).to.equal('CSRF Failed: CSRF token missing.');
    expect(fake.log.length).to.equal(0);
  });

  it('a forged callback (wrong state, no pending sign-in, no code) lands on the error URL and signs nobody in', async () => {
    const { agent, csrf } = await anonymousBrowser(app);
    fake.consent = { sub: 'g-300', email: 'x@example.com', email_verified: true };
    const start = await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: 'google', callback_url: CALLBACK, csrfmiddlewaretoken: csrf }).expect(302);
    const back = new URL((await fetch(start.headers.location!, { redirect: 'manual' })).headers.get('location')!);
    back.searchParams.set('state', 'forged-state');
    const forged = await agent.get(back.pathname + back.search).expect(302);
    expect(errorCode(forged.headers.location)).to.equal('state_mismatch');
    // a browser that never started a sign-in (login CSRF through the callback)
    const stranger = await request(app).get(`/accounts/google/login/callback/?code=abc&state=def`).expect(302);
    expect(errorCode(stranger.headers.location)).to.equal('unknown_state');
    const unknown = await request(app).get(`/accounts/github/login/callback/?code=abc`).expect(302);
    expect(errorCode(unknown.headers.location)).to.equal('unknown_provider');
    await agent.post(`${AUTH}/provider/redirect`).type('form').send({ provider: 'google', callback_url: CALLBACK, csrfmiddlewaretoken: csrf }).expect(302);
    const noCode = await agent.get('/accounts/google/login/callback/').expect(302);
    expect(errorCode(noCode.headers.location)).to.equal('invalid_callback');
    await agent.get(`${AUTH}/session`).expect(401);
    expect(await User.count()).to.equal(0);
  });

  it('a provider failing at the token endpoint (wrong client secret) → error URL with provider_error', async () => {
    const misconfigured = await makeApp({ env: { ...fake.env('google'), GOOGLE_CLIENT_SECRET: 'wrong', SOCIAL_LOGIN_ERROR_URL: ERROR_URL } });
    const { agent, csrf } = await anonymousBrowser(misconfigured);
    const { done } = await socialSignIn(agent, csrf, 'google', { sub: 'g-400', email: 'y@example.com', email_verified: true });
    expect(errorCode(done.headers.location)).to.equal('provider_error');
    await agent.get(`${AUTH}/session`).expect(401);
  });

  it('kakao through the generic OAuth 2.0 strategy: numeric id, verified e-mail, comma-separated scopes', async () => {
    const { agent, csrf } = await anonymousBrowser(app);
    const { authorize, done } = await socialSignIn(agent, csrf, 'kakao', { sub: '12345', email: 'kakao.user@kakao.com', email_verified: true, name: '카카오' });
    expect(authorize.searchParams.get('scope')).to.equal('account_email,profile_nickname');
    expect(authorize.searchParams.get('redirect_uri')).to.equal('http://shop.test/accounts/kakao/login/callback/');
    expect(done.headers.location).to.equal(CALLBACK);
    const session = await agent.get(`${AUTH}/session`).expect(200);
    expect(session.body.data.user.email).to.equal('kakao.user@kakao.com');
    expect(session.body.data.methods[0]).to.include({ method: 'socialaccount', provider: 'kakao', uid: '12345' });
  });
});
