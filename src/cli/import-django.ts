/**
 * `npm run import:django -- --from postgres://…/backend [--dry-run] [--user-map map.csv] [--id-offset N]`
 *
 * Imports the Django backend's users and shop data into this database in one transaction, verifies it
 * (row counts, per-order ledger sums, per-product sold units) and commits only when everything is equal.
 * Re-runnable: a second run imports nothing new; a run after new Django orders imports only those.
 * Exit codes: 0 committed (or dry run passed), 1 differences (nothing written), 2 bad usage / error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import cliProgress from 'cli-progress';
import type { Sequelize } from 'sequelize';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/bootstrap.js';
import { parseUserMap, UserMappingError } from '../domain/django-import/users.js';
import { formatDifferences } from '../domain/django-import/verify.js';
import { DjangoImportFailed, formatImportReport, importFromDjango, type ImportProgress } from '../services/django-import.js';
import type { CliIO } from './apikey.js';

const USAGE = 'usage: npm run import:django -- --from postgres://USER@HOST:PORT/DB [--dry-run] [--user-map map.csv] [--id-offset N]';

/** A progress bar on a terminal for imports of more than 10,000 rows; nothing otherwise. */
function terminalProgress(stream: NodeJS.WriteStream): ImportProgress | undefined {
  if (!stream.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    { format: 'import:django [{bar}] {percentage}% | {value}/{total} rows | {step}', stream, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let on = false;
  return {
    start(total) {
      on = total > 10_000;
      if (on) bar.start(total, 0, { step: 'reading' });
    },
    advance(rows, step) {
      if (on) bar.increment(rows, { step });
    },
    stop() {
      if (on) bar.stop();
      on = false;
    },
  };
}

export async function importDjangoCommand(argv: string[], sequelize: Sequelize, io: CliIO & { progress?: ImportProgress }): Promise<number> {
  let v: { from?: string; 'dry-run'?: boolean; 'user-map'?: string; 'id-offset'?: string };
  try {
    ({ values: v } = parseArgs({
      args: argv,
      options: { from: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'user-map': { type: 'string' }, 'id-offset': { type: 'string' } },
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!v.from || !/^postgres(ql)?:\/\//.test(v.from)) {
    io.err(USAGE);
    return 2;
  }
  if (v['id-offset'] !== undefined && !/^\d{1,9}$/.test(v['id-offset'])) {
    io.err(`--id-offset must be a whole number\n${USAGE}`);
    return 2;
  }
  let userMap: Map<number, number> | undefined;
  try {
    if (v['user-map']) userMap = parseUserMap(parseCsv(readFileSync(v['user-map'], 'utf8'), { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][]);
  } catch (e) {
    io.err(e instanceof UserMappingError ? e.message : `--user-map: ${(e as Error).message}`);
    return 2;
  }
  try {
    const result = await importFromDjango(sequelize, {
      from: v.from,
      dryRun: Boolean(v['dry-run']),
      userMap,
      idOffset: v['id-offset'] !== undefined ? Number(v['id-offset']) : undefined,
      progress: io.progress,
    });
    io.out(formatImportReport(result));
    return 0;
  } catch (e) {
    if (e instanceof DjangoImportFailed) {
      io.out(formatImportReport(e.result));
      io.err(`\n${e.message}:\n${formatDifferences(e.result.differences)}`);
      return 1;
    }
    if (e instanceof UserMappingError) {
      io.err(e.message);
      return 2;
    }
    io.err(`import failed, nothing was written: ${(e as Error).message}`);
    return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfig();
  const db = await openDatabase(config, { migrate: true });
  try {
    process.exitCode = await importDjangoCommand(process.argv.slice(2), db.sequelize, {
      out: (l) => console.log(l),
      err: (l) => console.error(l),
      progress: terminalProgress(process.stderr),
    });
  } finally {
    await db.close();
  }
}
