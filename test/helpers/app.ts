import type { Express } from 'express';
import { createApp } from '../../src/http/app.js';
import { testConfig, testDb } from './db.js';

export async function makeApp(): Promise<Express> {
  const sequelize = await testDb();
  return createApp({ config: testConfig, sequelize });
}
