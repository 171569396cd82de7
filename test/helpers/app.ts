import type { Express } from 'express';
import { createApp } from '../../src/http/app.js';
import { createPortOneClient, type PortOneClient } from '../../src/portone/client.js';
import { startPortOneSimulator, type PortOneSimulator } from '../../src/portone/simulator.js';
import { testConfig, testDb } from './db.js';

const IMP = { impKey: 'test-imp-key', impSecret: 'test-imp-secret' };

let sim: PortOneSimulator | null = null;
let client: PortOneClient | null = null;

/** One PortOne simulator (a real HTTP server on a free port) shared by the test run. */
export async function portoneSim(): Promise<PortOneSimulator> {
  sim ??= await startPortOneSimulator({ ...IMP });
  return sim;
}

export async function portoneClient(): Promise<PortOneClient> {
  const s = await portoneSim();
  client ??= createPortOneClient({ apiUrl: s.url, ...IMP, timeoutMs: 2000 });
  return client;
}

export async function makeApp(): Promise<Express> {
  const sequelize = await testDb();
  return createApp({ config: testConfig, sequelize, portone: await portoneClient() });
}

after(async () => {
  await sim?.close();
});
