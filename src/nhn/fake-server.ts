/**
 * A small but real HTTP server playing NHN Cloud's alimtalk (v2.3) and SMS (v3.0) send APIs, for tests and
 * the local demo (as src/portone/simulator.ts plays PortOne). It checks the app key in the path and the
 * `X-Secret-Key` header per channel, records every accepted message, and can fail the next N requests:
 *   'transient' → HTTP 503 (the client retries later)
 *   'permanent' → HTTP 200 with `isSuccessful: false` (NHN's answer to e.g. an unknown template)
 *   'recipient' → accepted, but the recipient's resultCode ≠ 0 (an invalid number)
 * Control: GET /__fake/messages, POST /__fake/reset, POST /__fake/fail {channel?, mode, count}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

export type FakeNhnChannel = 'alimtalk' | 'sms';
export type FakeNhnFailMode = 'transient' | 'permanent' | 'recipient';

export interface FakeNhnMessage {
  channel: FakeNhnChannel;
  at: number;
  requestId: string;
  recipientNo: string;
  /** alimtalk */
  senderKey?: string;
  templateCode?: string;
  templateParameter?: Record<string, string>;
  /** sms */
  sendNo?: string;
  body?: string;
  /** present when the client sent one (it must not, for SMS) */
  templateId?: unknown;
}

export interface FakeNhnCredentials {
  appKey: string;
  secretKey: string;
}

export interface FakeNhnOptions {
  port?: number;
  host?: string;
  alimtalk: FakeNhnCredentials;
  sms: FakeNhnCredentials;
}

export interface FakeNhnServer {
  url: string;
  messages: FakeNhnMessage[];
  /** Every request that reached a send endpoint (also refused ones), with its time. */
  requests: Array<{ channel: FakeNhnChannel; at: number; status: number }>;
  failNext(count: number, mode: FakeNhnFailMode, channel?: FakeNhnChannel): void;
  reset(): void;
  close(): Promise<void>;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        resolve(null);
      }
    });
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

const header = (ok: boolean, code: number, message: string) => ({ isSuccessful: ok, resultCode: code, resultMessage: message });

export async function startFakeNhn(options: FakeNhnOptions): Promise<FakeNhnServer> {
  const messages: FakeNhnMessage[] = [];
  const requests: FakeNhnServer['requests'] = [];
  let failures: Array<{ mode: FakeNhnFailMode; channel?: FakeNhnChannel }> = [];
  const sockets = new Set<Socket>();

  const takeFailure = (channel: FakeNhnChannel): FakeNhnFailMode | null => {
    const i = failures.findIndex((f) => !f.channel || f.channel === channel);
    if (i < 0) return null;
    return failures.splice(i, 1)[0]!.mode;
  };

  const handleSend = async (channel: FakeNhnChannel, appKey: string, req: IncomingMessage, res: ServerResponse) => {
    const creds = options[channel];
    const done = (status: number, body: unknown) => {
      requests.push({ channel, at: Date.now(), status });
      reply(res, status, body);
    };
    const body = (await readJson(req)) as Record<string, unknown> | null;
    if (appKey !== creds.appKey) return done(200, { header: header(false, -1000, 'Invalid appkey') });
    if (req.headers['x-secret-key'] !== creds.secretKey) return done(401, { header: header(false, -1001, 'Invalid secret key') });
    const list = Array.isArray(body?.recipientList) ? (body!.recipientList as Array<Record<string, unknown>>) : null;
    if (!body || !list || list.length === 0) return done(400, { header: header(false, -1002, 'recipientList is required') });
    if (channel === 'sms' && body.templateId !== undefined) return done(200, { header: header(false, -2110, 'Invalid template id') });
    const failure = takeFailure(channel);
    if (failure === 'transient') return done(503, { header: header(false, -9999, 'Service temporarily unavailable') });
    if (failure === 'permanent') return done(200, { header: header(false, -1006, 'Invalid template') });
    const requestId = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}${randomUUID().slice(0, 8)}`;
    const results = list.map((r, i) => {
      const recipientNo = String(r.recipientNo ?? '');
      const refused = failure === 'recipient' || !/^\d{9,15}$/.test(recipientNo);
      if (!refused) {
        messages.push(
          channel === 'alimtalk'
            ? {
                channel,
                at: Date.now(),
                requestId,
                recipientNo,
                senderKey: String(body.senderKey ?? ''),
                templateCode: String(body.templateCode ?? ''),
                templateParameter: (r.templateParameter ?? {}) as Record<string, string>,
              }
            : { channel, at: Date.now(), requestId, recipientNo, sendNo: String(body.sendNo ?? ''), body: String(body.body ?? ''), templateId: body.templateId },
        );
      }
      return { recipientSeq: i + 1, recipientNo, resultCode: refused ? -1004 : 0, resultMessage: refused ? 'Invalid recipient number' : 'SUCCESS' };
    });
    if (channel === 'alimtalk') return done(200, { header: header(true, 0, 'SUCCESS'), message: { requestId, senderGroupingKey: null, sendResults: results } });
    return done(200, { header: header(true, 0, 'SUCCESS'), body: { data: { requestId, statusCode: '2', senderGroupingKey: null, sendResultList: results } } });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    let m: RegExpMatchArray | null;
    if (req.method === 'POST' && (m = url.pathname.match(/^\/alimtalk\/v2\.3\/appkeys\/([^/]+)\/messages$/))) {
      void handleSend('alimtalk', decodeURIComponent(m[1]!), req, res);
    } else if (req.method === 'POST' && (m = url.pathname.match(/^\/sms\/v3\.0\/appKeys\/([^/]+)\/sender\/sms$/))) {
      void handleSend('sms', decodeURIComponent(m[1]!), req, res);
    } else if (req.method === 'GET' && url.pathname === '/__fake/messages') {
      reply(res, 200, { messages });
    } else if (req.method === 'POST' && url.pathname === '/__fake/reset') {
      api.reset();
      reply(res, 200, { ok: true });
    } else if (req.method === 'POST' && url.pathname === '/__fake/fail') {
      void readJson(req).then((b) => {
        const body = (b ?? {}) as { mode?: FakeNhnFailMode; count?: number; channel?: FakeNhnChannel };
        api.failNext(Number(body.count ?? 1), body.mode ?? 'transient', body.channel);
        reply(res, 200, { ok: true });
      });
    } else {
      reply(res, 404, { header: header(false, -404, 'Not found') });
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const api: FakeNhnServer = {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    messages,
    requests,
    failNext(count, mode, channel) {
      for (let i = 0; i < count; i++) failures.push({ mode, channel });
    },
    reset() {
      messages.length = 0;
      requests.length = 0;
      failures = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return api;
}
