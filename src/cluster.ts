/**
 * The cluster primary's side of WEB_CONCURRENCY (node:cluster): fork N web workers, hand each its start
 * message when it asks for it, replace a worker that dies, and stop them all on shutdown.
 *
 * - Workers are started one after another (the next once the previous listens): every worker builds the
 *   same AdminJS bundle file at start-up, and a second writer while the first serves it could hand out a
 *   half-written file; a sequential start also keeps N processes from migrating caches / bundling at once
 *   on a small machine.
 * - A worker that exits without being asked to is replaced after a short pause (at most one restart per
 *   second, so a worker that crashes at start-up does not spin the CPU).
 * - Connections are distributed by the primary (round-robin, node's default on Linux).
 */
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { logger } from './logger.js';

export interface WorkerPool {
  /** Ask every worker to stop (graceful: its own SIGTERM handling), wait for them (10 s, then kill). */
  stop(): Promise<void>;
}

export function superviseWorkers(count: number, startMessage: object): WorkerPool {
  let stopping = false;
  let lastRestart = 0;
  const workers = new Set<Worker>();

  const fork = (): Worker => {
    const w = cluster.fork();
    workers.add(w);
    w.on('message', (m: { type?: string }) => {
      if (m?.type === 'shop:ready') w.send(startMessage);
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      if (stopping) return;
      logger.error('web worker exited; starting another', { pid: w.process.pid, code, signal });
      const wait = Math.max(0, lastRestart + 1000 - Date.now());
      lastRestart = Date.now() + wait;
      setTimeout(() => {
        if (!stopping) fork();
      }, wait);
    });
    return w;
  };

  void (async () => {
    for (let i = 0; i < count && !stopping; i++) {
      const w = fork();
      await Promise.race([once(w, 'listening'), once(w, 'exit')]);
    }
  })();

  return {
    async stop() {
      stopping = true;
      await Promise.all(
        [...workers].map(async (w) => {
          if (w.isDead()) return;
          const exited = once(w, 'exit');
          if (w.isConnected()) w.send({ type: 'shop:stop' });
          else w.process.kill('SIGTERM');
          const timer = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
