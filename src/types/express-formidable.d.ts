declare module 'express-formidable' {
  import type { RequestHandler } from 'express';
  function formidableMiddleware(options?: Record<string, unknown>, events?: unknown[]): RequestHandler;
  export default formidableMiddleware;
}
