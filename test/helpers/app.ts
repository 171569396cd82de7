import type { Express } from 'express';
import { createApp } from '../../src/http/app.js';
import { createPortOneClient, type PortOneClient } from '../../src/portone/client.js';
import { startPortOneSimulator, type PortOneSimulator } from '../../src/portone/simulator.js';
import { resetDb, testConfig, testDb, testEnv } from './db.js';
import { parseConfig } from '../../src/config.js';
import type { AppDeps } from '../../src/http/types.js';

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

/**
 * A client that waits longer for the simulator: for the load tests (hundreds of concurrent requests on a busy
 * machine), where a 2 s timeout measures the machine, not the code under test.
 */
let patient: PortOneClient | null = null;
export async function patientPortoneClient(): Promise<PortOneClient> {
  const s = await portoneSim();
  patient ??= createPortOneClient({ apiUrl: s.url, ...IMP, timeoutMs: 15_000 });
  return patient;
}

export interface MakeAppOptions {
  /** Extra environment variables: the app gets `parseConfig({...testEnv, ...env})` instead of testConfig. */
  env?: Record<string, string>;
  /** Other dependencies to replace (e.g. a session store or a sign-in throttle). */
  deps?: Partial<AppDeps>;
}

export async function makeApp(opts: MakeAppOptions = {}): Promise<Express> {
  const sequelize = await testDb();
  const config = opts.env ? parseConfig({ ...testEnv, ...opts.env }) : testConfig;
  return createApp({ config, sequelize, portone: await portoneClient(), ...opts.deps });
}

/**
 * What a payments test starts from: an emptied database, a new app and the shared simulator reset. Unless
 * `simulatorWebhooks`, the simulator sends no webhook of its own: the test delivers each one (when, how often).
 */
export async function paymentsBed(opts: MakeAppOptions & { simulatorWebhooks?: boolean } = {}): Promise<{ app: Express; sim: PortOneSimulator }> {
  await resetDb();
  const app = await makeApp(opts);
  const s = await portoneSim();
  s.reset();
  if (!opts.simulatorWebhooks) s.setWebhookUrl(undefined);
  return { app, sim: s };
}

after(async () => {
  await sim?.close();
});
