/**
 * Passport, one instance per app: the session stores only the user id; `local` checks e-mail/username +
 * password; `google` (passport-google-oauth20, with PKCE) and `naver` / `kakao` (generic OAuth 2.0) sign in
 * through the provider and map its profile to a SocialProfile. Endpoints come from the configuration, so
 * tests and local demos can point them at a fake provider.
 */
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { Strategy as GoogleStrategy } from 'passport-google-oauth20';
import OAuth2Strategy, { type VerifyCallback } from 'passport-oauth2';
import type { Request } from 'express';
import type { Sequelize } from 'sequelize';
import type { Config, OAuthProviderConfig, SocialProvider } from '../../config.js';
import { runAs } from '../../context.js';
import {
  authenticatePassword,
  findActiveUser,
  findOrCreateSocialUser,
  SocialLoginError,
  type SocialProfile,
} from '../../services/auth.js';
import { activeSessionUser } from './session-user.js';

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const yes = (v: unknown): boolean => v === true || v === 'true';

/** Provider userinfo JSON → SocialProfile (null when the answer has no user id). */
export const PROFILE_MAPPERS: Record<SocialProvider, (json: Json) => SocialProfile | null> = {
  // OpenID Connect userinfo: {sub, email, email_verified, name}
  google: (j) => {
    const uid = str(j.sub);
    return uid ? { provider: 'google', uid, email: str(j.email), emailVerified: yes(j.email_verified), name: str(j.name) } : null;
  },
  // https://openapi.naver.com/v1/nid/me: {resultcode: "00", response: {id, email, nickname, name}}.
  // Naver only hands out the account's confirmed contact address (allauth treats it as verified too).
  naver: (j) => {
    const r = obj(j.response);
    const uid = str(r.id);
    if (!uid || (j.resultcode !== undefined && j.resultcode !== '00')) return null;
    return { provider: 'naver', uid, email: str(r.email), emailVerified: true, name: str(r.nickname) ?? str(r.name) };
  },
  // https://kapi.kakao.com/v2/user/me: {id, kakao_account: {email, is_email_valid, is_email_verified, profile: {nickname}}}
  kakao: (j) => {
    const uid = str(j.id);
    if (!uid) return null;
    const a = obj(j.kakao_account);
    return {
      provider: 'kakao',
      uid,
      email: str(a.email),
      emailVerified: yes(a.is_email_verified) && yes(a.is_email_valid),
      name: str(obj(a.profile).nickname) ?? str(obj(j.properties).nickname),
    };
  },
};

const SCOPES: Record<SocialProvider, string[]> = {
  google: ['openid', 'email', 'profile'],
  naver: [],
  kakao: ['account_email', 'profile_nickname'],
};

/** Naver and Kakao through plain OAuth 2.0; the profile is fetched with a Bearer token. */
class GenericOAuth2Strategy extends OAuth2Strategy {
  constructor(
    readonly provider: SocialProvider,
    private readonly cfg: OAuthProviderConfig,
    options: OAuth2Strategy.StrategyOptions,
    verify: OAuth2Strategy.VerifyFunction,
  ) {
    super(options, verify);
    this.name = provider;
  }

  override userProfile(accessToken: string, done: (err?: unknown, profile?: unknown) => void): void {
    fetch(this.cfg.userInfoUrl, { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' }, signal: AbortSignal.timeout(10_000) })
      .then(async (r) => {
        if (!r.ok) throw new Error(`userinfo answered HTTP ${r.status}`);
        done(null, { provider: this.provider, _json: obj(await r.json()) });
      })
      .catch((e: unknown) => done(new OAuth2Strategy.InternalOAuthError('Failed to fetch user profile', e)));
  }

  // Naver wants the `state` again in the token request.
  override tokenParams(options: { tokenState?: string }): object {
    return this.provider === 'naver' && options.tokenState ? { state: options.tokenState } : {};
  }
}

export function callbackUrl(config: Config, provider: SocialProvider): string {
  return `${config.backendDomain}/accounts/${provider}/login/callback/`;
}

export function buildPassport(config: Config, sequelize: Sequelize): passport.Authenticator {
  const p = new passport.Passport();

  p.serializeUser((user, done) => done(null, user.id));
  p.deserializeUser((req: Request, id: unknown, done: (err: unknown, user?: Express.User | false) => void) => {
    if (typeof id !== 'number') return done(null, false);
    // the session read of this request already found this user active (./session-user.ts): no second query
    if (activeSessionUser(req) === id) return done(null, { id });
    findActiveUser(id).then(
      (u) => done(null, u ? { id: u.id } : false),
      (e: unknown) => done(e),
    );
  });

  p.use(
    'local',
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', session: false }, (identifier, password, done) => {
      authenticatePassword(identifier, password, config.auth.passwordHashRounds).then(
        (u) => done(null, u ? { id: u.id } : false),
        (e: unknown) => done(e),
      );
    }),
  );

  const verifyWith =
    (provider: SocialProvider) =>
    (_accessToken: string, _refreshToken: string, profile: { _json?: unknown }, done: VerifyCallback): void => {
      const mapped = PROFILE_MAPPERS[provider](obj(profile._json));
      if (!mapped) return done(null, false, { code: 'invalid_profile' });
      // A sign-up through a provider is audited as such (the request itself is still anonymous).
      runAs({ userId: null, label: `social_login:${provider}` }, () => findOrCreateSocialUser(sequelize, mapped)).then(
        (u) => done(null, { id: u.id }, { profile: mapped }),
        (e: unknown) => (e instanceof SocialLoginError ? done(null, false, { code: e.code }) : done(e as Error)),
      );
    };

  for (const [name, cfg] of Object.entries(config.auth.providers) as Array<[SocialProvider, OAuthProviderConfig]>) {
    const common = {
      clientID: cfg.clientId,
      clientSecret: cfg.clientSecret,
      callbackURL: callbackUrl(config, name),
      authorizationURL: cfg.authorizationUrl,
      tokenURL: cfg.tokenUrl,
      scope: SCOPES[name],
      state: true,
      sessionKey: `oauth2:${name}`,
    };
    if (name === 'google') {
      p.use('google', new GoogleStrategy({ ...common, userProfileURL: cfg.userInfoUrl, pkce: true, state: true }, verifyWith('google')));
    } else {
      p.use(name, new GenericOAuth2Strategy(name, cfg, { ...common, scopeSeparator: name === 'kakao' ? ',' : ' ' }, verifyWith(name)));
    }
  }
  return p;
}
