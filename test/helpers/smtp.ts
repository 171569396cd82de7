/**
 * A real SMTP server (smtp-server) on a free local port for the notification tests: it keeps every message
 * it accepted (parsed with mailparser) and can refuse the next N messages with a given reply code
 * (4xx = transient, 5xx = permanent) to exercise retries.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
}

export interface TestSmtp {
  port: number;
  received: ReceivedMail[];
  /** Refuse the next `count` messages (at DATA) with `code` (e.g. 451 or 550). */
  refuseNext(count: number, code: number, message?: string): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  let refuse = { count: 0, code: 451, message: 'try again later' };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse.count > 0) {
          refuse.count--;
          const err = new Error(refuse.message) as Error & { responseCode: number };
          err.responseCode = refuse.code;
          return callback(err);
        }
        simpleParser(Buffer.concat(chunks))
          .then((mail) => {
            received.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
            });
            callback();
          })
          .catch((e: Error) => callback(e));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    refuseNext(count, code, message = code >= 500 ? 'mailbox unavailable' : 'try again later') {
      refuse = { count, code, message };
    },
    reset() {
      received.length = 0;
      refuse = { count: 0, code: 451, message: '' };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Poll `fn` until it returns a truthy value (or throw after `timeoutMs`). */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs = 8000, intervalMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`waitFor: timed out${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
