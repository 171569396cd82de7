import type { Request } from 'express';
import type { z } from 'zod';
import { ApiError, zodToFieldErrors } from './errors.js';

/** Parse with a zod schema or throw the contract's 400 validation error. */
export function parse<S extends z.ZodType>(schema: S, data: unknown, prefix?: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw ApiError.validation(zodToFieldErrors(r.error, prefix));
  return r.data;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);

/** A UUID path parameter; anything else is simply "not found" (as Django's uuid converter does). */
export function uuidParam(req: Request, name: string): string {
  const v = req.params[name];
  if (!isUuid(v)) throw ApiError.notFound();
  return v.toLowerCase();
}
