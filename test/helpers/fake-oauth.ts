/**
 * A fake OAuth 2.0 provider on a real HTTP port, for end-to-end sign-in tests: the authorization endpoint
 * (consents — or refuses — on the user's behalf and redirects back with `code` + `state`), the token
 * endpoint (checks client credentials, redirect_uri, one-time codes and PKCE) and userinfo endpoints in the
 * shapes of Google (OIDC), Naver and Kakao.
 *
 *   const fake = await startFakeOAuth();
 *   fake.consent = { sub: 'g-1', email: 'a@example.com', email_verified: true, name: 'A' };  // or 'deny'
 *   env: GOOGLE_AUTHORIZATION_URL = `${fake.url}/authorize`, GOOGLE_TOKEN_URL = `${fake.url}/token`,
 *        GOOGLE_USERINFO_URL = `${fake.url}/google/userinfo`
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeIdentity {
  sub: string;
  email?: string | null;
  email_verified?: boolean;
  name?: string;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string | null;
  method: string | null;
  who: FakeIdentity;
}

export interface FakeOAuth {
  url: string;
  clientId: string;
  clientSecret: string;
  /** What the next authorization does: sign in as this identity, or refuse consent. */
  consent: FakeIdentity | 'deny';
  /** Every request the provider saw (method, path, parsed params) — e.g. to check PKCE was used. */
  log: Array<{ method: string; path: string; params: Record<string, string> }>;
  /** The provider's environment variables for `provider` (google | naver | kakao). */
  env(provider: 'google' | 'naver' | 'kakao'): Record<string, string>;
  close(): Promise<void>;
}

const USERINFO_PATHS = { google: '/google/userinfo', naver: '/naver/v1/nid/me', kakao: '/kakao/v2/user/me' } as const;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startFakeOAuth(opts: { clientId?: string; clientSecret?: string } = {}): Promise<FakeOAuth> {
  const clientId = opts.clientId ?? 'fake-client-id';
  const clientSecret = opts.clientSecret ?? 'fake-client-secret';
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, FakeIdentity>();

  const fake: FakeOAuth = {
    url: '',
    clientId,
    clientSecret,
    consent: 'deny',
    log: [],
    env(provider) {
      const P = provider.toUpperCase();
      return {
        [`${P}_CLIENT_ID`]: clientId,
        [`${P}_CLIENT_SECRET`]: clientSecret,
        [`${P}_AUTHORIZATION_URL`]: `${fake.url}/authorize`,
        [`${P}_TOKEN_URL`]: `${fake.url}/token`,
        [`${P}_USERINFO_URL`]: `${fake.url}${USERINFO_PATHS[provider]}`,
      };
    },
    close: async () => {},
  };

  const server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const body = req.method === 'POST' ? await readBody(req) : '';
      const params = Object.fromEntries([...u.searchParams, ...new URLSearchParams(body)]);
      fake.log.push({ method: req.method ?? '', path: u.pathname, params });

      if (u.pathname === '/authorize' && req.method === 'GET') {
        const redirect = params.redirect_uri;
        if (params.client_id !== clientId || !redirect || params.response_type !== 'code') return json(res, 400, { error: 'invalid_request' });
        const back = new URL(redirect);
        if (params.state) back.searchParams.set('state', params.state);
        if (fake.consent === 'deny') {
          back.searchParams.set('error', 'access_denied');
          back.searchParams.set('error_description', 'The user denied the request');
        } else {
          const code = randomBytes(12).toString('hex');
          codes.set(code, { clientId, redirectUri: redirect, challenge: params.code_challenge ?? null, method: params.code_challenge_method ?? null, who: fake.consent });
          back.searchParams.set('code', code);
        }
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }

      if (u.pathname === '/token' && req.method === 'POST') {
        if (params.client_id !== clientId || params.client_secret !== clientSecret) return json(res, 401, { error: 'invalid_client' });
        const grant = params.code ? codes.get(params.code) : undefined;
        if (params.code) codes.delete(params.code); // one use only
        if (!grant || params.grant_type !== 'authorization_code' || params.redirect_uri !== grant.redirectUri) return json(res, 400, { error: 'invalid_grant' });
        if (grant.challenge) {
          const verifier = params.code_verifier ?? '';
          const computed = grant.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
          if (computed !== grant.challenge) return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
        }
        const token = randomBytes(16).toString('hex');
        tokens.set(token, grant.who);
        return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3599, scope: 'openid email profile' });
      }

      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? params.access_token;
      const who = bearer ? tokens.get(bearer) : undefined;
      if (Object.values(USERINFO_PATHS).includes(u.pathname as never)) {
        if (!who) return json(res, 401, { error: 'invalid_token' });
        if (u.pathname === USERINFO_PATHS.google) {
          return json(res, 200, { sub: who.sub, name: who.name, email: who.email ?? undefined, email_verified: who.email_verified });
        }
        if (u.pathname === USERINFO_PATHS.naver) {
          return json(res, 200, { resultcode: '00', message: 'success', response: { id: who.sub, email: who.email, nickname: who.name } });
        }
        return json(res, 200, {
          id: Number(who.sub),
          properties: { nickname: who.name },
          kakao_account: { email: who.email, is_email_valid: true, is_email_verified: who.email_verified ?? false, profile: { nickname: who.name } },
        });
      }
      json(res, 404, { error: 'not_found' });
    })().catch(() => json(res, 500, { error: 'server_error' }));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
