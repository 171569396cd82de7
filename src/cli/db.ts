/** `npm run db:migrate` | `db:migrate:undo` | `db:seed`: the same runner `npm start` uses. */
import { loadConfig } from '../config.js';
import { openDatabase, runSeeders } from '../db/bootstrap.js';
import { migrator } from '../db/migrator.js';

const cmd = process.argv[2];
const config = loadConfig();
const db = await openDatabase(config, { migrate: cmd === 'migrate' || cmd === 'seed' });
try {
  if (cmd === 'migrate') console.log('migrations up to date');
  else if (cmd === 'undo') {
    const done = await migrator(db.sequelize).down();
    console.log(`reverted: ${done.map((m) => m.name).join(', ') || 'nothing'}`);
  } else if (cmd === 'seed') {
    const ran = await runSeeders(db.sequelize, config.seedDemo);
    console.log(`seeders applied: ${ran.join(', ') || 'none pending'}`);
  } else {
    console.error('usage: db.ts migrate|undo|seed');
    process.exitCode = 2;
  }
} finally {
  await db.close();
}
