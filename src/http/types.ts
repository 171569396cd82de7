import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { PortOneClient } from '../portone/client.js';

/** What every adapter gets: configuration, the database and the PortOne client. */
export interface AppDeps {
  config: Config;
  sequelize: Sequelize;
  portone: PortOneClient;
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
