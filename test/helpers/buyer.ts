/**
 * Calls as a signed-in buyer. Until the session layer exists this mounts the real app behind a tiny
 * outer app that sets `req.user`; the buyer routes under test are the real ones.
 */
import express, { type Express } from 'express';
import request from 'supertest';
import type { User } from '../../src/models/index.js';

export function asBuyer(app: Express, user: User | null) {
  const outer = express();
  outer.use((req, _res, next) => {
    if (user) req.user = { id: user.id };
    next();
  });
  outer.use(app);
  const r = request(outer);
  return {
    get: (url: string) => r.get(url),
    post: (url: string, body?: unknown) => r.post(url).send(body as object),
    patch: (url: string, body?: unknown) => r.patch(url).send(body as object),
    delete: (url: string) => r.delete(url),
  };
}
