import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';

/** What every adapter gets: configuration and the database. Later layers add their clients here. */
export interface AppDeps {
  config: Config;
  sequelize: Sequelize;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: User;
    }
    interface User {
      id: number;
    }
  }
}
