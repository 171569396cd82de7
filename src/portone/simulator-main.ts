/**
 * `npm run portone:sim` — runs the PortOne v1 simulator for the local demo.
 *
 * Env: PORTONE_SIM_PORT (8090), PORTONE_SIM_HOST (127.0.0.1), PORTONE_IMP_KEY / PORTONE_IMP_SECRET
 * (sim-imp-key / sim-imp-secret; point the app's PORTONE_API_URL at the printed URL with the same pair),
 * PORTONE_SIM_WEBHOOK_URL (http://127.0.0.1:8000/v1/shop/payment-histories/; empty = no webhooks).
 */
import { startPortOneSimulator } from './simulator.js';

const env = process.env;
const port = Number(env.PORTONE_SIM_PORT ?? 8090);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORTONE_SIM_PORT: not a port number: ${env.PORTONE_SIM_PORT}`);
  process.exit(1);
}
const webhookUrl = env.PORTONE_SIM_WEBHOOK_URL ?? 'http://127.0.0.1:8000/v1/shop/payment-histories/';

const sim = await startPortOneSimulator({
  port,
  host: env.PORTONE_SIM_HOST || '127.0.0.1',
  impKey: env.PORTONE_IMP_KEY || 'sim-imp-key',
  impSecret: env.PORTONE_IMP_SECRET || 'sim-imp-secret',
  webhookUrl: webhookUrl || undefined,
});

console.log(`PortOne v1 simulator listening on ${sim.url}`);
console.log(`  webhooks → ${webhookUrl || '(disabled)'}`);
console.log(`  controls: POST ${sim.url}/__sim/pay {"merchant_uid": "..."} · GET ${sim.url}/__sim/state`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the PortOne simulator`);
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
