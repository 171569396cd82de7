/**
 * Sending a body that is built once and served many times (the catalogue) compressed, without compressing it
 * again per request: the brotli / gzip variant of a body is made once (off the event loop, zlib's thread
 * pool) and kept as long as the body object itself (a WeakMap: the catalogue cache dropping the body drops its
 * variants). Every other answer is compressed per request by the `compression` middleware (src/http/app.ts),
 * which leaves an answer alone once it carries a Content-Encoding.
 *
 * Conditional requests: the body's ETag is weak (W/"…"), so one ETag serves every encoding of the same
 * content (RFC 9110 §8.8.1: weak validators compare semantic equivalence); If-None-Match → 304, no body.
 */
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants } from 'node:zlib';
import type { Request, Response } from 'express';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Below this size compression does not pay for its headers and CPU (the `compression` middleware's default too). */
export const COMPRESS_THRESHOLD = 1024;
/**
 * Brotli quality 5: a catalogue of 1,000 products (≈4 MB of JSON) compresses in tens of milliseconds and
 * within a few per cent of gzip -9's size or better; 11 (the default) takes seconds on that size.
 */
export const BROTLI_QUALITY = 5;

export interface EncodableBody {
  json: Buffer;
  etag: string;
}

const variants = new WeakMap<EncodableBody, Partial<Record<'br' | 'gzip', Promise<Buffer>>>>();

function variant(body: EncodableBody, encoding: 'br' | 'gzip'): Promise<Buffer> {
  let v = variants.get(body);
  if (!v) variants.set(body, (v = {}));
  let p = v[encoding];
  if (!p) {
    p = encoding === 'br' ? brotli(body.json, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.json.length } }) : gz(body.json);
    p.catch(() => variants.get(body) && delete variants.get(body)![encoding]); // never keep a failure
    v[encoding] = p;
  }
  return p;
}

/** The encoding to answer with: brotli when the client takes it, else gzip, else none. */
export function pickEncoding(req: Request): 'br' | 'gzip' | null {
  // asked one at a time: the client's own order (browsers send "gzip, deflate, br") is no preference
  if (req.acceptsEncodings('br')) return 'br';
  if (req.acceptsEncodings('gzip')) return 'gzip';
  return null;
}

/** Send `body` as JSON: 304 when the client has it, else compressed when it is worth it and the client accepts it. */
export async function sendEncodedJson(req: Request, res: Response, body: EncodableBody): Promise<void> {
  res.type('json').set('ETag', body.etag).vary('Accept-Encoding');
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  const encoding = body.json.length >= COMPRESS_THRESHOLD ? pickEncoding(req) : null;
  if (!encoding) {
    res.send(body.json); // a preset ETag: Express does not hash the body again
    return;
  }
  const bytes = await variant(body, encoding);
  res.set('Content-Encoding', encoding).send(bytes);
}
