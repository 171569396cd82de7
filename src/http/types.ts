import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { PortOneClient } from '../portone/client.js';
import type { Store } from 'express-session';
import type { LoginThrottle } from './auth/throttle.js';

/** What every adapter gets: configuration, the database and the PortOne client. */
export interface AppDeps {
  config: Config;
  sequelize: Sequelize;
  portone: PortOneClient;
  /** Sessions (default: the PostgreSQL store on `sequelize`). */
  sessionStore?: Store;
  /** Sign-in throttle (default: an in-memory one with the configured limits). */
  loginThrottle?: LoginThrottle;
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
