/**
 * Migrations and seeders through umzug, reading the same sequelize-cli style `.cjs` files that
 * `.sequelizerc` points at, and the same bookkeeping tables (`SequelizeMeta`, `SequelizeData`), so the
 * app and `npx sequelize-cli` agree on what has run. Seeders run once each (that is what makes the first
 * `npm start` seed the demo catalog and later starts leave it alone).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Sequelize } from 'sequelize';
import { Umzug, SequelizeStorage } from 'umzug';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CliModule {
  up(qi: unknown, S: typeof Sequelize): Promise<void>;
  down(qi: unknown, S: typeof Sequelize): Promise<void>;
}

function build(sequelize: Sequelize, folder: 'migrations' | 'seeders', table: string): Umzug<object> {
  const qi = sequelize.getQueryInterface();
  return new Umzug({
    migrations: {
      glob: join(root, folder, '*.cjs').replace(/\\/g, '/'),
      resolve: ({ name, path }) => {
        const mod = require(path!) as CliModule;
        return { name, up: () => mod.up(qi, Sequelize), down: () => mod.down(qi, Sequelize) };
      },
    },
    // modelName per table: umzug's storage reuses a model of the same name (default `SequelizeMeta`), so without
    // it the seeders' storage took the migrations' model and recorded seeders in `SequelizeMeta`
    storage: new SequelizeStorage({ sequelize, tableName: table, modelName: table }),
    logger: undefined,
  });
}

export const migrator = (s: Sequelize) => build(s, 'migrations', 'SequelizeMeta');
export const seeder = (s: Sequelize) => build(s, 'seeders', 'SequelizeData');

export async function migrate(s: Sequelize): Promise<string[]> {
  return (await migrator(s).up()).map((m) => m.name);
}

export async function seed(s: Sequelize): Promise<string[]> {
  return (await seeder(s).up()).map((m) => m.name);
}
