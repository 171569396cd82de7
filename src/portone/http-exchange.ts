/**
 * One HTTP request and its whole answer as text, over node:http / node:https with keep-alive connections —
 * the PortOne client's transport.
 *
 * Why not the global `fetch`: every checkout registers its amount with PortOne and every webhook looks its
 * payment up, and `fetch` (undici's WHATWG layer: Request / Headers objects, web streams, AbortSignal) cost
 * ~0.4–0.5 ms more CPU per call than `http.request` measured on the same local server — about a tenth of a
 * checkout's CPU in the app (bench profile, 2026-12-06). The connections are kept alive and reused as
 * `fetch` did (one agent per protocol for the process).
 *
 * The timeout covers the whole exchange (connection, headers and body): a server that sends its headers and
 * then stalls is cut off too. It rejects with an `HttpTimeoutError`; anything else (refused, reset, a broken
 * answer) rejects with the socket's own error.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  /** sent with its Content-Length; none for undefined */
  body?: string;
  timeoutMs: number;
  /**
   * May go out twice when a kept-alive connection turns out dropped (`staleSocket`): true for what PortOne
   * does not act on twice (look-ups, the token, prepare). Never for a cancel: its lost answer is looked up
   * (src/services/refund.ts), not sent again.
   */
  repeatable?: boolean;
}

/** One exchange: the PortOne client's transport (tests may give their own). */
export type HttpExchange = (url: string, request: HttpRequest) => Promise<HttpAnswer>;

export class HttpTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * A kept-alive connection the server closed while it sat idle in the agent: the next request sent on it dies
 * with ECONNRESET ("socket hang up") before any answer. Seen in the bench's ticket rush: one buy-now's
 * prepare failed so, and the buyer got a 502. As Node's documentation advises, such a request is sent once
 * more on a fresh connection — only a `repeatable` request, only when it went out on a reused socket and no
 * byte of an answer came back.
 */
const staleSocket = (e: unknown, req: http.ClientRequest, answered: boolean) =>
  !answered && req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET';

export const httpExchange: HttpExchange = (url, request) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new Error(`unsupported protocol ${target.protocol}`));
      return;
    }
    const protocol = target.protocol;
    let done = false;
    let current: http.ClientRequest | null = null;
    const finish = (error: Error | null, answer?: HttpAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(answer!);
    };
    const headers = request.body === undefined ? request.headers : { ...request.headers, 'Content-Length': String(Buffer.byteLength(request.body)) };
    const timer = setTimeout(() => {
      const error = new HttpTimeoutError(request.timeoutMs);
      finish(error);
      current?.destroy(error);
    }, request.timeoutMs);
    const send = (retried: boolean) => {
      const req = (protocol === 'https:' ? https : http).request(target, { method: request.method, headers, agent: agents[protocol] });
      current = req;
      let answered = false;
      req.on('error', (e) => {
        if (!done && !retried && request.repeatable && staleSocket(e, req, answered)) send(true);
        else finish(e);
      });
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => finish(e));
        // closed before the whole body arrived (the server reset the connection mid-answer)
        res.on('close', () => {
          if (!res.complete) finish(new Error('the connection closed before the whole answer arrived'));
        });
      });
      req.end(request.body);
    };
    send(false);
  });

/** `fetch` (or a stand-in for it) as an exchange: for tests that answer without a server. */
export function fetchExchange(fetchImpl: typeof fetch): HttpExchange {
  return async (url, request) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), request.timeoutMs);
    try {
      const res = await fetchImpl(url, { method: request.method, headers: request.headers, body: request.body, signal: controller.signal });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      throw controller.signal.aborted ? new HttpTimeoutError(request.timeoutMs) : e;
    } finally {
      clearTimeout(timer);
    }
  };
}
