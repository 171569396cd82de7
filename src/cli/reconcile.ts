/** `npm run reconcile -- --since YYYY-MM-DD`: compare every payment since that day with PortOne, print the drift. */
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/bootstrap.js';
import { createPortOneClient } from '../portone/client.js';
import { reconcile, formatReport } from '../services/reconcile.js';

const i = process.argv.indexOf('--since');
const sinceArg = i >= 0 ? process.argv[i + 1] : undefined;
if (!sinceArg || !/^\d{4}-\d{2}-\d{2}$/.test(sinceArg)) {
  console.error('usage: npm run reconcile -- --since YYYY-MM-DD');
  process.exit(2);
}
const config = loadConfig();
const db = await openDatabase(config, { migrate: true });
try {
  const result = await reconcile({ sequelize: db.sequelize, portone: createPortOneClient(config.portone) }, { since: new Date(`${sinceArg}T00:00:00+09:00`) });
  console.log(formatReport(result));
  process.exitCode = result.drifts.length ? 1 : 0;
} finally {
  await db.close();
}
