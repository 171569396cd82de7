/**
 * The contract's error body for every non-2xx answer: `{type, errors: [{code, detail, attr}]}`
 * (`type` ∈ validation_error | client_error | server_error).
 */
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { BaseError as SequelizeBaseError, ConnectionError, ConnectionAcquireTimeoutError } from 'sequelize';
import type { FieldError } from '../domain/messages.js';
import { Messages } from '../domain/messages.js';
import { logger } from '../logger.js';
import { ServiceError, type ErrorType } from '../services/errors.js';

export type { ErrorType };

/** The HTTP-side name of ServiceError, with the shortcuts routes use. */
export class ApiError extends ServiceError {
  static notAuthenticated(): ApiError {
    const m = Messages.SignIn.USER_NOT_SIGNED_IN;
    return ApiError.client(401, m.code, m.text);
  }
}

/** zod issues → contract field errors with dotted attrs (`options.0.product_option`). */
export function zodToFieldErrors(err: ZodError, prefix?: string): FieldError[] {
  return err.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    let code = 'invalid';
    if (issue.code === 'invalid_type' && /received undefined|required/i.test(issue.message)) code = 'required';
    else if (issue.code === 'invalid_type') code = 'invalid';
    else if (issue.code === 'too_big') code = 'max_value';
    else if (issue.code === 'too_small') code = 'min_value';
    else if (issue.code === 'unrecognized_keys') code = 'unknown_field';
    return { code, detail: issue.message, attr: path || null };
  });
}

export function sendError(res: Parameters<RequestHandler>[1], err: ServiceError): void {
  if (err.retryAfter) res.set('Retry-After', String(err.retryAfter));
  res.status(err.status).json({ type: err.type, errors: err.errors });
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(ApiError.notFound('요청하신 주소를 찾을 수 없습니다.'));
};

const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]$|53300$)/; // connection exceptions; admin / crash shutdown, cannot connect now; too many connections
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection error and is not queryable|terminating connection|does not allow connections|the database system is (starting up|shutting down|in recovery mode)|ECONNREFUSED|ECONNRESET|Client was closed|Connection is closed/i;

/**
 * Is this the database being unreachable (→ 503), not a bug (→ 500)? Sequelize reports a refused or timed-out
 * connection as ConnectionError, but a connection lost in the middle of a query or transaction (server
 * restart, failover, terminated backend) arrives as a DatabaseError around the driver's error: recognised by
 * its SQLSTATE class 08 / 57P01–57P03 / 53300 or the driver's connection-loss message.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof ConnectionError || err instanceof ConnectionAcquireTimeoutError) return true;
  const e = err as { parent?: unknown; original?: unknown; code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  for (const x of [e, e.parent, e.original] as Array<{ code?: unknown; message?: unknown } | undefined>) {
    if (!x || typeof x !== 'object') continue;
    if (typeof x.code === 'string' && UNAVAILABLE_SQLSTATE.test(x.code)) return true;
    if (typeof x.message === 'string' && UNAVAILABLE_MESSAGE.test(x.message)) return true;
  }
  return false;
}

/**
 * A database constraint that caught what the checks before it did not (e.g. two requests racing for one
 * unique name): unique / exclusion violations (SQLSTATE 23505 / 23P01) → `conflict` (409), check violations
 * (23514) → 400 — the client's data, not a server fault.
 */
export function constraintViolation(err: unknown): 'conflict' | 'check' | null {
  const e = err as { parent?: { code?: unknown }; original?: { code?: unknown }; code?: unknown } | null;
  if (!e || typeof e !== 'object') return null;
  for (const code of [e.parent?.code, e.original?.code, e.code]) {
    if (code === '23505' || code === '23P01') return 'conflict';
    if (code === '23514') return 'check';
  }
  return null;
}

/** Last middleware: anything thrown becomes the contract shape; no stack trace ever leaves the server. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof ServiceError) return sendError(res, err);
  if (err instanceof ZodError) return sendError(res, ApiError.validation(zodToFieldErrors(err)));
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  // body-parser errors
  if (e.type === 'entity.parse.failed') return sendError(res, ApiError.client(400, 'parse_error', '요청 본문을 해석할 수 없습니다 (잘못된 JSON).'));
  if (e.type === 'entity.too.large') return sendError(res, ApiError.client(413, 'payload_too_large', '요청 본문이 너무 큽니다.'));
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return sendError(res, ApiError.client(415, 'unsupported_media_type', '지원하지 않는 인코딩입니다.'));
  const status = e.status ?? e.statusCode;
  if (status && status >= 400 && status < 500) return sendError(res, ApiError.client(status, 'client_error', e.message ?? 'Bad request'));
  const constraint = constraintViolation(err);
  if (constraint === 'conflict') return sendError(res, ApiError.client(409, 'conflict', '이미 있는 데이터와 충돌합니다.'));
  if (constraint === 'check') return sendError(res, ApiError.client(400, 'check_violation', '입력값이 데이터 제약 조건을 위반했습니다.'));
  if (isDatabaseUnavailable(err)) {
    logger.error('database unavailable', { path: req.path, error: String(err.message) });
    return sendError(res, ApiError.server(503, 'service_unavailable', '잠시 후 다시 시도해주세요. (데이터베이스 연결 실패)'));
  }
  logger.error('unhandled error', { path: req.path, error: err instanceof SequelizeBaseError ? err.message : String(err?.stack ?? err) });
  sendError(res, ApiError.server(500, 'error', '서버 오류가 발생했습니다.'));
};

/** Wrap an async route so a rejection reaches the error handler (Express 4 does not await handlers). */
export function ah<Req = Parameters<RequestHandler>[0]>(
  fn: (req: Req, res: Parameters<RequestHandler>[1], next: Parameters<RequestHandler>[2]) => Promise<unknown>,
): RequestHandler {
  return (req, res, next) => {
    fn(req as Req, res, next).catch(next);
  };
}

/**
 * The HTTP server's `clientError` listener: what Node's parser refuses before Express sees a request (a URL
 * or headers over the 16 KiB limit, a malformed request line) is answered in the contract's error shape
 * too, instead of Node's empty 400/431. (`server.on('clientError', clientErrorHandler)` in src/main.ts.)
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({
    type: 'client_error',
    errors: [
      tooLarge
        ? { code: 'request_header_fields_too_large', detail: '요청 주소 또는 헤더가 너무 깁니다.', attr: null }
        : { code: 'bad_request', detail: '잘못된 HTTP 요청입니다.', attr: null },
    ],
  });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
