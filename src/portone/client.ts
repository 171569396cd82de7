/**
 * The one PortOne v1 (iamport) REST client (spec §4.1).
 *
 * - Token: `POST /users/getToken {imp_key, imp_secret}`, cached in-process until `expired_at − 30 s`
 *   (5 minutes when `expired_at` is missing). Concurrent callers share one in-flight token request.
 * - Every call sends the raw token in `Authorization` (no "Bearer") and `Content-Type: application/json`,
 *   and is aborted after `timeoutMs` (5 s by default).
 * - Every answer is the envelope `{code, message, response}`: an HTTP error OR `code ≠ 0` is a failure and
 *   throws a `PortOneError`.
 * - Secrets (imp_secret, access token) never appear in error messages; this module logs nothing.
 */
import { fetchExchange, httpExchange, HttpTimeoutError, type HttpAnswer } from './http-exchange.js';

export type PortOnePaymentStatus = 'ready' | 'paid' | 'cancelled' | 'failed';

/** One entry of `cancel_history` (a partial or full cancellation). Times are unix seconds. */
export interface PortOneCancelHistory {
  pg_tid: string | null;
  cancellation_id: string | null;
  /** May be a float on the wire: compare integrally. */
  amount: number;
  cancelled_at: number;
  reason: string | null;
  receipt_url?: string | null;
}

/**
 * The payment object of `GET /payments/{imp_uid}` (only the fields this project reads; PortOne sends more).
 * Amounts may arrive as floats: callers compare them integrally. Times are unix seconds, 0 when unset.
 */
export interface PortOnePayment {
  imp_uid: string;
  merchant_uid: string;
  amount: number;
  cancel_amount: number;
  currency: string;
  status: PortOnePaymentStatus;
  pg_tid?: string | null;
  started_at?: number;
  paid_at?: number;
  cancelled_at?: number;
  failed_at?: number;
  fail_reason?: string | null;
  cancel_reason?: string | null;
  receipt_url?: string | null;
  cancel_history?: PortOneCancelHistory[];
}

/** `response` of `/payments/prepare` (POST, PUT and GET). */
export interface PortOnePrepared {
  merchant_uid: string;
  amount: number;
}

/** `response` of `POST /users/getToken`. */
export interface PortOneToken {
  access_token: string;
  /** unix seconds */
  expired_at?: number;
  now?: number;
}

/** The envelope of every PortOne v1 answer. */
export interface PortOneEnvelope<T> {
  code: number;
  message: string | null;
  response: T | null;
}

/**
 * What went wrong: `http` (non-2xx), `api` (HTTP 2xx with code ≠ 0), `not_found` (null `response`),
 * `timeout`, `network` (connection refused, reset…), `invalid_response` (not the envelope), `token`
 * (getting the access token failed), `prepare` (both POST and PUT of register-or-update failed),
 * `invalid_request` (refused by this client before any request: nothing was sent).
 */
export type PortOneErrorKind = 'http' | 'api' | 'not_found' | 'timeout' | 'network' | 'invalid_response' | 'token' | 'prepare' | 'invalid_request';

export interface PortOneErrorDetails {
  kind: PortOneErrorKind;
  httpStatus?: number;
  portoneCode?: number;
  portoneMessage?: string;
  cause?: unknown;
  /** register-or-update: the POST error then the PUT error. */
  causes?: unknown[];
}

/** Every failure of this client. The message is safe to show to operators (no secrets). */
export class PortOneError extends Error {
  readonly action: string;
  readonly kind: PortOneErrorKind;
  readonly httpStatus?: number;
  readonly portoneCode?: number;
  readonly portoneMessage?: string;
  readonly causes?: unknown[];

  constructor(action: string, message: string, details: PortOneErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PortOneError';
    this.action = action;
    this.kind = details.kind;
    this.httpStatus = details.httpStatus;
    this.portoneCode = details.portoneCode;
    this.portoneMessage = details.portoneMessage;
    this.causes = details.causes;
  }
}

export interface PortOneClientOptions {
  /** e.g. `https://api.iamport.kr` (a trailing slash is ignored). */
  apiUrl: string;
  impKey: string;
  impSecret: string;
  /** Per-call timeout (token calls included). Default 5000. */
  timeoutMs?: number;
  /** A stand-in for `fetch` (tests that answer without a server); by default node:http (src/portone/http-exchange.ts). */
  fetchImpl?: typeof fetch;
  /** Clock in epoch milliseconds, for the token cache (tests inject a fake one). Default `Date.now`. */
  now?: () => number;
}

export interface CancelPaymentParams {
  impUid: string;
  /**
   * How much to cancel: a positive whole number of won, or `'full'` for everything PortOne still holds (the
   * request then carries no amount). PortOne reads an amount of 0 — or none — as "cancel everything", so a
   * partial amount of 0, a negative or a fractional one is refused here, before any request: a miscomputed
   * refund of 0 must never return the whole payment.
   */
  amount: number | 'full';
  /** The cancellable balance PortOne must hold before this cancel; PortOne refuses on mismatch. */
  checksum: number;
  /** Omitted from the request when null/undefined. */
  reason?: string | null;
}

export interface PortOneClient {
  getToken(): Promise<string>;
  findPayment(impUid: string): Promise<PortOnePayment>;
  /** Latest payment of a merchant_uid (optionally only of that status). */
  findPaymentByMerchantUid(merchantUid: string, status?: PortOnePaymentStatus): Promise<PortOnePayment>;
  preparePayment(merchantUid: string, amount: number): Promise<PortOnePrepared>;
  updatePreparedPayment(merchantUid: string, amount: number): Promise<PortOnePrepared>;
  getPreparedPayment(merchantUid: string): Promise<PortOnePrepared>;
  /** POST /payments/prepare; on any failure PUT; both failing ⇒ PortOneError kind `prepare` with `causes`. */
  registerOrUpdatePrepared(merchantUid: string, amount: number): Promise<PortOnePrepared>;
  /** Returns the payment after the cancel (its `cancel_amount` and `cancel_history` updated). */
  cancelPayment(params: CancelPaymentParams): Promise<PortOnePayment>;
}

const DEFAULT_TIMEOUT_MS = 5000;
const TOKEN_EXPIRY_MARGIN_MS = 30_000;
const TOKEN_FALLBACK_TTL_MS = 5 * 60_000;

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface RawAnswer {
  httpStatus: number;
  ok: boolean;
  body: unknown;
}

export function createPortOneClient(options: PortOneClientOptions): PortOneClient {
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const exchange = options.fetchImpl ? fetchExchange(options.fetchImpl) : httpExchange;
  const now = options.now ?? Date.now;

  let cached: { token: string; validUntil: number } | null = null;
  let inflight: Promise<string> | null = null;

  /** One HTTP exchange with timeout; network/timeout problems become PortOneError (token-aware wording). */
  async function send(method: string, path: string, body: unknown, token: string | null, fail: (detail: string, d: PortOneErrorDetails) => PortOneError): Promise<RawAnswer> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (token !== null) headers.Authorization = token;
    let answer: HttpAnswer;
    try {
      // everything but a cancel may be sent again on a dropped kept-alive connection (src/portone/http-exchange.ts)
      const repeatable = !path.startsWith('/payments/cancel');
      answer = await exchange(apiUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs, repeatable });
    } catch (e) {
      if (e instanceof HttpTimeoutError) throw fail(`${timeoutMs}ms 안에 응답이 없습니다 (timeout)`, { kind: 'timeout', cause: e });
      throw fail(`연결 오류 (${describe(e)})`, { kind: 'network', cause: e });
    }
    let parsed: unknown = undefined;
    try {
      parsed = answer.text === '' ? undefined : JSON.parse(answer.text);
    } catch {
      parsed = undefined;
    }
    return { httpStatus: answer.status, ok: answer.status >= 200 && answer.status < 300, body: parsed };
  }

  /** Check the envelope; returns `response` (possibly null) or throws. */
  function unwrap<T>(answer: RawAnswer, fail: (detail: string, d: PortOneErrorDetails) => PortOneError): T | null {
    const env = answer.body as Partial<PortOneEnvelope<T>> | undefined;
    const isEnvelope = typeof env === 'object' && env !== null && typeof env.code === 'number';
    const portoneCode = isEnvelope ? env.code : undefined;
    const portoneMessage = isEnvelope && typeof env.message === 'string' ? env.message : undefined;
    const suffix = `${portoneCode !== undefined ? ` (code ${portoneCode})` : ''}${portoneMessage ? ` ${portoneMessage}` : ''}`;
    if (!answer.ok) {
      throw fail(`HTTP ${answer.httpStatus}${suffix}`, { kind: 'http', httpStatus: answer.httpStatus, portoneCode, portoneMessage });
    }
    if (!isEnvelope) {
      throw fail(`응답 형식이 올바르지 않습니다 (HTTP ${answer.httpStatus})`, { kind: 'invalid_response', httpStatus: answer.httpStatus });
    }
    if (env.code !== 0) {
      throw fail(`code ${env.code}${portoneMessage ? ` ${portoneMessage}` : ''}`, { kind: 'api', httpStatus: answer.httpStatus, portoneCode, portoneMessage });
    }
    return (env.response ?? null) as T | null;
  }

  async function fetchToken(): Promise<string> {
    const fail = (detail: string, d: PortOneErrorDetails) =>
      new PortOneError('getToken', `PortOne 인증 토큰 발급 실패: ${detail}`, { ...d, kind: d.kind === 'timeout' || d.kind === 'network' ? d.kind : 'token' });
    const answer = await send('POST', '/users/getToken', { imp_key: options.impKey, imp_secret: options.impSecret }, null, fail);
    const response = unwrap<PortOneToken>(answer, fail);
    if (!response || typeof response.access_token !== 'string' || response.access_token === '') {
      throw fail('access_token이 없습니다', { kind: 'token' });
    }
    const expiredAt = typeof response.expired_at === 'number' && response.expired_at > 0 ? response.expired_at : null;
    // Valid until expired_at − 30 s. When PortOne also sends its `now`, measure the lifetime on its clock so a
    // skewed local clock cannot make the cache useless (or stale).
    const serverNow = typeof response.now === 'number' && response.now > 0 ? response.now : null;
    const validUntil =
      expiredAt === null
        ? now() + TOKEN_FALLBACK_TTL_MS
        : serverNow === null
          ? expiredAt * 1000 - TOKEN_EXPIRY_MARGIN_MS
          : now() + (expiredAt - serverNow) * 1000 - TOKEN_EXPIRY_MARGIN_MS;
    cached = { token: response.access_token, validUntil };
    return response.access_token;
  }

  function getToken(): Promise<string> {
    if (cached && now() < cached.validUntil) return Promise.resolve(cached.token);
    if (!inflight) {
      inflight = fetchToken().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  /**
   * An authenticated call. A 401 means the token was refused (revoked/expired on PortOne's side) and nothing
   * was done, so the cached token is dropped and the call is retried once with a fresh token.
   */
  async function call<T>(action: string, method: string, path: string, body?: unknown): Promise<T | null> {
    const fail = (detail: string, d: PortOneErrorDetails) => new PortOneError(action, `PortOne 요청 실패 [${action}]: ${detail}`, d);
    for (let attempt = 0; ; attempt++) {
      const token = await getToken();
      const answer = await send(method, path, body, token, fail);
      if (answer.httpStatus === 401 && attempt === 0) {
        if (cached?.token === token) cached = null;
        continue;
      }
      return unwrap<T>(answer, fail);
    }
  }

  /** A call whose `response` must be present (null ⇒ a not-found PortOneError). */
  async function callRequired<T>(action: string, method: string, path: string, body?: unknown): Promise<T> {
    const response = await call<T>(action, method, path, body);
    if (response === null) {
      throw new PortOneError(action, `PortOne 요청 실패 [${action}]: 요청한 정보를 찾을 수 없습니다 (response: null)`, { kind: 'not_found' });
    }
    return response;
  }

  const seg = encodeURIComponent;

  const client: PortOneClient = {
    getToken,
    findPayment: (impUid) => callRequired<PortOnePayment>('findPayment', 'GET', `/payments/${seg(impUid)}`),
    findPaymentByMerchantUid: (merchantUid, status) =>
      callRequired<PortOnePayment>('findPaymentByMerchantUid', 'GET', `/payments/find/${seg(merchantUid)}${status ? `/${seg(status)}` : ''}`),
    preparePayment: (merchantUid, amount) =>
      callRequired<PortOnePrepared>('preparePayment', 'POST', '/payments/prepare', { merchant_uid: merchantUid, amount }),
    updatePreparedPayment: (merchantUid, amount) =>
      callRequired<PortOnePrepared>('updatePreparedPayment', 'PUT', '/payments/prepare', { merchant_uid: merchantUid, amount }),
    getPreparedPayment: (merchantUid) => callRequired<PortOnePrepared>('getPreparedPayment', 'GET', `/payments/prepare/${seg(merchantUid)}`),
    async registerOrUpdatePrepared(merchantUid, amount) {
      let postError: unknown;
      try {
        return await client.preparePayment(merchantUid, amount);
      } catch (e) {
        postError = e; // typically "already registered": fall back to updating the amount
      }
      try {
        return await client.updatePreparedPayment(merchantUid, amount);
      } catch (putError) {
        throw new PortOneError(
          'registerOrUpdatePrepared',
          `PortOne 요청 실패 [registerOrUpdatePrepared]: 사전 등록(POST)과 수정(PUT)이 모두 실패했습니다 — POST: ${describe(postError)} / PUT: ${describe(putError)}`,
          { kind: 'prepare', causes: [postError, putError], cause: putError },
        );
      }
    },
    async cancelPayment({ impUid, amount, checksum, reason }) {
      if (amount !== 'full' && !(Number.isSafeInteger(amount) && amount > 0)) {
        throw new PortOneError(
          'cancelPayment',
          `PortOne 요청 거부 [cancelPayment]: 취소 금액은 1원 이상의 정수여야 합니다 (${String(amount)}원; 전액 취소는 'full'로 요청)`,
          { kind: 'invalid_request' },
        );
      }
      const body: Record<string, unknown> = amount === 'full' ? { imp_uid: impUid, checksum } : { imp_uid: impUid, amount, checksum };
      if (reason !== null && reason !== undefined) body.reason = reason;
      return callRequired<PortOnePayment>('cancelPayment', 'POST', '/payments/cancel', body);
    },
  };
  return client;
}
