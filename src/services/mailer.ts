/**
 * E-mail over SMTP (nodemailer), configured by SMTP_* / MAIL_FROM. `send` resolves with the message id or
 * rejects with a MailError that says whether trying again later may help (transient: connection problems,
 * timeouts, 4xx replies) or not (permanent: 5xx replies, authentication, no SMTP configured).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailConfig } from '../config.js';
import { DeliveryError } from './delivery-error.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** An HTML body (values already escaped), sent next to `text`. */
  html?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

/** A failed e-mail delivery (a DeliveryError: `transient` says whether a retry may help). */
export class MailError extends DeliveryError {}

/** Errors that no retry fixes: bad credentials, a refused envelope/message without an SMTP reply code. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'ETLS']);

/** Classify a nodemailer error; the text is what operators see (no credentials in it). */
export function toMailError(e: unknown): MailError {
  if (e instanceof MailError) return e;
  const err = e as { code?: string; responseCode?: number; response?: string; message?: string };
  const message = [err.code, err.responseCode, err.response ?? err.message].filter((x) => x !== undefined && x !== '').join(' ').slice(0, 2000) || String(e);
  let transient: boolean;
  if (typeof err.responseCode === 'number') transient = err.responseCode >= 400 && err.responseCode < 500;
  else transient = !(err.code && PERMANENT_CODES.has(err.code)); // connection refused/reset, timeouts, DNS, …
  return new MailError(message, transient);
}

export function createMailer(config: MailConfig): Mailer {
  const smtp = config.smtp;
  if (!smtp) {
    return {
      async send() {
        throw new MailError('SMTP_HOST is not set: e-mail is not configured', false);
      },
      close() {},
    };
  }
  const transport: Transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
  });
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail({ from: config.from, to: mail.to, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}) });
        return { messageId: String(info.messageId ?? '') };
      } catch (e) {
        throw toMailError(e);
      }
    },
    close() {
      transport.close();
    },
  };
}
