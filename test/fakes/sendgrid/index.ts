/**
 * A fake SendGrid Inbound Parse: POSTs multipart/form-data to the hub, signed as a Parse webhook
 * security policy signs it (ECDSA P-256 over timestamp + body) or with basic auth in the URL, and
 * retries as SendGrid documents. See README.md.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { deliveryResult, fieldNames, httpPost, multipartBuffer, sleep, type DeliveryAttempt, type DeliveryResult, type FormField } from '../mailgun/form-data.js';

export { defaultPayloadFields, officialFields, rawPayloadFields, type ParseMail } from './fields.js';
export type { DeliveryResult, FormField } from '../mailgun/form-data.js';

export const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

/** SendGrid support, "Understanding Inbound Parse Webhook Retry Logic": 5xx retried for 72 hours (every 5–10 minutes in the first hour, then about every 3 hours). */
export const SENDGRID_RETRY_SCHEDULE_MS = [5, 5, 5, 5, 5, 10, 10, 15, ...Array<number>(23).fill(180)].map((minutes) => minutes * 60_000);

/** A key pair like the one a security policy holds; `publicKey` is what SendGrid hands out (base64 DER SPKI). */
export function policyKeyPair(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

export interface SendGridRequestRecord {
  url: string;
  fieldNames: string[];
  signed: boolean;
  status: number;
}

export interface PostOptions {
  /** Sign with this key instead of the policy's (a forgery), or not at all. */
  signWith?: KeyObject | null;
  /** The signed timestamp (default: now, at the first attempt). */
  timestamp?: string;
  /** Changes the body after signing (a tampered request). */
  tamper?(body: Buffer): Buffer;
}

export interface FakeSendGrid {
  readonly requests: SendGridRequestRecord[];
  /** One parse delivery: 2xx accepts; 5xx (and no answer) is retried; 4xx and 3xx drop the mail. */
  post(url: string, fields: readonly FormField[], options?: PostOptions): Promise<DeliveryResult>;
}

export function fakeSendGrid(options: { privateKey?: KeyObject; retryDelayScale?: number; resignRetries?: boolean } = {}): FakeSendGrid {
  const requests: SendGridRequestRecord[] = [];
  const scale = options.retryDelayScale ?? 0;
  // The boundary a real Inbound Parse post used (a captured request); ASSUMED to be the same for all.
  const boundary = 'xYzZY';

  const sign = (key: KeyObject, timestamp: string, body: Buffer): string => {
    const signer = createSign('sha256');
    signer.update(timestamp);
    signer.update(body);
    return signer.sign(key).toString('base64');
  };

  return {
    requests,
    async post(url, fields, postOptions = {}) {
      const body = await multipartBuffer(fields, boundary);
      const key = postOptions.signWith === undefined ? (options.privateKey ?? null) : postOptions.signWith;
      const attempts: DeliveryAttempt[] = [];
      let timestamp = postOptions.timestamp ?? String(Math.floor(Date.now() / 1000));
      for (let attempt = 0; ; attempt++) {
        // ASSUMED: a retry repeats the first attempt's signature unless resignRetries (the docs are silent).
        if (attempt > 0 && options.resignRetries) timestamp = String(Math.floor(Date.now() / 1000));
        const headers: Record<string, string> = { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'User-Agent': 'Sendlib/1.0' };
        if (key) {
          headers[SIGNATURE_HEADER] = sign(key, timestamp, body);
          headers[TIMESTAMP_HEADER] = timestamp;
        }
        const answer = await httpPost(url, headers, postOptions.tamper ? postOptions.tamper(body) : body);
        attempts.push({ status: answer.status, body: answer.body, ...(answer.error ? { error: answer.error } : {}) });
        requests.push({ url, fieldNames: fieldNames(fields), signed: key !== null, status: answer.status });
        if (answer.status >= 200 && answer.status < 300) return deliveryResult('accepted', attempts);
        // ASSUMED: no answer at all (connection refused) is retried like a 5xx; a DNS error would drop.
        if (answer.status !== 0 && answer.status < 500) return deliveryResult('rejected', attempts);
        const delay = SENDGRID_RETRY_SCHEDULE_MS[attempt];
        if (delay === undefined) return deliveryResult('gave_up', attempts);
        await sleep(delay * scale);
      }
    },
  };
}
