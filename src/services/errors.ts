import type { FieldError } from '../domain/messages.js';

export type ErrorType = 'validation_error' | 'client_error' | 'server_error';

/**
 * An expected failure of a service call, already in the contract's terms (`{type, errors}` + HTTP status),
 * so every adapter (HTTP, admin actions, desk API) reports it the same way.
 */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly errors: FieldError[],
  ) {
    super(errors.map((e) => e.detail).join('; '));
  }

  /** Seconds a throttled caller should wait (sent as `Retry-After` with a 429). */
  retryAfter?: number;

  static tooManyRequests(code: string, detail: string, retryAfterSeconds: number, attr: string | null = null): ServiceError {
    const e = ServiceError.client(429, code, detail, attr);
    e.retryAfter = retryAfterSeconds;
    return e;
  }

  static validation(errors: FieldError[]): ServiceError {
    return new ServiceError(400, 'validation_error', errors);
  }
  static client(status: number, code: string, detail: string, attr: string | null = null): ServiceError {
    return new ServiceError(status, 'client_error', [{ code, detail, attr }]);
  }
  static notFound(detail = '찾을 수 없습니다.'): ServiceError {
    return ServiceError.client(404, 'not_found', detail);
  }
  static server(status: number, code: string, detail: string): ServiceError {
    return new ServiceError(status, 'server_error', [{ code, detail, attr: null }]);
  }
}
