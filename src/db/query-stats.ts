/**
 * SQL statements per HTTP request, for `npm run bench` (env `QUERY_STATS=true`; off by default).
 *
 * When on: every statement a `pg` client sends (Sequelize's queries, the session store's, transaction
 * control) is counted against the request it runs for (AsyncLocalStorage), the answer carries
 * `X-Query-Count` (statements sent before the headers), and `GET /__query-stats` returns the running totals
 * `{requests, queries, transactionStatements}` so a load test can divide the difference. `queries` leaves out
 * transaction control (BEGIN/START TRANSACTION, COMMIT, ROLLBACK, SAVEPOINT, SET), as the tests' counter does.
 * When off, nothing is patched and the middleware is not mounted: zero cost.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { RequestHandler } from 'express';

interface RequestCounter {
  queries: number;
}

const storage = new AsyncLocalStorage<RequestCounter>();
const totals = { requests: 0, queries: 0, transactionStatements: 0 };
const TX_CONTROL = /^\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|SET )/i;

let patched = false;

/** Wrap `pg.Client.prototype.query` once (idempotent). */
export function enableQueryStats(): void {
  if (patched) return;
  patched = true;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function patchedQuery(this: pg.Client, ...args: unknown[]) {
    const counter = storage.getStore();
    if (counter) {
      const first = args[0] as string | { text?: string; counted?: string[] } | undefined;
      // a message of several statements (src/db/pipeline.ts) counts each of them
      const texts = typeof first === 'string' ? [first] : (first?.counted ?? [first?.text ?? '']);
      for (const text of texts) {
        if (TX_CONTROL.test(text)) totals.transactionStatements++;
        else {
          counter.queries++;
          totals.queries++;
        }
      }
    }
    return original.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

/** First middleware of the app when QUERY_STATS is on. */
export const queryStatsMiddleware: RequestHandler = (req, res, next) => {
  if (req.path === '/__query-stats') {
    res.json({ ...totals });
    return;
  }
  const counter: RequestCounter = { queries: 0 };
  totals.requests++;
  const writeHead = res.writeHead;
  res.writeHead = function patchedWriteHead(this: typeof res, ...args: unknown[]) {
    if (!res.headersSent) res.setHeader('X-Query-Count', String(counter.queries));
    return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
  } as typeof res.writeHead;
  storage.run(counter, next);
};
