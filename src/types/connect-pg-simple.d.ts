// connect-pg-simple 10 ships no types (and @types/connect-pg-simple describes v7); what this app uses.
declare module 'connect-pg-simple' {
  import type session from 'express-session';

  interface PGStoreOptions {
    pool?: unknown;
    conString?: string;
    tableName?: string;
    schemaName?: string;
    createTableIfMissing?: boolean;
    disableTouch?: boolean;
    ttl?: number;
    pruneSessionInterval?: false | number;
    errorLog?: (...args: unknown[]) => void;
  }

  function connectPgSimple(s: typeof session): new (options?: PGStoreOptions) => session.Store & { close(): Promise<void> };
  export default connectPgSimple;
}
