/**
 * A small but real HTTP server playing PortOne v1 (iamport) for tests and the local demo.
 *
 * PortOne API (real field names, `{code, message, response}` envelope):
 *   POST /users/getToken                     {imp_key, imp_secret} → {access_token, now, expired_at}
 *   POST /payments/prepare                   {merchant_uid, amount}   (duplicate merchant_uid → code 1)
 *   PUT  /payments/prepare                   {merchant_uid, amount}   (unknown merchant_uid → code 1)
 *   GET  /payments/prepare/{merchant_uid}
 *   GET  /payments/{imp_uid}                 (unknown → HTTP 404, code -1, response null)
 *   GET  /payments/find/{merchant_uid}[/{status}]   latest payment of that merchant_uid
 *   POST /payments/cancel                    {imp_uid | merchant_uid, amount?, checksum, reason?}
 * Every endpoint but getToken needs `Authorization: <access_token>` (raw, no "Bearer") → else HTTP 401.
 *
 * Control endpoints (no auth) under /__sim/: POST pay, POST webhook, GET state, POST reset, POST fail,
 * POST latency {ms}.
 * The same controls exist on the returned object (`sim.pay`, `sim.sendWebhook`, `sim.failNext`, `sim.state`…).
 *
 * Deliberate differences from the real API: `checksum` is required on cancel (the real one treats it as
 * optional) so that a caller forgetting the guard is caught; API cancels never send a webhook.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import type { PortOneCancelHistory, PortOnePayment, PortOnePaymentStatus } from './client.js';

export type SimEndpoint = 'getToken' | 'prepare' | 'payments' | 'cancel';
/**
 * `http500`, `code1`: answered as a failure, nothing done. `timeout`: never answered, nothing done.
 * `drop`: done, then the connection is closed without an answer (the caller sees a network error).
 * `hang`: done, then never answered (the caller times out) — the two "lost answer" cases.
 */
export type SimFailMode = 'http500' | 'code1' | 'timeout' | 'drop' | 'hang';

/** Random faults: each request to one of `endpoints` fails with probability `rate`, in one of `modes`. */
export interface SimChaos {
  endpoints: SimEndpoint[];
  modes: SimFailMode[];
  rate: number;
  /** A seeded generator makes a run replayable. Default Math.random. */
  random?: () => number;
}

export interface SimPayment extends PortOnePayment {
  pay_method: string;
  pg_provider: string;
  name: string | null;
  started_at: number;
  paid_at: number;
  cancelled_at: number;
  failed_at: number;
  cancel_history: PortOneCancelHistory[];
}

export interface SimCancelCall {
  at: number;
  /** The request body as received. */
  body: Record<string, unknown>;
  ok: boolean;
  message: string;
}

export interface SimRequestLog {
  method: string;
  path: string;
  authorization: string | null;
}

export interface SimWebhookResult {
  url: string;
  payload: Record<string, unknown>;
  /** HTTP status of the receiver, null when it could not be reached. */
  status: number | null;
  /** Parsed JSON when possible, else the text. */
  body: unknown;
  error?: string;
}

export interface SimState {
  prepared: Record<string, { merchant_uid: string; amount: number }>;
  /** In creation order; the last one of a merchant_uid is "the latest". */
  payments: SimPayment[];
  cancels: SimCancelCall[];
  webhooks: SimWebhookResult[];
  /** Every PortOne API request received (control endpoints excluded). */
  requests: SimRequestLog[];
  /** How many times a token was issued (POST /users/getToken answered with code 0). */
  tokenIssues: number;
  token: { access_token: string; expired_at: number } | null;
  faults: Partial<Record<SimEndpoint, { mode: SimFailMode; times: number }>>;
  /** Every fault injected (deliberate or random), in order. */
  faultLog: Array<{ endpoint: SimEndpoint; mode: SimFailMode }>;
}

export interface SimPayInput {
  merchant_uid: string;
  /** Defaults to the prepared amount; may differ to simulate a forged payment. */
  amount?: number;
  currency?: string;
  status?: PortOnePaymentStatus;
  /** POST the webhook to webhookUrl (when set). Default true. */
  notify?: boolean;
  imp_uid?: string;
  name?: string;
}

export interface SimWebhookInput {
  imp_uid: string;
  merchant_uid: string;
  status: string;
  cancellation_id?: string;
}

export interface PortOneSimulatorOptions {
  port?: number;
  host?: string;
  impKey: string;
  impSecret: string;
  webhookUrl?: string;
  /** Clock in epoch milliseconds (token expiry, payment times). Default `Date.now`. */
  now?: () => number;
}

export interface PortOneSimulator {
  url: string;
  port: number;
  state: SimState;
  close(): Promise<void>;
  pay(input: SimPayInput): Promise<{ payment: SimPayment; webhook: SimWebhookResult | null }>;
  sendWebhook(input: SimWebhookInput): Promise<SimWebhookResult>;
  failNext(endpoint: SimEndpoint, mode: SimFailMode, times?: number): void;
  /** Random faults from now on (null: none). */
  setChaos(chaos: SimChaos | null): void;
  /** Answer every PortOne API request (not getToken, not the controls) after `ms` milliseconds. */
  setLatency(ms: number): void;
  setWebhookUrl(url: string | undefined): void;
  reset(): void;
}

const TOKEN_TTL_S = 30 * 60;
const ENDPOINTS: SimEndpoint[] = ['getToken', 'prepare', 'payments', 'cancel'];
const MODES: SimFailMode[] = ['http500', 'code1', 'timeout', 'drop', 'hang'];
const STATUSES: PortOnePaymentStatus[] = ['ready', 'paid', 'cancelled', 'failed'];

/** A failure answered to a request: HTTP status + PortOne code + message. */
class SimError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new SimError(200, 1, message); // PortOne answers most refusals with HTTP 200, code 1
const notFound = (message: string) => new SimError(404, -1, message);

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function emptyState(): SimState {
  return { prepared: {}, payments: [], cancels: [], webhooks: [], requests: [], tokenIssues: 0, token: null, faults: {}, faultLog: [] };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new SimError(400, -1, 'invalid JSON body');
  }
}

export async function startPortOneSimulator(options: PortOneSimulatorOptions): Promise<PortOneSimulator> {
  const now = options.now ?? Date.now;
  const nowS = () => Math.floor(now() / 1000);
  let webhookUrl = options.webhookUrl;
  const state = emptyState();
  let chaos: SimChaos | null = null;
  let latencyMs = 0;
  const sockets = new Set<Socket>();

  // ---- PortOne behaviour -------------------------------------------------------------------------------

  function issueToken(body: Record<string, unknown>) {
    if (body.imp_key !== options.impKey || body.imp_secret !== options.impSecret) {
      throw new SimError(401, -1, 'imp_key, imp_secret 정보가 올바르지 않습니다.');
    }
    // Asking again before expiry returns the same token (as PortOne does).
    if (!state.token || state.token.expired_at <= nowS()) {
      state.token = { access_token: randomBytes(20).toString('hex'), expired_at: nowS() + TOKEN_TTL_S };
    }
    state.tokenIssues++;
    return { access_token: state.token.access_token, now: nowS(), expired_at: state.token.expired_at };
  }

  function checkAuth(req: IncomingMessage) {
    const auth = req.headers.authorization;
    if (!auth || !state.token || auth !== state.token.access_token || state.token.expired_at <= nowS()) {
      throw new SimError(401, -1, 'Unauthorized');
    }
  }

  function prepare(body: Record<string, unknown>, update: boolean) {
    const merchantUid = str(body.merchant_uid);
    const amount = num(body.amount);
    if (!merchantUid || amount === undefined || amount < 0) throw bad('merchant_uid, amount 파라메터가 올바르지 않습니다.');
    const exists = Object.hasOwn(state.prepared, merchantUid);
    if (!update && exists) throw bad('이미 등록된 merchant_uid입니다.');
    if (update && !exists) throw bad('사전등록되지 않은 merchant_uid입니다.');
    state.prepared[merchantUid] = { merchant_uid: merchantUid, amount };
    return { ...state.prepared[merchantUid] };
  }

  function latestPayment(merchantUid: string, status?: string): SimPayment | undefined {
    return state.payments.filter((p) => p.merchant_uid === merchantUid && (!status || p.status === status)).at(-1);
  }

  function cancel(body: Record<string, unknown>): SimPayment {
    const impUid = str(body.imp_uid);
    const merchantUid = str(body.merchant_uid);
    const payment = impUid ? state.payments.find((p) => p.imp_uid === impUid) : merchantUid ? latestPayment(merchantUid) : undefined;
    if (!impUid && !merchantUid) throw bad('imp_uid 또는 merchant_uid 파라메터가 필요합니다.');
    if (!payment) throw bad('취소할 결제건이 존재하지 않습니다.');
    if (payment.status === 'cancelled') throw bad('이미 전액취소된 주문입니다.');
    if (payment.status !== 'paid') throw bad('결제완료 상태가 아닌 결제건은 취소할 수 없습니다.');
    const balance = payment.amount - payment.cancel_amount;
    const requested = body.amount === undefined || body.amount === null ? 0 : num(body.amount);
    if (requested === undefined || requested < 0) throw bad('취소 요청 금액(amount)이 올바르지 않습니다.');
    const checksum = body.checksum === undefined || body.checksum === null ? undefined : num(body.checksum);
    if (checksum === undefined) throw bad('checksum 파라메터가 필요합니다.');
    if (checksum !== balance) {
      throw bad(`[결제취소실패] checksum 불일치: 요청 checksum(${checksum})과 취소 가능 잔액(${balance})이 일치하지 않습니다.`);
    }
    const amount = requested === 0 ? balance : requested; // omitted or 0 = the whole balance
    if (amount > balance) throw bad(`[결제취소실패] 취소 요청 금액(${amount})이 취소 가능 잔액(${balance})보다 큽니다.`);
    const reason = body.reason === undefined || body.reason === null ? null : String(body.reason);
    payment.cancel_amount += amount;
    payment.cancel_history.push({
      pg_tid: payment.pg_tid ?? null,
      cancellation_id: `sim_cancel_${randomBytes(6).toString('hex')}`,
      amount,
      cancelled_at: nowS(),
      reason,
      receipt_url: null,
    });
    payment.cancel_reason = reason;
    payment.cancelled_at = nowS();
    if (payment.amount - payment.cancel_amount <= 0) payment.status = 'cancelled'; // a partial cancel stays 'paid'
    return structuredClone(payment);
  }

  // ---- controls ----------------------------------------------------------------------------------------

  function newImpUid(): string {
    for (;;) {
      const id = `imp_${String(randomInt(0, 1e6)).padStart(6, '0')}${String(randomInt(0, 1e6)).padStart(6, '0')}`;
      if (!state.payments.some((p) => p.imp_uid === id)) return id;
    }
  }

  async function sendWebhook(input: SimWebhookInput): Promise<SimWebhookResult> {
    const payload: Record<string, unknown> = { imp_uid: input.imp_uid, merchant_uid: input.merchant_uid, status: input.status };
    if (input.cancellation_id) payload.cancellation_id = input.cancellation_id;
    if (!webhookUrl) throw new SimError(400, -1, 'webhookUrl is not set');
    const result: SimWebhookResult = { url: webhookUrl, payload, status: null, body: null };
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(10_000),
      });
      result.status = res.status;
      const text = await res.text();
      try {
        result.body = JSON.parse(text);
      } catch {
        result.body = text;
      }
    } catch (e) {
      result.error = e instanceof Error ? e.message : String(e);
    }
    state.webhooks.push(result);
    return result;
  }

  async function pay(input: SimPayInput) {
    const merchantUid = str(input.merchant_uid);
    if (!merchantUid) throw new SimError(400, -1, 'merchant_uid is required');
    const prepared = state.prepared[merchantUid];
    const amount = input.amount ?? prepared?.amount;
    if (amount === undefined) throw new SimError(400, -1, `merchant_uid ${merchantUid} is not prepared and no amount was given`);
    const status = input.status ?? 'paid';
    if (!STATUSES.includes(status)) throw new SimError(400, -1, `bad status ${status}`);
    const impUid = input.imp_uid ?? newImpUid();
    if (state.payments.some((p) => p.imp_uid === impUid)) throw new SimError(400, -1, `imp_uid ${impUid} already exists`);
    const t = nowS();
    const payment: SimPayment = {
      imp_uid: impUid,
      merchant_uid: merchantUid,
      pay_method: 'card',
      pg_provider: 'simulator',
      pg_tid: `sim_tid_${randomBytes(8).toString('hex')}`,
      name: input.name ?? null,
      amount,
      cancel_amount: 0,
      currency: input.currency ?? 'KRW',
      status,
      started_at: t,
      paid_at: status === 'paid' ? t : 0,
      failed_at: status === 'failed' ? t : 0,
      cancelled_at: status === 'cancelled' ? t : 0,
      fail_reason: status === 'failed' ? '시뮬레이터 결제 실패' : null,
      cancel_reason: null,
      receipt_url: null,
      cancel_history: [],
    };
    state.payments.push(payment);
    const webhook = input.notify !== false && webhookUrl ? await sendWebhook({ imp_uid: impUid, merchant_uid: merchantUid, status }) : null;
    return { payment: structuredClone(payment), webhook };
  }

  function failNext(endpoint: SimEndpoint, mode: SimFailMode, times = 1) {
    if (!ENDPOINTS.includes(endpoint) || !MODES.includes(mode)) throw new SimError(400, -1, `bad fault ${endpoint}/${mode}`);
    state.faults[endpoint] = { mode, times };
  }

  function reset() {
    Object.assign(state, emptyState());
    chaos = null;
    latencyMs = 0;
  }

  /** The fault of this request, if any: a pending deliberate one first, else a random one. */
  function takeFault(kind: SimEndpoint): SimFailMode | null {
    let mode: SimFailMode | null = null;
    const fault = state.faults[kind];
    if (fault && fault.times > 0) {
      if (--fault.times <= 0) delete state.faults[kind];
      mode = fault.mode;
    } else if (chaos && chaos.endpoints.includes(kind) && chaos.modes.length) {
      const random = chaos.random ?? Math.random;
      if (random() < chaos.rate) mode = chaos.modes[Math.floor(random() * chaos.modes.length)] ?? null;
    }
    if (mode) state.faultLog.push({ endpoint: kind, mode });
    return mode;
  }

  /**
   * Run one PortOne operation under this request's fault: a failure answered instead, nothing answered, or
   * the operation done and its answer lost (`drop` closes the connection, `hang` never answers).
   */
  function withFault(kind: SimEndpoint, res: ServerResponse, operation: () => unknown): void {
    const mode = takeFault(kind);
    if (mode === 'timeout') return; // never answer; close() destroys the socket
    if (mode === 'http500') return send(res, 500, { code: -1, message: `simulated HTTP 500 (${kind})`, response: null });
    if (mode === 'code1') return send(res, 200, { code: 1, message: `simulated failure (${kind})`, response: null });
    if (mode === null) return ok(res, operation()); // a refusal throws and is answered by the caller
    try {
      operation();
    } catch {
      // a refusal is an answer too: lost the same way
    }
    if (mode === 'drop') res.socket?.destroy();
    // 'hang': leave the request open; close() destroys the socket
  }

  // ---- HTTP --------------------------------------------------------------------------------------------

  function send(res: ServerResponse, status: number, body: unknown) {
    if (res.headersSent) return;
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
  const ok = (res: ServerResponse, response: unknown) => send(res, 200, { code: 0, message: null, response });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://sim').pathname.replace(/\/+$/, '') || '/';
    const parts = path.split('/').slice(1).map(decodeURIComponent);
    const body = method === 'GET' ? {} : await readBody(req);

    if (parts[0] === '__sim') {
      const action = `${method} ${parts[1] ?? ''}`;
      if (action === 'POST pay') {
        const input: SimPayInput = {
          merchant_uid: String(body.merchant_uid ?? ''),
          amount: num(body.amount),
          currency: str(body.currency),
          status: str(body.status) as PortOnePaymentStatus | undefined,
          notify: body.notify === undefined ? undefined : body.notify !== false && body.notify !== 'false',
          imp_uid: str(body.imp_uid),
          name: str(body.name),
        };
        return send(res, 200, await pay(input));
      }
      if (action === 'POST webhook') {
        const input = { imp_uid: String(body.imp_uid ?? ''), merchant_uid: String(body.merchant_uid ?? ''), status: String(body.status ?? ''), cancellation_id: str(body.cancellation_id) };
        return send(res, 200, await sendWebhook(input));
      }
      if (action === 'GET state') return send(res, 200, state);
      if (action === 'POST reset') {
        reset();
        return send(res, 200, { ok: true });
      }
      if (action === 'POST latency') {
        latencyMs = Math.max(0, num(body.ms) ?? 0);
        return send(res, 200, { ok: true, latencyMs });
      }
      if (action === 'POST fail') {
        failNext(body.endpoint as SimEndpoint, body.mode as SimFailMode, num(body.times) ?? 1);
        return send(res, 200, { ok: true, faults: state.faults });
      }
      throw new SimError(404, -1, `unknown control ${action}`);
    }

    state.requests.push({ method, path, authorization: req.headers.authorization ?? null });

    if (method === 'POST' && path === '/users/getToken') {
      return withFault('getToken', res, () => issueToken(body));
    }
    checkAuth(req);
    if (parts[0] !== 'payments') throw notFound('Not Found');
    if (latencyMs > 0) await sleep(latencyMs);

    if (parts[1] === 'prepare') {
      if (method === 'POST' && parts.length === 2) return withFault('prepare', res, () => prepare(body, false));
      if (method === 'PUT' && parts.length === 2) return withFault('prepare', res, () => prepare(body, true));
      if (method === 'GET' && parts.length === 3) {
        return withFault('prepare', res, () => {
          const prepared = state.prepared[parts[2]];
          if (!prepared) throw notFound('사전등록된 결제정보가 존재하지 않습니다.');
          return { ...prepared };
        });
      }
    } else if (parts[1] === 'cancel' && method === 'POST' && parts.length === 2) {
      return withFault('cancel', res, () => {
        const call: SimCancelCall = { at: nowS(), body, ok: false, message: '' };
        state.cancels.push(call);
        try {
          const payment = cancel(body);
          call.ok = true;
          return payment;
        } catch (e) {
          call.message = e instanceof Error ? e.message : String(e);
          throw e;
        }
      });
    } else if (method === 'GET' && parts[1] === 'find' && (parts.length === 3 || parts.length === 4)) {
      return withFault('payments', res, () => {
        const payment = latestPayment(parts[2], parts[3]);
        if (!payment) throw notFound('존재하지 않는 결제정보입니다.');
        return structuredClone(payment);
      });
    } else if (method === 'GET' && parts.length === 2) {
      return withFault('payments', res, () => {
        const payment = state.payments.find((p) => p.imp_uid === parts[1]);
        if (!payment) throw notFound('존재하지 않는 결제정보입니다.');
        return structuredClone(payment);
      });
    }
    throw notFound('Not Found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof SimError) send(res, e.httpStatus, { code: e.code, message: e.message, response: null });
      else send(res, 500, { code: -1, message: e instanceof Error ? e.message : String(e), response: null });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // A wildcard bind (0.0.0.0 / ::) is reachable through loopback; print that.
  const bound = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const host = bound.includes(':') ? `[${bound}]` : bound;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    state,
    pay,
    sendWebhook,
    failNext,
    reset,
    setChaos(c) {
      chaos = c;
    },
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive and deliberately hung ("timeout") sockets would keep the server open: destroy them all.
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
