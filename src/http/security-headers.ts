/**
 * Security headers (helmet) for every answer: `X-Content-Type-Options: nosniff`, a Content-Security-Policy
 * with `frame-ancestors 'none'`, a Referrer-Policy, `X-Frame-Options`, and HSTS in production
 * only (a development server on plain http must not teach the browser https-only for localhost).
 *
 * - The API answers JSON: its CSP allows nothing (`default-src 'none'`). Cross-origin-resource-policy is
 *   `cross-origin` because the frontend (another origin) uses the API; Cross-Origin-Opener-Policy is left
 *   out so the social sign-in's redirects and popups keep working.
 * - The admin panel (AdminJS) gets its own CSP (`adminSecurityHeaders`): scripts only from the panel itself
 *   plus AdminJS's inline bootstrap scripts, which carry a per-response nonce added here (AdminJS renders
 *   them without one); styles may be inline (its styled-components inject them at run time) and come from
 *   Google Fonts, as do fonts; images from itself, data: and blob:; XHR to itself only.
 * - The QR pages set a stricter CSP of their own on top.
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';

export function apiSecurityHeaders(opts: { production: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginOpenerPolicy: false,
    strictTransportSecurity: opts.production ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
  });
}

const nonceOf = (res: Response): string => (res.locals.cspNonce as string | undefined) ?? '';

export function adminSecurityHeaders(opts: { production: boolean }): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", (_req, res) => `'nonce-${nonceOf(res as Response)}'`],
        styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
        fontSrc: ["'self'", 'data:', 'https://fonts.gstatic.com'],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    // not helmet's `no-referrer`: under it the browser sends `Origin: null` on the panel's own form posts,
    // which the same-origin check (rightly) refuses; `same-origin` still sends nothing to other sites
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: opts.production ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
  });
  return (req, res, next) => {
    const nonce = randomBytes(16).toString('base64');
    res.locals.cspNonce = nonce;
    // AdminJS writes its bootstrap <script> blocks without attributes: give them this response's nonce
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => {
      if (typeof body === 'string' && /^\s*<(!doctype|html)/i.test(body)) body = body.replace(/<script>/g, `<script nonce="${nonce}">`);
      return send(body);
    }) as Response['send'];
    headers(req, res, next);
  };
}
