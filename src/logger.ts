/** Minimal structured logger (JSON lines on stderr). Never pass secrets in `data`. */
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold = order[(process.env.LOG_LEVEL as Level) ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info')] ?? 20;
if (process.env.NODE_ENV === 'test' && !process.env.LOG_LEVEL) threshold = order.silent;

function log(level: Level, msg: string, data?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level, msg, ...data })}\n`);
}

export const logger = {
  setLevel(l: Level | 'silent') {
    threshold = order[l];
  },
  debug: (m: string, d?: Record<string, unknown>) => log('debug', m, d),
  info: (m: string, d?: Record<string, unknown>) => log('info', m, d),
  warn: (m: string, d?: Record<string, unknown>) => log('warn', m, d),
  error: (m: string, d?: Record<string, unknown>) => log('error', m, d),
};
