/**
 * One admin-panel app for the admin tests (AdminJS costs ~3 s to import: paid once per run): the real app
 * with the panel mounted, plus helpers to sign staff in through the panel's login form.
 */
import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'chai';
import { createApp } from '../../src/http/app.js';
import { mountAdmin, adminSettings } from '../../admin/index.js';
import type { AppDeps } from '../../src/http/types.js';
import { testConfig, testDb } from './db.js';
import { portoneClient } from './app.js';
import { makeUser } from './fixtures.js';
import type { User } from '../../src/models/index.js';

let shared: Promise<{ app: Express; deps: AppDeps; admin: unknown }> | null = null;

export function adminApp(): Promise<{ app: Express; deps: AppDeps; admin: unknown }> {
  shared ??= (async () => {
    const deps: AppDeps = { config: testConfig, sequelize: await testDb(), portone: await portoneClient() };
    const app = createApp(deps);
    const { admin } = await mountAdmin(app, deps, adminSettings({}));
    return { app, deps, admin };
  })();
  return shared;
}

export type Agent = ReturnType<typeof request.agent>;

export const STAFF_PASSWORD = 'staff-pass-1234';

export async function makeStaff(role: 'viewer' | 'manager', over: Record<string, unknown> = {}): Promise<User> {
  return makeUser({ isStaff: true, adminRole: role, ...over }, STAFF_PASSWORD);
}

/** Sign in through POST /admin/login (the form AdminJS renders); returns an agent holding the cookie. */
export async function adminLogin(app: Express, email: string, password = STAFF_PASSWORD): Promise<Agent> {
  const agent = request.agent(app);
  const res = await agent.post('/admin/login').type('form').send({ email, password });
  expect(res.status, res.text.slice(0, 300)).to.equal(302);
  expect(res.headers.location).to.equal('/admin');
  return agent;
}
