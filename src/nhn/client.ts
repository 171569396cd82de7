/**
 * NHN Cloud Notification clients: KakaoTalk Bizmessage alimtalk (API v2.3) and SMS (API v3.0).
 *
 *   Alimtalk  POST {alimtalkUrl}/alimtalk/v2.3/appkeys/{appKey}/messages
 *             header X-Secret-Key; body {senderKey, templateCode, recipientList:[{recipientNo, templateParameter}]}
 *             → {header:{isSuccessful, resultCode, resultMessage}, message:{requestId, sendResults:[{recipientNo, resultCode, resultMessage}]}}
 *   SMS       POST {smsUrl}/sms/v3.0/appKeys/{appKey}/sender/sms
 *             header X-Secret-Key; body {body, sendNo, recipientList:[{recipientNo}]}  (no templateId: NHN refuses
 *             ids it does not know, error -2110)
 *             → {header:{…}, body:{data:{requestId, sendResultList:[{recipientNo, resultCode, resultMessage}]}}}
 *
 * Each channel has its own app key / secret (falling back to the shared NHN_CLOUD_APP_KEY / _SECRET_KEY).
 * `send` resolves with the NHN request id or rejects with a DeliveryError that says whether a later try may
 * succeed (transient: network errors, timeouts, HTTP 429 / 5xx) or not (permanent: HTTP 4xx, an NHN
 * `isSuccessful: false` answer, a recipient refused). The secret never appears in an error text.
 */
import { DeliveryError } from '../services/delivery-error.js';

export interface NhnChannelConfig {
  apiUrl: string;
  appKey: string;
  secretKey: string;
}

export interface NhnConfig {
  alimtalk: NhnChannelConfig & { senderKey: string };
  sms: NhnChannelConfig & { sendNo: string };
  timeoutMs: number;
}

export interface AlimtalkMessage {
  to: string;
  templateCode: string;
  parameters: Record<string, string>;
}

export interface SmsMessage {
  to: string;
  body: string;
}

export interface NhnSender<M> {
  send(message: M): Promise<{ messageId: string }>;
}

interface NhnHeader {
  isSuccessful?: boolean;
  resultCode?: number;
  resultMessage?: string;
}
interface NhnResult {
  recipientNo?: string;
  resultCode?: number;
  resultMessage?: string;
}

/** Digits only (and a leading + kept out): "010-1234-5678" → "01012345678". */
export function recipientNumber(phone: string): string {
  return phone.replace(/[^\d]/g, '');
}

async function post(url: string, secretKey: string, body: unknown, timeoutMs: number): Promise<{ status: number; json: Record<string, unknown> | null }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json;charset=UTF-8', 'X-Secret-Key': secretKey },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    throw new DeliveryError(name === 'TimeoutError' ? `NHN Cloud timeout after ${timeoutMs} ms` : `NHN Cloud unreachable: ${e instanceof Error ? e.message : String(e)}`, true);
  }
  const text = await res.text().catch(() => '');
  let json: Record<string, unknown> | null = null;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json };
}

function check(kind: string, status: number, header: NhnHeader | undefined, results: NhnResult[] | undefined, requestId: unknown): { messageId: string } {
  if (status === 429 || status >= 500) throw new DeliveryError(`NHN ${kind}: HTTP ${status}${header?.resultMessage ? ` ${header.resultMessage}` : ''}`, true);
  if (status >= 400) throw new DeliveryError(`NHN ${kind}: HTTP ${status}${header?.resultMessage ? ` ${header.resultMessage}` : ''}`, false);
  if (!header || header.isSuccessful !== true) {
    throw new DeliveryError(`NHN ${kind}: ${header?.resultCode ?? 'no header'} ${header?.resultMessage ?? 'invalid response'}`.trim(), false);
  }
  const refused = (results ?? []).find((r) => r.resultCode !== undefined && r.resultCode !== 0);
  if (refused) throw new DeliveryError(`NHN ${kind}: recipient refused (${refused.resultCode} ${refused.resultMessage ?? ''})`.trim(), false);
  return { messageId: typeof requestId === 'string' ? requestId : '' };
}

function notConfigured(kind: string, what: string): NhnSender<never> {
  return {
    async send() {
      throw new DeliveryError(`${kind} is not configured: ${what} is not set`, false);
    },
  };
}

export function createAlimtalkSender(config: NhnConfig): NhnSender<AlimtalkMessage> {
  const c = config.alimtalk;
  if (!c.appKey || !c.secretKey) return notConfigured('Kakao alimtalk', 'NHN_CLOUD_KAKAO_ALIMTALK_APP_KEY / _SECRET_KEY (or NHN_CLOUD_APP_KEY / _SECRET_KEY)');
  if (!c.senderKey) return notConfigured('Kakao alimtalk', 'NHN_CLOUD_KAKAO_SENDER_KEY');
  const url = `${c.apiUrl}/alimtalk/v2.3/appkeys/${encodeURIComponent(c.appKey)}/messages`;
  return {
    async send(m) {
      const { status, json } = await post(
        url,
        c.secretKey,
        { senderKey: c.senderKey, templateCode: m.templateCode, recipientList: [{ recipientNo: recipientNumber(m.to), templateParameter: m.parameters }] },
        config.timeoutMs,
      );
      const message = (json?.message ?? {}) as { requestId?: unknown; sendResults?: NhnResult[] };
      return check('alimtalk', status, json?.header as NhnHeader | undefined, message.sendResults, message.requestId);
    },
  };
}

export function createSmsSender(config: NhnConfig): NhnSender<SmsMessage> {
  const c = config.sms;
  if (!c.appKey || !c.secretKey) return notConfigured('SMS', 'NHN_CLOUD_SMS_APP_KEY / _SECRET_KEY (or NHN_CLOUD_APP_KEY / _SECRET_KEY)');
  if (!c.sendNo) return notConfigured('SMS', 'NHN_CLOUD_SMS_SEND_NO');
  const url = `${c.apiUrl}/sms/v3.0/appKeys/${encodeURIComponent(c.appKey)}/sender/sms`;
  return {
    async send(m) {
      const { status, json } = await post(url, c.secretKey, { body: m.body, sendNo: recipientNumber(c.sendNo), recipientList: [{ recipientNo: recipientNumber(m.to) }] }, config.timeoutMs);
      const data = ((json?.body as { data?: unknown } | undefined)?.data ?? {}) as { requestId?: unknown; sendResultList?: NhnResult[] };
      return check('sms', status, json?.header as NhnHeader | undefined, data.sendResultList, data.requestId);
    },
  };
}
