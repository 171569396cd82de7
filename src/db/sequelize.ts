import { Sequelize } from 'sequelize';
import pg from 'pg';

// Return BIGINT (count(*)) as JS numbers: counts in this app stay far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10));

export interface SequelizeOptions {
  poolMax?: number;
  /** Called with every SQL statement (used by the query-count tests and `npm run bench`). */
  onQuery?: (sql: string) => void;
}

export function createSequelize(url: string, opts: SequelizeOptions = {}): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: opts.onQuery ? (sql: string) => opts.onQuery!(sql) : false,
    benchmark: false,
    pool: { max: opts.poolMax ?? 10, min: 0, idle: 10_000, acquire: 30_000 },
    define: { underscored: true, timestamps: true },
    timezone: '+00:00',
  });
}

/** The `pg` connection settings of a Sequelize instance (for a connection of its own: LISTEN, a job queue's pool). */
export function poolConfigOf(sequelize: Sequelize): pg.PoolConfig {
  const c = sequelize.config as unknown as { host?: string; port?: number | string; database?: string; username?: string; password?: string | null };
  const dialectOptions = (sequelize as unknown as { options: { dialectOptions?: { ssl?: pg.PoolConfig['ssl'] } } }).options.dialectOptions;
  return {
    host: c.host,
    port: c.port === undefined ? undefined : Number(c.port),
    database: c.database,
    user: c.username,
    password: c.password ?? undefined,
    ssl: dialectOptions?.ssl,
  };
}
