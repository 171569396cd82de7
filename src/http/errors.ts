/**
 * The contract's error body for every non-2xx answer: `{type, errors: [{code, detail, attr}]}`
 * (`type` ∈ validation_error | client_error | server_error).
 */
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
  res.status(err.status).json({ type: err.type, errors: err.errors });
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(ApiError.notFound('요청하신 주소를 찾을 수 없습니다.'));
};

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
  if (err instanceof ConnectionError || err instanceof ConnectionAcquireTimeoutError) {
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
