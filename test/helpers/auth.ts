/**
 * Signed-in calls through the real session layer: a supertest agent keeps the cookies (session + CSRF),
 * and `csrf` is the token to send as `x-csrftoken` on state-changing requests, as the frontend does.
 *
 *   const { agent, csrf, user } = await signedInBuyer(app);
 *   await agent.post('/v1/shop/orders/cart/products/').set('x-csrftoken', csrf).send({...}).expect(201);
 */
import type { Express } from 'express';
import request from 'supertest';
import type { Response } from 'supertest';
import { expect } from 'chai';
import type { User } from '../../src/models/index.js';
import { makeUser } from './fixtures.js';
import { testConfig } from './db.js';

export const AUTH = '/authn/social/browser/v1/auth';

export type Agent = ReturnType<typeof request.agent>;

export interface SignedIn {
  agent: Agent;
  csrf: string;
}

/** The value a response sets for cookie `name` (undefined when it sets none). */
export function setCookieValue(res: Response, name: string): string | undefined {
  const raw = res.headers['set-cookie'] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  for (const c of list) if (c.startsWith(`${name}=`)) return decodeURIComponent(c.slice(name.length + 1).split(';')[0]!);
  return undefined;
}

/** All `Set-Cookie` lines of a response for cookie `name`. */
export function setCookieLine(res: Response, name: string): string | undefined {
  const raw = res.headers['set-cookie'] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return list.find((c) => c.startsWith(`${name}=`));
}

/** A fresh browser: an agent that has fetched `GET …/auth/session` and so holds a CSRF cookie. */
export async function anonymousBrowser(app: Express, csrfCookie = testConfig.auth.csrfCookieName): Promise<SignedIn> {
  const agent = request.agent(app);
  const res = await agent.get(`${AUTH}/session`).expect(401);
  const csrf = setCookieValue(res, csrfCookie);
  expect(csrf, 'GET session sets the CSRF cookie').to.be.a('string');
  return { agent, csrf: csrf! };
}

/** Sign in with e-mail + password (CSRF included); the token is the rotated one the login response set. */
export async function signIn(app: Express, email: string, password: string, csrfCookie = testConfig.auth.csrfCookieName): Promise<SignedIn> {
  const { agent, csrf } = await anonymousBrowser(app, csrfCookie);
  const res = await agent.post(`${AUTH}/login`).set('x-csrftoken', csrf).send({ email, password });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return { agent, csrf: setCookieValue(res, csrfCookie) ?? csrf };
}

/** A new buyer account (fixtures) signed in through the real endpoints. */
export async function signedInBuyer(app: Express, over: Partial<Record<string, unknown>> = {}): Promise<SignedIn & { user: User; password: string }> {
  const password = 'buyer-pass-1234';
  const user = await makeUser(over, password);
  return { ...(await signIn(app, user.email, password)), user, password };
}
