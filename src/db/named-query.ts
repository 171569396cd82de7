/**
 * One statement as a named prepared statement of node-pg, on a connection of Sequelize's pool: parsed once per
 * connection, then only bound and run, and PostgreSQL keeps its plan (after five runs the generic one, when it
 * is not costlier). For a hot statement outside any transaction that Sequelize would send unnamed, planned on
 * every run: the session read of every signed-in request spent 0.23 ms planning for a 0.08 ms run, the
 * webhook's look-up of its order 0.9 ms for a 0.7 ms run.
 *
 * As `sequelize.query` does, the statement is logged (with its values written in; not with `log: false`) and
 * Sequelize's `afterQuery` hooks run once it has come back (the query-count tests, the catalogue cache's
 * write hook and the race tests' probes rely on both), and a database error arrives as Sequelize's
 * DatabaseError with the driver's inside.
 *
 * A statement's name is `nq_` + a digest of its text (node-pg refuses a second text under one name);
 * src/db/pipeline.ts deallocates only its own `pl_` statements, so these stay as node-pg believes they are.
 */
import type pg from 'pg';
import { DatabaseError, type Sequelize, type Transaction } from 'sequelize';
import { inline, send, statementName } from './pipeline.js';

interface Internals {
  connectionManager: {
    getConnection(options?: object): Promise<pg.Client>;
    releaseConnection(connection: pg.Client): Promise<void> | void;
  };
  options: { logging?: false | ((sql: string) => void) };
  runHooks(name: 'afterQuery', options: object, query: { sql: string }): Promise<void>;
}

export async function namedQuery<T>(sequelize: Sequelize, text: string, values: unknown[], opts: { log?: boolean } = {}): Promise<T[]> {
  const s = sequelize as unknown as Internals;
  const shown = inline(text, values); // what the log and the hooks see: the values written in
  if (opts.log !== false && typeof s.options.logging === 'function') s.options.logging(`Executing (default): ${shown}`);
  const connection = await s.connectionManager.getConnection();
  let rows: T[];
  try {
    rows = (await connection.query({ name: statementName(text, 'nq'), text, values })).rows as T[];
  } catch (e) {
    throw e instanceof Error && typeof (e as { code?: unknown }).code === 'string' ? new DatabaseError(Object.assign(e, { sql: text, parameters: values }) as never) : e;
  } finally {
    await s.connectionManager.releaseConnection(connection);
  }
  await s.runHooks('afterQuery', {}, { sql: shown });
  return rows;
}

/**
 * A hot read prepared either way: in a transaction through its pipeline (`send`, src/db/pipeline.ts: the
 * transaction's connection, the generic plan), outside one as a named statement (`namedQuery`).
 */
export function preparedRead<T>(sequelize: Sequelize, t: Transaction | null | undefined, text: string, values: unknown[]): Promise<T[]> {
  return t ? send<T>(sequelize, t, text, { bind: values }) : namedQuery<T>(sequelize, text, values);
}
