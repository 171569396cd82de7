/**
 * A real job worker for tests: Agenda on the per-process test database, polling every 100 ms, sending
 * e-mail to the test SMTP server. `stop()` it in `after`. Recurring schedules are not registered.
 */
import { parseConfig, type Config } from '../../src/config.js';
import { startJobs, type JobsHandle } from '../../src/jobs/definitions.js';
import { configureNotifications } from '../../src/services/notifications.js';
import { portoneClient } from './app.js';
import { testDb, testEnv } from './db.js';

export interface TestWorker extends JobsHandle {
  config: Config;
}

export function workerConfig(smtpPort: number, env: Record<string, string> = {}): Config {
  return parseConfig({
    ...testEnv,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    MAIL_FROM: 'Conference Shop <shop@test.example>',
    JOBS_POLL_INTERVAL_MS: '100',
    JOBS_SHUTDOWN_TIMEOUT_SECONDS: '5',
    NOTIFICATION_RETRY_DELAY_SECONDS: '0.5',
    NOTIFICATION_MAX_ATTEMPTS: '3',
    ...env,
  });
}

export async function startTestWorker(smtpPort: number, env: Record<string, string> = {}): Promise<TestWorker> {
  const config = workerConfig(smtpPort, env);
  const sequelize = await testDb();
  configureNotifications({ backendDomain: config.backendDomain, scancodeSalts: config.scancodeSalts, sender: config.mail.from });
  const handle = await startJobs({ config, sequelize, portone: await portoneClient(), process: true, url: config.testDatabaseUrl, schedule: false, name: 'test-worker' });
  return {
    ...handle,
    config,
    async stop() {
      await handle.stop();
      configureNotifications(null);
    },
  };
}
